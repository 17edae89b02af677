package main

import (
	"context"
	"errors"
	"flag"

	"github.com/valuefrom/valuefrom/internal/envfmt"
	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/pipeline"
)

var envCommand = &command{
	name:    "env",
	summary: "print the resolved variables as shell, dotenv or json; not to a terminal",
	outcome: "nothing was printed",
	taskDef: true,
	groups:  resolveGroups,
	setup: func(fs *flag.FlagSet, o *pipeline.Options) func(context.Context, *call) error {
		format := fs.String("format", string(envfmt.Shell), "`F` shell, dotenv or json")
		force := fs.Bool("force", false, "print to a terminal too")
		return func(ctx context.Context, c *call) error {
			f, err := envfmt.ParseFormat(*format)
			if err != nil {
				return usagef("--format: %v", err)
			}
			environ, own, err := o.Overlay(ctx, c.environ)
			if err != nil {
				return err
			}
			if reqs, err := pipeline.Find(environ, o.Skip); err != nil {
				return err
			} else if (len(reqs) > 0 || o.HasBulk() || len(o.Settings.EnvFile) > 0) && !*force && envfmt.IsTerminal(c.stdout) {
				return &exitcode.UsageError{Err: errors.New("refusing to print secret values to a terminal"),
					Hint: `redirect or pipe the output (> .env, | jq, out=$(valuefrom env ...) && eval "$out"), or pass --force`}
			}
			plan, _, res, err := pipeline.Start(ctx, *o, nil, environ)
			if err != nil {
				return err
			}
			env, files, err := plan.Build()
			if err != nil {
				return err
			}
			vars := written(env, own, res)
			if err := envfmt.Write(c.stdout, f, vars); err != nil {
				// What was not printed cannot be used: its files go too.
				o.RemoveFiles(files)
				return err
			}
			return nil
		}
	},
}

// written selects from env the variables that env and render write: the
// container's own with --task-def, those of the env files and the
// resolved.
func written(env []string, own map[string]bool, res *pipeline.Result) []envfmt.Var {
	return envfmt.Select(env, func(name string) bool { return own[name] || res.FileVars[name] || res.Resolved(name) })
}

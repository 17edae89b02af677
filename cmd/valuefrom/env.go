package main

import (
	"context"
	"errors"
	"io"

	"github.com/valuefrom/valuefrom/exec"
	"github.com/valuefrom/valuefrom/internal/envfmt"
	"github.com/valuefrom/valuefrom/internal/settings"
)

const envUsage = `Usage:
  valuefrom env [--task-def FILE [--container NAME]] [--format shell|dotenv|json]
                [--force] [--profile P] [--region R] [flags]

Prints the variables valuefrom run would give COMMAND, resolved: every
variable of the task definition's container (with --task-def), and every
variable of the environment whose value is a reference. Nothing else of
the environment is printed, and no VALUEFROM_* setting. Variables come
sorted by name. A _FILE variable's value is written to a file as for run
(see --files-dir), and the file's path printed.

  eval "$(valuefrom env --task-def td.json)"
  valuefrom env --task-def td.json --format dotenv > .env
  valuefrom env --format json | jq .

Formats:
  shell    export NAME='VALUE', each ' in VALUE written as '\'' (for eval)
  dotenv   NAME="VALUE" with \\ \" \$ \n \r escaped: read in full by godotenv
           and docker compose; python-dotenv keeps \$ and Node's dotenv keeps
           \\ \" \$ as they are; docker run --env-file cannot read quotes or
           newlines at all
  json     one object, NAME to VALUE
  dotenv and json need UTF-8 values; shell and dotenv need names that are
  shell identifiers. A variable a format cannot carry is an error naming it.

Secret values are not printed to a terminal: when any variable holds a
reference and standard output is a terminal, env stops before resolving
anything (exit 2). Redirect or pipe the output, or pass --force.

Flags:
  --task-def FILE      read the variables of a container of this task definition
  --container NAME     the container (needed when FILE has several)
  --format F           shell, dotenv or json (default shell)
  --force              print to a terminal too
  --profile P          AWS shared-config profile (default: AWS_PROFILE, or the SDK's chain)
  --region R           default AWS region (default: AWS_REGION, the profile's, or metadata)
  --concurrency, --max-attempts, --timeout, --ignore, --files-dir,
  --log-format, --log-level: as for valuefrom itself (see valuefrom -h)
  -h, --help           print this help and exit

Exit codes:
  0    printed
  2    usage: a bad flag or task definition, a missing container, no region,
       or standard output is a terminal without --force
  3    a value starts like a reference but does not parse
  4    a reference could not be resolved (each failing variable is named)
  5    a value could not be written: its _FILE file, or in the format
`

// envCmd is valuefrom env: print the resolved variables.
func envCmd(ctx context.Context, s *settings.Settings, args, environ []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("env", s)
	td := addTaskDefFlags(fs)
	a := addAWSFlags(fs)
	format := fs.String("format", string(envfmt.Shell), "shell, dotenv or json")
	force := fs.Bool("force", false, "print to a terminal too")
	if err := parseFlags(fs, args, s, envUsage, stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("valuefrom env takes no arguments, got %q", fs.Arg(0))
	}
	f, err := envfmt.ParseFormat(*format)
	if err != nil {
		return usagef("--format: %v", err)
	}
	environ, own, err := td.load(s, environ)
	if err != nil {
		return err
	}
	reqs, err := references(*s, environ)
	if err != nil {
		return err
	}
	if len(reqs) > 0 && !*force && envfmt.IsTerminal(stdout) {
		return &usageError{&hintError{
			err:  errors.New("refusing to print secret values to a terminal"),
			hint: `redirect or pipe the output (> .env, | jq, eval "$(valuefrom env ...)"), or pass --force`,
		}}
	}
	log := newLogger(*s, stderr)
	values, err := resolve(ctx, *s, a, reqs, environ, log)
	if err != nil {
		return err
	}
	env, err := exec.Environment(environ, toVars(values), s.FilesDir, settings.IsSetting)
	if err != nil {
		return err
	}
	resolved := make(map[string]bool, len(reqs))
	for _, r := range reqs {
		resolved[r.Var] = true
	}
	vars := envfmt.Select(env, func(name string) bool { return own[name] || resolved[name] })
	return envfmt.Write(stdout, f, vars)
}

package main

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"

	"github.com/valuefrom/valuefrom/internal/envfmt"
	"github.com/valuefrom/valuefrom/internal/envlist"
	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/pipeline"
	"github.com/valuefrom/valuefrom/internal/render"
	"github.com/valuefrom/valuefrom/internal/settings"
	"github.com/valuefrom/valuefrom/internal/watch"
)

var renderCommand = &command{
	name:    "render",
	summary: "write the resolved variables or templates to files, then exit",
	outcome: "nothing was written",
	taskDef: true,
	groups:  []settings.Group{settings.Common, settings.Resolve, settings.Input, settings.Watch, settings.Template},
	setup: func(fs *flag.FlagSet, o *pipeline.Options) func(context.Context, *call) error {
		out := fs.String("out", "", "`PATH` the file, or for --format files the directory (its parent directory must exist; required unless --template)")
		format := fs.String("format", string(envfmt.Dotenv), "`F` dotenv, json, shell or files")
		return func(ctx context.Context, c *call) error {
			if *out == "" && len(o.Settings.Template) == 0 {
				return usagef("--out or --template is required: valuefrom render --out PATH, or --template SRC:DEST")
			}
			if *out == "-" {
				f := *format
				if f == render.Files {
					f = string(envfmt.Dotenv)
				}
				return &exitcode.UsageError{Err: errors.New("--out -: render writes files, not standard output"),
					Hint: "to print the variables use valuefrom env --format " + f + " (it refuses a terminal); to write a file named -, pass --out ./-"}
			}
			if err := render.ParseFormat(*format); err != nil {
				return usagef("--format: %v", err)
			}
			gid, err := o.Settings.GroupID()
			if err != nil {
				return usageErr(err)
			}
			// Before any AWS call: the directory that will hold --out,
			// and the templates.
			if *out != "" {
				dir := filepath.Dir(filepath.Clean(*out))
				if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
					return usagef("--out %s: its parent directory %s does not exist", *out, dir)
				}
			}
			templates, err := o.Templates(ctx)
			if err != nil {
				return err
			}
			environ, own, err := o.Overlay(ctx, c.environ)
			if err != nil {
				return err
			}
			// Only a file of its own can hold any byte; _FILE means nothing here.
			o.ToFile = func(string) bool { return *format == render.Files }
			sess, res, err := pipeline.Open(ctx, *o, environ)
			if err != nil {
				return err
			}
			// All or nothing: the templates are rendered before anything
			// is written, and put in place after --out is.
			write := func(res *pipeline.Result) error {
				pending, err := templates.Render(res.Environ, res.Vars())
				if err != nil {
					return err
				}
				defer pending.Abort()
				if *out != "" {
					env := envlist.Set(res.Environ, res.Set(), settings.IsSetting)
					vars := written(env, own, res)
					if err := render.Write(*out, vars, render.Options{Format: *format, Group: gid}); err != nil {
						return err
					}
				}
				rendered, err := pending.Commit()
				if len(rendered) > 0 {
					o.Logger.Info("templates rendered", "files", rendered)
				}
				return err
			}
			if err := write(res); err != nil || o.Settings.Watch == 0 {
				return err
			}
			// render --watch: a sidecar that keeps the output current
			// until SIGTERM, then exits 0.
			return watch.Poll(ctx, o.Logger, sess, res, o.Settings.Watch, write)
		}
	},
}

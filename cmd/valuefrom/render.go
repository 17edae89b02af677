package main

import (
	"context"
	"errors"
	"flag"
	"os"
	"os/user"
	"path/filepath"
	"strconv"

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
	summary: "write the resolved variables to a file or directory, then exit",
	outcome: "nothing was written",
	taskDef: true,
	groups:  []settings.Group{settings.Common, settings.Resolve, settings.Input, settings.Watch},
	setup: func(fs *flag.FlagSet, o *pipeline.Options) func(context.Context, *call) error {
		out := fs.String("out", "", "`PATH` the file, or for --format files the directory (required; its parent directory must exist)")
		format := fs.String("format", string(envfmt.Dotenv), "`F` dotenv, json, shell or files")
		group := fs.String("group", "", "`GROUP` group name or number to own the files, mode 0440")
		return func(ctx context.Context, c *call) error {
			if *out == "" {
				return usagef("--out is required: valuefrom render --out PATH")
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
			gid, err := lookupGroup(*group)
			if err != nil {
				return err
			}
			// Before any AWS call: the directory that will hold --out.
			dir := filepath.Dir(filepath.Clean(*out))
			if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
				return usagef("--out %s: its parent directory %s does not exist", *out, dir)
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
			write := func(res *pipeline.Result) error {
				env := envlist.Set(res.Environ, res.Set(), settings.IsSetting)
				vars := written(env, own, res)
				return render.Write(*out, vars, render.Options{Format: *format, Group: gid})
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

// lookupGroup returns the id of the group named or numbered by name, or -1
// for none.
func lookupGroup(name string) (int, error) {
	if name == "" {
		return -1, nil
	}
	if gid, err := strconv.Atoi(name); err == nil && gid >= 0 {
		return gid, nil
	}
	g, err := user.LookupGroup(name)
	if err != nil {
		return 0, usagef("--group %s: no such group", name)
	}
	gid, err := strconv.Atoi(g.Gid)
	if err != nil {
		return 0, usagef("--group: group %s has the id %q, not a number", name, g.Gid)
	}
	return gid, nil
}

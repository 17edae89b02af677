package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"os"

	"github.com/valuefrom/valuefrom/internal/pipeline"
	"github.com/valuefrom/valuefrom/internal/report"
	"github.com/valuefrom/valuefrom/internal/server"
	"github.com/valuefrom/valuefrom/internal/settings"
	"github.com/valuefrom/valuefrom/internal/watch"
)

// A command is a subcommand, valuefrom NAME [flags] ...; its help is
// help/NAME.txt.
type command struct {
	name, summary string // summary: its line in valuefrom -h
	outcome       string // what it leaves undone when it fails
	args          bool   // it takes arguments after its flags
	taskDef       bool   // it has --task-def and --container
	// groups are the groups of settings whose flags it has.
	groups []settings.Group
	// setup defines the command's own flags on fs and returns its body.
	setup func(fs *flag.FlagSet, o *pipeline.Options) func(ctx context.Context, c *call) error
}

// A call is one run of a command, after its flags.
type call struct {
	args, environ  []string
	stdout, stderr io.Writer
}

// execCommand replaces the process with the program; nil: syscall.Exec.
// The tests set it to see what would be run.
var execCommand func(path string, args, env []string) error

// commands are the subcommands, in the order valuefrom -h lists them. A
// first argument that names one runs it, unless "--" comes first:
// `valuefrom -- run` execs a program called run.
var commands = []*command{runCommand, envCommand, renderCommand, serveCommand, checkCommand, policyCommand}

// The groups of settings whose flags a start (valuefrom itself and run)
// has, and a mode that only resolves (env, check, policy).
var (
	startGroups   = []settings.Group{settings.Common, settings.Resolve, settings.Input, settings.Watch, settings.Supervise, settings.Template}
	resolveGroups = []settings.Group{settings.Common, settings.Resolve, settings.Input}
)

// run is valuefrom without the process, a function of its arguments: it
// reads settings from environ, parses args, and execs the command or runs
// a subcommand. Its error carries what exit needs to report it.
func run(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	s, loadErr := settings.Load(environ)
	rep := &report.RunError{Outcome: "the command was not started"}
	err := dispatch(ctx, &s, loadErr, args, environ, stdout, stderr, rep)
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return err
	}
	// What failed after a signal failed because of it; a supervised
	// program's exit is its own.
	if sig := (*signalError)(nil); errors.As(context.Cause(ctx), &sig) && !errors.As(err, new(*watch.ProgramError)) {
		err = sig
	}
	rep.Err, rep.JSON = err, s.LogFormat == "json"
	return rep
}

// dispatch parses the flags before the command and runs it, noting in rep
// the subcommand it runs. loadErr, the settings' error, is reported once
// the subcommand is known, so that its hint points at that subcommand's
// help.
func dispatch(ctx context.Context, s *settings.Settings, loadErr error, args, environ []string, stdout, stderr io.Writer, rep *report.RunError) error {
	fs := flag.NewFlagSet("valuefrom", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	s.Flags(fs, startGroups...)
	top := &pipeline.Options{}
	top.Flags(fs, false)
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := parse(fs, args, func() { usage(stdout, fs) }, nil); err != nil {
		return err
	}
	if *showVersion {
		printVersion(stdout)
		return nil
	}
	rest := fs.Args()
	dashed := len(args) > len(rest) && args[len(args)-len(rest)-1] == "--"
	var cmd *command
	if len(rest) > 0 && !dashed {
		cmd = lookupCommand(rest[0])
	}
	if cmd != nil {
		rep.Command, rep.Outcome = cmd.name, cmd.outcome
	}
	if loadErr != nil {
		return usageErr(loadErr)
	}
	if cmd != nil {
		// It checks the settings once its own flags have overridden them.
		return cmd.call(ctx, *s, top, rest[1:], environ, stdout, stderr)
	}
	if err := s.Validate(); err != nil {
		return usageErr(err)
	}
	if len(rest) == 0 {
		return usagef("no command given: valuefrom [flags] [--] COMMAND [ARGS...]")
	}
	o := pipeline.Options{Settings: *s, Profile: top.Profile, Region: top.Region, Logger: s.Logger(stderr), Exec: execCommand, Version: appVersion()}
	err := start(ctx, o, rest, environ, stdout, stderr)
	if !dashed && notFound(err, rest[0]) {
		if done, err := notProgram(rest, stdout, fs); done {
			return err
		}
	}
	if dashed {
		rep.Hint = subcommandHint(err, rest)
	}
	return err
}

// start runs the program args with the values of environ's references:
// pipeline.Start plans and resolves, then one call runs the plan: exec
// replaces the process with the program, or with VALUEFROM_WATCH set
// supervise mode keeps it as a child.
func start(ctx context.Context, o pipeline.Options, args, environ []string, stdout, stderr io.Writer) error {
	plan, sess, res, err := pipeline.Start(ctx, o, args, environ)
	if err != nil {
		return err
	}
	if o.Settings.Watch == 0 {
		return plan.Run(ctx)
	}
	return watch.Supervise(ctx, o, plan, sess, res, watch.Stdio{Stdin: os.Stdin, Stdout: stdout, Stderr: stderr})
}

// lookupCommand returns the subcommand called name, or nil.
func lookupCommand(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// parse parses args into fs, writes the help on -h, and checks s, if any,
// as the flags left it.
func parse(fs *flag.FlagSet, args []string, help func(), s *settings.Settings) error {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		help()
		return usageErr(err)
	}
	if err != nil {
		return flagError(fs, err)
	}
	if s != nil {
		if err := s.Validate(); err != nil {
			return usageErr(err)
		}
	}
	return nil
}

// flagSet returns the command's flags, bound to o, and its body.
func (c *command) flagSet(o *pipeline.Options) (*flag.FlagSet, func(context.Context, *call) error) {
	fs := flag.NewFlagSet("valuefrom "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o.Settings.Flags(fs, c.groups...)
	o.Flags(fs, c.taskDef)
	return fs, c.setup(fs, o)
}

// call parses the command's flags and runs it. top holds valuefrom's own
// --profile and --region, which the command's override.
func (c *command) call(ctx context.Context, s settings.Settings, top *pipeline.Options, args, environ []string, stdout, stderr io.Writer) error {
	o := &pipeline.Options{Settings: s, Profile: top.Profile, Region: top.Region, Exec: execCommand, Version: appVersion()}
	fs, body := c.flagSet(o)
	if err := parse(fs, args, func() { c.help(stdout) }, &o.Settings); err != nil {
		return err
	}
	if !c.args && fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	o.Logger = o.Settings.Logger(stderr)
	return body(ctx, &call{args: fs.Args(), environ: environ, stdout: stdout, stderr: stderr})
}

var runCommand = &command{
	name:    "run",
	summary: "run COMMAND with a task definition's variables and your AWS identity",
	args:    true,
	taskDef: true,
	groups:  startGroups,
	setup: func(fs *flag.FlagSet, o *pipeline.Options) func(context.Context, *call) error {
		return func(ctx context.Context, c *call) error {
			if len(c.args) == 0 {
				return usagef("no command given: valuefrom run [--task-def FILE] [flags] [--] COMMAND [ARGS...]")
			}
			environ, _, err := o.Overlay(ctx, c.environ)
			if err != nil {
				return err
			}
			return start(ctx, *o, c.args, environ, c.stdout, c.stderr)
		}
	},
}

var serveCommand = &command{
	name:    "serve",
	summary: "answer the Secrets Manager Agent's HTTP API on 127.0.0.1:2773",
	outcome: "the server was not started",
	groups:  server.Groups,
	setup: func(fs *flag.FlagSet, o *pipeline.Options) func(context.Context, *call) error {
		return func(ctx context.Context, c *call) error {
			return server.Run(ctx, *o, c.environ)
		}
	},
}

package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"strings"

	"github.com/valuefrom/valuefrom/exec"
	"github.com/valuefrom/valuefrom/internal/settings"
	"github.com/valuefrom/valuefrom/internal/taskdef"
)

const runUsage = `Usage:
  valuefrom run [--task-def FILE [--container NAME]] [--profile P] [--region R]
                [flags] [--] COMMAND [ARGS...]

Runs COMMAND as the entrypoint would, with your own AWS identity. With
--task-def, the container's environment and secrets are first laid over
the current environment, as ECS would set them: a secret wins over an
environment entry of the same name, and both win over the current
environment. A secret's bare valueFrom is an SSM parameter in the default
region, as in ECS. Then every reference is resolved, _FILE values are
written to files, and COMMAND replaces valuefrom.

FILE is the JSON of aws ecs describe-task-definition, a
register-task-definition input, or one container definition. The
container's VALUEFROM_IGNORE is honoured (added to --ignore); its other
VALUEFROM_* settings are not applied: yours are.

Flags:
  --task-def FILE      read the variables of a container of this task definition
  --container NAME     the container (needed when FILE has several)
  --profile P          AWS shared-config profile (default: AWS_PROFILE, or the SDK's chain)
  --region R           default AWS region (default: AWS_REGION, the profile's, or metadata)
  --concurrency, --max-attempts, --timeout, --ignore, --files-dir,
  --log-format, --log-level: as for valuefrom itself (see valuefrom -h)
  -h, --help           print this help and exit

Exit codes: as for valuefrom (see valuefrom -h); 2 also for an unreadable
or invalid task definition (named by line and column) or a missing
container, and for no COMMAND.
`

// runCmd is valuefrom run: the entrypoint on a laptop.
func runCmd(ctx context.Context, s *settings.Settings, args, environ []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("run", s)
	td := addTaskDefFlags(fs)
	a := addAWSFlags(fs)
	if err := parseFlags(fs, args, s, runUsage, stdout); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("no command given: valuefrom run [--task-def FILE] [flags] [--] COMMAND [ARGS...]")
	}
	environ, _, err := td.load(s, environ)
	if err != nil {
		return err
	}
	return entrypoint(ctx, *s, a, fs.Args(), environ, stderr)
}

// newFlagSet returns a flag set for a subcommand, with the settings flags.
func newFlagSet(name string, s *settings.Settings) *flag.FlagSet {
	fs := flag.NewFlagSet("valuefrom "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	settingsFlags(fs, s)
	return fs
}

// parseFlags parses a subcommand's flags, prints help on -h, and checks the
// settings as the flags left them.
func parseFlags(fs *flag.FlagSet, args []string, s *settings.Settings, help string, stdout io.Writer) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			io.WriteString(stdout, help)
			return err
		}
		return &usageError{err}
	}
	if err := s.Validate(); err != nil {
		return &usageError{err}
	}
	return nil
}

// taskDefFlags are --task-def and --container.
type taskDefFlags struct{ path, container string }

func addTaskDefFlags(fs *flag.FlagSet) *taskDefFlags {
	var t taskDefFlags
	fs.StringVar(&t.path, "task-def", "", "an ECS task definition (JSON) to take the variables from")
	fs.StringVar(&t.container, "container", "", "the container of the task definition")
	return &t
}

// vars returns the variables to look for references in: with --task-def
// the container's alone, else environ.
func (t *taskDefFlags) vars(s *settings.Settings, environ []string) ([]string, error) {
	if t.path != "" {
		environ = nil
	}
	vars, _, err := t.load(s, environ)
	return vars, err
}

// load lays the chosen container's variables over environ and returns the
// result, with the names the task definition set. Without --task-def it
// returns environ as it is. The container's VALUEFROM_IGNORE adds to
// s.Ignore, so that what ECS would pass through untouched is passed
// through here too.
func (t *taskDefFlags) load(s *settings.Settings, environ []string) ([]string, map[string]bool, error) {
	if t.path == "" {
		if t.container != "" {
			return nil, nil, usagef("--container needs --task-def")
		}
		return environ, nil, nil
	}
	c, err := taskdef.Load(t.path, t.container)
	if err != nil {
		return nil, nil, &usageError{err}
	}
	vars := c.Environ()
	own := make(map[string]bool, len(vars))
	for _, kv := range vars {
		name, _, _ := strings.Cut(kv, "=")
		own[name] = true
	}
	if ignore := exec.Getenv(vars, settings.Prefix+"IGNORE"); ignore != "" {
		s.Ignore = append(s.Ignore, strings.Split(ignore, ",")...)
	}
	return exec.Merge(environ, vars), own, nil
}

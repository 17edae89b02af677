package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/valuefrom/valuefrom/config"
	"github.com/valuefrom/valuefrom/exec"
	"github.com/valuefrom/valuefrom/preflight"
	"github.com/valuefrom/valuefrom/resolver"
	"github.com/valuefrom/valuefrom/taskdef"
)

const checkUsage = `Usage: valuefrom check [flags]

Examines every reference in the environment, or in a container of an ECS
task definition, without printing any value: whether it parses; whether
the secret or parameter exists in its region; whether the version, stage
or label exists; whether the JSON key is present; the KMS key that
protects it, that key's state and rotation; the secret's rotation. Each
row gets a verdict, ok, warning or fail, and each warning and failure a
hint. It reads each value once, as a task would, to prove it decrypts.

Flags:
  --task-def FILE     check this ECS task definition's references instead of the environment
  --container NAME    the container of --task-def (needed when it has several)
  --format F          table or json (default table)
  --ttl D             warn when a secret's rotation is due within D, such as a cache's TTL (default off)
  --profile NAME      AWS shared-config profile
  --region REGION     default AWS region, for short-form references

Exit codes: 0 every row ok, 6 warnings but no failure, 7 at least one failure,
2 usage, 1 an unexpected error.
`

// check runs `valuefrom check`.
func check(ctx context.Context, s config.Settings, args, environ []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	a := addAWSFlags(fs)
	src := addSourceFlags(fs)
	format := fs.String("format", "table", "table or json")
	ttl := fs.Duration("ttl", 0, "warn when a secret's rotation is due within this long")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			io.WriteString(stdout, checkUsage)
			return err
		}
		return usagef("check: %v", err)
	}
	if fs.NArg() > 0 {
		return usagef("check: unexpected argument %q", fs.Arg(0))
	}
	if *format != "table" && *format != "json" {
		return usagef("check: --format must be table or json, not %q", *format)
	}
	if *ttl < 0 {
		return usagef("check: --ttl must not be negative")
	}
	vars, err := src.environ(environ)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	cfg, err := checkAWSConfig(ctx, s, a, environ)
	if err != nil {
		return err
	}
	c := preflight.New(preflight.Config{AWS: cfg, Concurrency: s.Concurrency, RotationWindow: *ttl})
	rep := c.Check(ctx, vars, skipFunc(s))
	if *format == "json" {
		err = rep.WriteJSON(stdout)
	} else {
		err = rep.WriteTable(stdout)
	}
	if err != nil {
		return err
	}
	switch rep.Worst() {
	case preflight.Fail:
		return &checkError{fail: true, n: rep.Summary.Fail}
	case preflight.Warning:
		return &checkError{n: rep.Summary.Warning}
	}
	return nil
}

// sourceFlags say where check and policy find references.
type sourceFlags struct{ taskDef, container string }

func addSourceFlags(fs *flag.FlagSet) *sourceFlags {
	var f sourceFlags
	fs.StringVar(&f.taskDef, "task-def", "", "ECS task definition file to read references from")
	fs.StringVar(&f.container, "container", "", "container of --task-def")
	return &f
}

// environ returns the variables to look for references in: the task
// definition's container's, or environ.
func (f *sourceFlags) environ(environ []string) ([]string, error) {
	if f.taskDef == "" {
		if f.container != "" {
			return nil, usagef("--container needs --task-def")
		}
		return environ, nil
	}
	c, err := taskdef.Load(f.taskDef, f.container)
	if err != nil {
		return nil, usagef("--task-def: %v", err)
	}
	return c.Environ(), nil
}

// skipFunc returns what check and policy pass over: valuefrom's own
// settings and the ignored variables.
func skipFunc(s config.Settings) func(string) bool {
	return func(name string) bool { return config.IsSetting(name) || slices.Contains(s.Ignore, name) }
}

// checkAWSConfig loads the SDK configuration for check and policy, finding
// the default region as the entrypoint does.
func checkAWSConfig(ctx context.Context, s config.Settings, a *awsFlags, environ []string) (aws.Config, error) {
	cfg, err := resolver.LoadAWSConfig(ctx, resolver.AWSOptions{Region: a.region, Profile: a.profile, MaxAttempts: s.MaxAttempts, Concurrency: s.Concurrency})
	if err != nil {
		return cfg, fmt.Errorf("loading AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		getenv := func(k string) string { return exec.Getenv(environ, k) }
		// Without a region, only full ARNs can be checked; rows say so.
		cfg.Region, _ = resolver.FindRegion(ctx, cfg, getenv)
	}
	return cfg, nil
}

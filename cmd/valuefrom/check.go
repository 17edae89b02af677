package main

import (
	"context"
	"io"

	"github.com/valuefrom/valuefrom/internal/preflight"
	"github.com/valuefrom/valuefrom/internal/settings"
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
  --concurrency, --max-attempts, --timeout, --ignore, --log-format,
  --log-level: as for valuefrom itself (see valuefrom -h)
  -h, --help          print this help and exit

Exit codes: 0 every row ok, 6 warnings but no failure, 7 at least one failure,
2 usage, 1 an unexpected error.
`

// check runs `valuefrom check`.
func check(ctx context.Context, s *settings.Settings, args, environ []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("check", s)
	a := addAWSFlags(fs)
	td := addTaskDefFlags(fs)
	format := fs.String("format", "table", "table or json")
	ttl := fs.Duration("ttl", 0, "warn when a secret's rotation is due within this long")
	if err := parseFlags(fs, args, s, checkUsage, stdout); err != nil {
		return err
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
	vars, err := td.vars(s, environ)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	cfg, err := awsConfig(ctx, *s, a, environ, true)
	if err != nil {
		return err
	}
	c := preflight.New(preflight.Config{AWS: cfg, Concurrency: s.Concurrency, RotationWindow: *ttl})
	rep := c.Check(ctx, vars, skip(*s))
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

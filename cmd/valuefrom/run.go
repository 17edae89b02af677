package main

import (
	"github.com/valuefrom/valuefrom/internal/pipeline"

	"github.com/valuefrom/valuefrom/resolver/reference"

	"github.com/valuefrom/valuefrom/internal/awsapi"

	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/valuefrom/valuefrom/exec"
	"github.com/valuefrom/valuefrom/internal/settings"
	"github.com/valuefrom/valuefrom/resolver"
)

// A command is a subcommand of valuefrom, such as check or render. It gets
// the arguments after its name.
type command func(ctx context.Context, s *settings.Settings, args, environ []string, stdout, stderr io.Writer) error

// commands are the subcommands. A first argument that names one runs it,
// unless "--" comes first: `valuefrom -- run` execs a program called run.
var commands = map[string]command{
	"run":    runCmd,    // runcmd.go: the entrypoint on a laptop, with a task definition
	"env":    envCmd,    // env.go: print the resolved variables
	"render": renderCmd, // render.go: write the resolved variables to files, then exit
	"serve":  serve,     // serve.go: the sidecar server for the task's other containers
	"check":  check,     // check.go: examine every reference, print no value
	"policy": policy,    // policy.go: print the least-privilege IAM policy
}

// run is valuefrom without the process: it parses args, reads settings from
// environ, and execs the command or runs a subcommand.
func run(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	s, err := settings.Load(environ)
	if err != nil {
		return &usageError{err}
	}
	fs := flag.NewFlagSet("valuefrom", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	settingsFlags(fs, &s)
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(stdout)
			return err
		}
		return &usageError{err}
	}
	if *showVersion {
		printVersion(stdout)
		return nil
	}
	if err := s.Validate(); err != nil {
		return &usageError{err}
	}
	rest := fs.Args()
	dashed := len(args) > len(rest) && args[len(args)-len(rest)-1] == "--"
	if len(rest) == 0 {
		return usagef("no command given: valuefrom [flags] [--] COMMAND [ARGS...]")
	}
	outcome := "the command was not started"
	if cmd, ok := commands[rest[0]]; ok && !dashed {
		err = cmd(ctx, &s, rest[1:], environ, stdout, stderr)
		outcome = cmp.Or(outcomes[rest[0]], outcome)
	} else {
		err = entrypoint(ctx, s, nil, rest, environ, stderr)
	}
	if err != nil {
		return &reportError{err: err, json: s.LogFormat == "json", outcome: outcome}
	}
	return nil
}

// settingsFlags defines the flags that override VALUEFROM_* settings, with
// the settings' values as their defaults.
func settingsFlags(fs *flag.FlagSet, s *settings.Settings) {
	fs.IntVar(&s.Concurrency, "concurrency", s.Concurrency, "API calls in flight at once (VALUEFROM_CONCURRENCY)")
	fs.IntVar(&s.MaxAttempts, "max-attempts", s.MaxAttempts, "attempts per API call (VALUEFROM_MAX_ATTEMPTS)")
	fs.DurationVar(&s.Timeout, "timeout", s.Timeout, "deadline for resolving every reference (VALUEFROM_TIMEOUT)")
	fs.Func("ignore", "comma-separated variables to pass through untouched (VALUEFROM_IGNORE)", func(v string) error {
		s.Ignore = strings.Split(v, ",")
		return nil
	})
	fs.StringVar(&s.FilesDir, "files-dir", s.FilesDir, "directory for _FILE values (VALUEFROM_FILES_DIR)")
	fs.StringVar(&s.LogFormat, "log-format", s.LogFormat, "text or json (VALUEFROM_LOG_FORMAT)")
	fs.StringVar(&s.LogLevel, "log-level", s.LogLevel, "debug, info, warn or error (VALUEFROM_LOG_LEVEL)")
}

// warnUnknown warns about VALUEFROM_* variables that are no setting.
func warnUnknown(log *slog.Logger, environ []string) {
	for _, name := range settings.Unknown(environ) {
		log.Warn("unknown setting, ignored: check its spelling in valuefrom -h", "var", name, "did_you_mean", settings.Closest(name))
	}
}

// newLogger returns the logger the settings ask for, on stderr.
func newLogger(s settings.Settings, stderr io.Writer) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(s.LogLevel)) // validated already
	opts := &slog.HandlerOptions{Level: level}
	if s.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(stderr, opts))
	}
	return slog.New(slog.NewTextHandler(stderr, opts))
}

// entrypoint resolves the references in environ and execs args with them:
// the path of the entrypoint and of valuefrom run alike. a may be nil.
func entrypoint(ctx context.Context, s settings.Settings, a *awsFlags, args, environ []string, stderr io.Writer) error {
	log := newLogger(s, stderr)
	// Find the command first: a mistyped name costs no AWS call, and no
	// secret file is written for a command that cannot start. (A PATH
	// that is itself a reference is only known after resolving.)
	if path := exec.Getenv(environ, "PATH"); !reference.Is(path) {
		if _, err := exec.LookPath(args[0], path); err != nil {
			return err
		}
	}
	reqs, err := references(s, environ)
	if err != nil {
		return err
	}
	values, err := resolve(ctx, s, a, reqs, environ, log)
	if err != nil {
		return err
	}
	env, err := exec.Environment(environ, toVars(values), s.FilesDir, settings.IsSetting)
	if err != nil {
		return err
	}
	// A SIGTERM that came after the last call but before the exec was
	// taken by valuefrom's handler, not the command's: honour it here.
	if err := ctx.Err(); err != nil {
		return err
	}
	return exec.Exec(args, env)
}

// references finds the references in environ, skipping the settings and
// the ignored variables.
func references(s settings.Settings, environ []string) ([]reference.Request, error) {
	return pipeline.Find(environ, skip(s))
}

// skip reports the variables that are never references: valuefrom's own
// settings and the ignored ones.
func skip(s settings.Settings) func(string) bool {
	return func(name string) bool {
		return settings.IsSetting(name) || slices.ContainsFunc(s.Ignore, func(n string) bool { return strings.TrimSpace(n) == name })
	}
}

// awsConfig loads the SDK configuration for the settings and flags (a may
// be nil). When it has no region and needRegion is set, it looks in the ECS
// task and EC2 instance metadata; Region stays empty if neither answers.
func awsConfig(ctx context.Context, s settings.Settings, a *awsFlags, environ []string, needRegion bool) (aws.Config, error) {
	opts := awsapi.Options{MaxAttempts: s.MaxAttempts, Concurrency: s.Concurrency,
		RetryMode: exec.Getenv(environ, "AWS_RETRY_MODE")}
	if a != nil {
		opts.Profile, opts.Region = a.profile, a.region
	}
	cfg, err := awsapi.LoadConfig(ctx, opts)
	if err != nil {
		return cfg, fmt.Errorf("loading AWS configuration: %w", err)
	}
	if cfg.Region == "" && needRegion {
		getenv := func(k string) string { return exec.Getenv(environ, k) }
		cfg.Region, _ = awsapi.FindRegion(ctx, cfg, getenv)
	}
	return cfg, nil
}

// awsFlags are the flags of the subcommands that a developer runs with
// their own AWS identity.
type awsFlags struct{ profile, region string }

// addAWSFlags defines --profile and --region on fs.
func addAWSFlags(fs *flag.FlagSet) *awsFlags {
	var a awsFlags
	fs.StringVar(&a.profile, "profile", "", "AWS shared-config profile (default: AWS_PROFILE, or the SDK's default chain)")
	fs.StringVar(&a.region, "region", "", "default AWS region (default: AWS_REGION, the profile's, or the ECS or EC2 metadata)")
	return &a
}

// resolve resolves reqs under the settings' deadline, and logs a summary.
// a may be nil: the SDK's defaults then apply.
func resolve(ctx context.Context, s settings.Settings, a *awsFlags, reqs []reference.Request, environ []string, log *slog.Logger) ([]resolver.Value, error) {
	warnUnknown(log, environ)
	if len(reqs) == 0 {
		log.Debug("no references in the environment")
		return nil, nil
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	short := slices.ContainsFunc(reqs, func(r reference.Request) bool { return r.Ref.Region == "" })
	cfg, err := awsConfig(ctx, s, a, environ, short)
	if err != nil {
		return nil, err
	}
	if short && cfg.Region == "" {
		return nil, &usageError{awsapi.ErrNoRegion}
	}
	r := resolver.New(resolver.Config{AWS: cfg, Concurrency: s.Concurrency, Logger: log})
	values, err := r.Resolve(ctx, reqs)
	counts := map[reference.Service]int{}
	for _, req := range reqs {
		counts[req.Ref.Service]++
	}
	log.Info("resolved references", "ok", err == nil, "secretsmanager", counts[reference.SecretsManager],
		"ssm", counts[reference.SSM], "api_calls", r.Calls(), "duration", time.Since(start).Round(time.Millisecond))
	return values, err
}

func toVars(values []resolver.Value) []exec.Var {
	vars := make([]exec.Var, len(values))
	for i, v := range values {
		vars[i] = exec.Var{Name: v.Var, Value: v.Value}
	}
	return vars
}

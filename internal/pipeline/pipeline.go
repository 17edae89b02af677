package pipeline

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/valuefrom/valuefrom/exec"
	"github.com/valuefrom/valuefrom/internal/awsapi"
	"github.com/valuefrom/valuefrom/internal/settings"
	"github.com/valuefrom/valuefrom/resolver"
	"github.com/valuefrom/valuefrom/resolver/reference"
)

// Options say how a mode of valuefrom runs the pipeline.
type Options struct {
	Settings settings.Settings // after flags and validation
	Profile  string            // AWS shared-config profile; empty: the SDK's default chain
	Region   string            // default region; empty: the SDK's, else the ECS or EC2 metadata
	// TaskDef is the path of an ECS task definition whose container's
	// variables are laid over the environment (see Overlay); Container
	// names the container, needed when it has several.
	TaskDef, Container string
	// ToFile, when set, says for every variable whether its value goes to
	// a file of its own, where any byte is fine, in place of the _FILE
	// suffix: render's choice.
	ToFile func(name string) bool
	Logger *slog.Logger // nil discards
	// Exec replaces the process with a command (see Exec); nil means
	// exec.Exec. Tests set it to see what would be run.
	Exec func(args, env []string) error
	// Version is valuefrom's version: every request to AWS names it in
	// its User-Agent (see AppID).
	Version string
}

// Flags defines on fs the flags of o's AWS identity, --profile and
// --region, and with taskDef those of its task definition, --task-def and
// --container. Each usage starts with the name of its value in backquotes.
func (o *Options) Flags(fs *flag.FlagSet, taskDef bool) {
	fs.StringVar(&o.Profile, "profile", "", "`P` AWS shared-config profile (default: AWS_PROFILE or the SDK's chain)")
	fs.StringVar(&o.Region, "region", "", "`R` default AWS region (default: AWS_REGION, the profile's or metadata)")
	if taskDef {
		fs.StringVar(&o.TaskDef, "task-def", "", "`FILE` read the variables of a container of this ECS task definition")
		fs.StringVar(&o.Container, "container", "", "`NAME` the container of --task-def (needed when it has several)")
	}
}

// A UsageError is a mistake in how valuefrom was asked to run: a bad flag
// or setting, a task definition that cannot be used, a short-form
// reference with no default region. The CLI exits 2 for it.
type UsageError struct {
	Err  error
	Hint string // what to do about it, when more than reading the help
}

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Skip reports whether the variable name is never a reference: one of
// valuefrom's own settings, or one that o.Settings.Ignore names.
func (o Options) Skip(name string) bool {
	return settings.IsSetting(name) || slices.ContainsFunc(o.Settings.Ignore, func(n string) bool { return strings.TrimSpace(n) == name })
}

func (o Options) logger() *slog.Logger {
	if o.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Logger
}

// A Result is what Resolve found and fetched.
type Result struct {
	Requests []reference.Request // the references found, in environ's order
	Values   []resolver.Value    // their values
	Calls    int64               // the API calls made, not counting retries
}

// Vars returns the values as the variables to set.
func (r *Result) Vars() []exec.Var {
	vars := make([]exec.Var, len(r.Values))
	for i, v := range r.Values {
		vars[i] = exec.Var{Name: v.Var, Value: v.Value}
	}
	return vars
}

// Set returns the values by variable name, as exec.Environ takes them.
func (r *Result) Set() map[string]string {
	set := make(map[string]string, len(r.Values))
	for _, v := range r.Values {
		set[v.Var] = string(v.Value)
	}
	return set
}

// Resolved reports whether the variable name held a reference.
func (r *Result) Resolved(name string) bool {
	return slices.ContainsFunc(r.Requests, func(req reference.Request) bool { return req.Var == name })
}

// Resolve is the pipeline every mode runs: it finds the references in
// environ (every malformed one is reported before any network call), warns
// about VALUEFROM_* variables that are no setting, loads the AWS
// configuration, and resolves every reference under o.Settings.Timeout,
// then logs a summary line. A short-form reference with no default region
// is a *UsageError wrapping awsapi.ErrNoRegion. Failing references come
// back as resolver.Errors, every one of them; no value is ever logged.
func Resolve(ctx context.Context, o Options, environ []string) (*Result, error) {
	log := o.logger()
	reqs, err := Find(environ, o.Skip)
	if err != nil {
		return nil, err
	}
	if o.ToFile != nil {
		for i := range reqs {
			reqs[i].ToFile = o.ToFile(reqs[i].Var)
		}
	}
	WarnUnknown(log, environ)
	if len(reqs) == 0 {
		log.Debug("no references in the environment")
		return &Result{}, nil
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, o.Settings.Timeout)
	defer cancel()
	short := slices.ContainsFunc(reqs, func(r reference.Request) bool { return r.Ref.Region == "" })
	tracker := new(awsapi.Tracker)
	cfg, err := awsConfig(ctx, o, environ, short, tracker)
	if err != nil {
		return nil, err
	}
	if short && cfg.Region == "" {
		return nil, &UsageError{Err: awsapi.ErrNoRegion}
	}
	if err := awsapi.CheckCredentials(ctx, cfg, o.Profile); err != nil {
		return nil, usageError(err)
	}
	r := resolver.New(resolver.Config{AWS: cfg, Concurrency: o.Settings.Concurrency, Logger: log, Hint: hint})
	stop := reportProgress(log, r, tracker, len(reqs), start)
	values, err := r.Resolve(ctx, reqs)
	stop()
	counts := map[reference.Service]int{}
	for _, req := range reqs {
		counts[req.Ref.Service]++
	}
	log.Info("resolved references", "ok", err == nil, "secretsmanager", counts[reference.SecretsManager],
		"ssm", counts[reference.SSM], "api_calls", r.Calls(), "duration_ms", millis(time.Since(start)))
	if err != nil {
		return nil, err
	}
	return &Result{Requests: reqs, Values: values, Calls: r.Calls()}, nil
}

// Exec is the entrypoint: it resolves the references in environ and
// replaces the process with the command args, given the resolved values
// (see exec.Environment). It returns only on failure. The command is
// looked up first, so that a mistyped name costs no AWS call and writes
// no secret file, unless PATH is itself a reference.
func Exec(ctx context.Context, o Options, args, environ []string) error {
	if path := exec.Getenv(environ, "PATH"); !reference.Is(path) {
		if _, err := exec.LookPath(args[0], path); err != nil {
			return err
		}
	}
	res, err := Resolve(ctx, o, environ)
	if err != nil {
		return err
	}
	env, err := exec.Environment(environ, res.Vars(), o.Settings.FilesDir, settings.IsSetting)
	if err != nil {
		return err
	}
	// A SIGTERM that came after the last call but before the exec was
	// taken by valuefrom's handler, not the command's: honour it here.
	if err := ctx.Err(); err != nil {
		return err
	}
	if o.Exec != nil {
		return o.Exec(args, env)
	}
	return exec.Exec(args, env)
}

// AWSConfig loads the SDK configuration for o: credentials from the SDK's
// chain (which reads the process environment), o's profile and region,
// valuefrom's retryer, and AWS_RETRY_MODE from environ. When it has no
// region and needRegion is set, it looks in the ECS task and EC2 instance
// metadata that environ points at; Region stays empty if neither answers.
//
// Every request names valuefrom and o.Version in its User-Agent, the SDK's
// own log lines go to o.Logger, and a configuration that cannot be loaded
// (an unknown profile, a broken shared config file) is a *UsageError
// whose hint names the profile and the files.
func AWSConfig(ctx context.Context, o Options, environ []string, needRegion bool) (aws.Config, error) {
	return awsConfig(ctx, o, environ, needRegion, nil)
}

// awsConfig is AWSConfig, with every call watched by tracker when set.
func awsConfig(ctx context.Context, o Options, environ []string, needRegion bool, tracker *awsapi.Tracker) (aws.Config, error) {
	cfg, err := awsapi.LoadConfig(ctx, awsapi.Options{Profile: o.Profile, Region: o.Region,
		MaxAttempts: o.Settings.MaxAttempts, Concurrency: o.Settings.Concurrency,
		RetryMode: exec.Getenv(environ, "AWS_RETRY_MODE"),
		AppID:     AppID(o.Version), Logger: o.logger(), Tracker: tracker})
	if err != nil {
		return cfg, usageError(err)
	}
	if cfg.Region == "" && needRegion {
		getenv := func(k string) string { return exec.Getenv(environ, k) }
		cfg.Region, _ = awsapi.FindRegion(ctx, cfg, getenv)
	}
	return cfg, nil
}

// usageError makes a *awsapi.ConfigError a *UsageError with its hint, and
// returns any other error as it is.
func usageError(err error) error {
	if ce := (*awsapi.ConfigError)(nil); errors.As(err, &ce) {
		return &UsageError{Err: err, Hint: ce.Hint()}
	}
	return err
}

// AppID is the application id every request to AWS carries in its
// User-Agent, as app/valuefrom-VERSION, so that CloudTrail records which
// tool read a secret. The SDK allows 50 characters, and replaces any but
// letters, digits and !#$%&'*+-.^_`|~ with "-".
func AppID(version string) string {
	id := "valuefrom"
	if version != "" {
		id += "-" + version
	}
	if len(id) > 50 {
		id = id[:50]
	}
	return id
}

// millis is d in milliseconds, to the microsecond, as valuefrom's logs
// give every duration: a number, in a field named NAME_ms.
func millis(d time.Duration) float64 {
	return float64(d.Round(time.Microsecond)) / float64(time.Millisecond)
}

// WarnUnknown logs a warning for each VALUEFROM_* variable in environ that
// is no setting, with the setting nearest to it.
func WarnUnknown(log *slog.Logger, environ []string) {
	for _, name := range settings.Unknown(environ) {
		log.Warn("unknown setting, ignored: check its spelling in valuefrom -h", "var", name, "did_you_mean", settings.Closest(name))
	}
}

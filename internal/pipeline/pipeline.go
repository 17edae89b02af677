package pipeline

import (
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/valuefrom/valuefrom/exec"
	"github.com/valuefrom/valuefrom/internal/awsapi"
	"github.com/valuefrom/valuefrom/internal/envlist"
	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/platform"
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
	// Exec replaces the process with a program (see exec.Plan); nil means
	// syscall.Exec. Tests set it to see what would be run.
	Exec func(path string, args, env []string) error
	// Stdin is read by an env file named "-"; nil means os.Stdin.
	Stdin io.Reader
	// Version is valuefrom's version: every request to AWS names it in
	// its User-Agent (see awsapi.AppID).
	Version string
}

// Flags defines on fs the flags of o's AWS identity, --profile and
// --region, and with taskDef those of its task definition, --task-def and
// --container. Each usage starts with the name of its value in backquotes.
// o's values are kept as the flags' values until the flags are parsed, so
// that valuefrom's own --profile and --region carry over to a
// subcommand's, but the defaults shown in help are empty.
func (o *Options) Flags(fs *flag.FlagSet, taskDef bool) {
	profile, region := o.Profile, o.Region
	defer func() { o.Profile, o.Region = profile, region }()
	fs.StringVar(&o.Profile, "profile", "", "`P` AWS shared-config profile (default: AWS_PROFILE or the SDK's chain)")
	fs.StringVar(&o.Region, "region", "", "`R` default AWS region (default: AWS_REGION, the profile's or metadata)")
	if taskDef {
		fs.StringVar(&o.TaskDef, "task-def", "", "`FILE` read a container's variables from this task definition (- is stdin)")
		fs.StringVar(&o.Container, "container", "", "`NAME` the container of --task-def (needed when it has several)")
	}
}

// Skip reports whether the variable name is never a reference: one of
// valuefrom's own settings, or one that o.Settings.Ignore names.
func (o Options) Skip(name string) bool {
	return settings.IsSetting(name) || slices.ContainsFunc(o.Settings.Ignore, func(n string) bool { return strings.TrimSpace(n) == name })
}

// Log returns o.Logger, or a logger that discards when it is nil.
func (o Options) Log() *slog.Logger {
	if o.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Logger
}

// A Result is what a start (Start, Open) found and fetched.
type Result struct {
	Requests []reference.Request // the references found, in environ's order
	Values   []resolver.Value    // their values
	Calls    int64               // the API calls made, not counting retries
	// Environ is the environment the references were found in: environ
	// with the env files' variables beneath it. The values go over it.
	Environ []string
	// FileVars are the names the env files set.
	FileVars map[string]bool
}

// Vars returns the values as the variables to set.
func (r *Result) Vars() []exec.Var {
	vars := make([]exec.Var, len(r.Values))
	for i, v := range r.Values {
		vars[i] = exec.Var{Name: v.Var, Value: v.Value}
	}
	return vars
}

// Set returns the values by variable name, as envlist.Set takes them.
func (r *Result) Set() map[string]string {
	set := make(map[string]string, len(r.Values))
	for _, v := range r.Values {
		set[v.Var] = string(v.Value)
	}
	return set
}

// Resolved reports whether the variable name was resolved: it held a
// reference, or an SSM path or JSON secret set it.
func (r *Result) Resolved(name string) bool {
	return slices.ContainsFunc(r.Values, func(v resolver.Value) bool { return v.Var == name })
}

// A Session is what Open found and loaded before its first API call,
// the references and the AWS configuration, kept to resolve the same
// references again: a watching mode's cycles.
type Session struct {
	o       Options
	reqs    []reference.Request
	cfg     aws.Config
	tracker *awsapi.Tracker // what the calls' attempts met, for progress lines
	environ []string        // with the env files laid under it
	files   map[string]bool // the variables the env files set
	// fellBack is the fallback region each variable's value came from
	// when it was last warned about, until its own region gives it again.
	fellBack map[string]string
	// batchDenials are the regions where IAM denied BatchGetSecretValue:
	// each cycle's resolver asks them for no batch, and so no cycle warns
	// again.
	batchDenials resolver.BatchDenials
}

// Open resolves as Start does for no program and returns, with the
// result, a Session that resolves the same references again. With no
// reference in environ the Session is nil.
func Open(ctx context.Context, o Options, environ []string) (*Session, *Result, error) {
	ctx, cancel := withTimeout(ctx, o.Settings.Timeout)
	defer cancel()
	in, err := o.read(ctx, environ)
	if err != nil {
		return nil, nil, err
	}
	return o.resolveInputs(ctx, in)
}

// withTimeout is context.WithTimeout, which sets a run's deadline
// (o.Settings.Timeout). It is a variable for tests alone: they end the
// deadline on an event of theirs instead of the clock's
// (internal/testkit/fakeclock).
var withTimeout = context.WithTimeout

// resolveInputs loads the AWS configuration for in and resolves its
// references, at info level: a start's. With nothing to resolve, the
// Session is nil and the Result is what the env files gave.
func (o Options) resolveInputs(ctx context.Context, in *inputs) (*Session, *Result, error) {
	sess, err := o.connect(ctx, in)
	if err != nil || sess == nil {
		return nil, in.result(), err
	}
	res, err := sess.resolve(ctx, slog.LevelInfo)
	if err != nil {
		return nil, nil, err
	}
	return sess, res, nil
}

// Resolve resolves the session's references again under
// o.Settings.Timeout, with a resolver of its own and so no memo: each
// reference is fetched anew, with as many API calls as the first time,
// or fewer once IAM has denied BatchGetSecretValue in a region: that is
// asked, and warned about, once per session.
// Its summary line is logged at debug level.
func (s *Session) Resolve(ctx context.Context) (*Result, error) {
	ctx, cancel := withTimeout(ctx, s.o.Settings.Timeout)
	defer cancel()
	return s.resolve(ctx, slog.LevelDebug)
}

// WrapCredentials replaces the session's credentials provider with what
// wrap returns for it, for the cycles to come.
func (s *Session) WrapCredentials(wrap func(aws.CredentialsProvider) aws.CredentialsProvider) {
	if s.cfg.Credentials != nil {
		s.cfg.Credentials = wrap(s.cfg.Credentials)
	}
}

// inputs are what a run reads before any AWS call.
type inputs struct {
	environ []string            // with the env files beneath it
	reqs    []reference.Request // the references found in it
	files   map[string]bool     // the names the env files set
}

// result is the Result of inputs with nothing to resolve.
func (in *inputs) result() *Result { return &Result{Environ: in.environ, FileVars: in.files} }

// names returns the variables that hold references.
func (in *inputs) names() []string {
	names := make([]string, len(in.reqs))
	for i, r := range in.reqs {
		names[i] = r.Var
	}
	return names
}

// read reads the env files and finds the references in environ, every
// malformed one reported before any network call, and warns about
// VALUEFROM_* variables that are no setting.
func (o Options) read(ctx context.Context, environ []string) (*inputs, error) {
	environ, files, err := o.ReadEnvFiles(ctx, environ)
	if err != nil {
		return nil, err
	}
	reqs, err := Find(environ, o.Skip)
	if err != nil {
		return nil, err
	}
	if o.ToFile != nil {
		for i := range reqs {
			reqs[i].ToFile = o.ToFile(reqs[i].Var)
		}
	}
	WarnUnknown(o.Log(), environ)
	return &inputs{environ: environ, reqs: reqs, files: files}, nil
}

// connect loads the AWS configuration for in, checks the region and the
// credentials, and returns a Session that resolves in's references; nil
// when there is nothing to resolve.
func (o Options) connect(ctx context.Context, in *inputs) (*Session, error) {
	log := o.Log()
	if len(in.reqs) == 0 && !o.HasBulk() {
		log.Debug("no references in the environment")
		return nil, nil
	}
	short := o.HasBulk() || slices.ContainsFunc(in.reqs, func(r reference.Request) bool { return r.Ref.Region == "" })
	tracker := new(awsapi.Tracker)
	cfg, err := awsConfig(ctx, o, in.environ, short, tracker, true)
	if err != nil {
		return nil, err
	}
	if short && cfg.Region == "" {
		return nil, awsapi.ErrNoRegion
	}
	stop := waiting(log, "still loading AWS credentials")
	err = o.CheckCredentials(ctx, cfg)
	stop()
	if err != nil {
		return nil, err
	}
	return &Session{o: o, reqs: in.reqs, cfg: cfg, environ: in.environ, files: in.files, tracker: tracker,
		fellBack: make(map[string]string)}, nil
}

// resolve fetches the session's references with a new resolver and logs
// a summary line at level, and progress lines while it takes long.
func (s *Session) resolve(ctx context.Context, level slog.Level) (*Result, error) {
	log := s.o.Log()
	start := time.Now()
	r := resolver.New(resolver.Config{AWS: s.cfg, Concurrency: s.o.Settings.Concurrency, Logger: log,
		FallbackRegions: settings.Items(s.o.Settings.FallbackRegions), HedgeDelay: s.o.Settings.HedgeDelay,
		OnFallback: s.warnFallback, NoSecretBatches: !s.o.Settings.BatchSecrets, BatchDenials: &s.batchDenials})
	// The first resolve reports progress at info level, as a slow start
	// must be seen; a watch cycle's, like its summary, at debug: its
	// failures are warned about once each by the watch.
	stop := reportProgress(log, level, r, s.tracker, len(s.reqs), start)
	values, err := s.o.fetch(ctx, r, s.reqs, s.environ)
	err = withHints(awsapi.PlatformOf(s.cfg), err)
	stop()
	counts := map[reference.Service]int{}
	for _, req := range s.reqs {
		counts[req.Ref.Service]++
	}
	attrs := []any{"ok", err == nil, "secretsmanager", counts[reference.SecretsManager],
		"ssm", counts[reference.SSM], "api_calls", r.Calls(), "duration_ms", awsapi.Millis(time.Since(start))}
	if s.o.HasBulk() {
		attrs = append(attrs, "ssm_paths", len(s.o.Paths()), "json_secrets", len(s.o.JSONSecrets()))
	}
	if len(settings.Items(s.o.Settings.FallbackRegions)) > 0 {
		// The values a fallback region gave, each logged as a warning.
		fallback := 0
		for _, v := range values {
			if v.Fallback != "" {
				fallback++
			}
		}
		attrs = append(attrs, "fallback", fallback)
	}
	log.Log(ctx, level, "resolved references", attrs...)
	if err != nil {
		return nil, err
	}
	s.noteOwnRegion(values)
	return &Result{Requests: s.reqs, Values: values, Calls: r.Calls(), Environ: withNames(s.environ, values), FileVars: s.files}, nil
}

// warnFallback warns that v came from a fallback region rather than its
// own region, once per variable and fallback region for the session: a
// long outage is not warned about again at every watch cycle.
func (s *Session) warnFallback(v resolver.Value, region string) {
	if s.fellBack[v.Var] == v.Fallback {
		return
	}
	s.fellBack[v.Var] = v.Fallback
	s.o.Log().Warn(resolver.FallbackWarning, "var", v.Var, "ref", v.Ref.String(), "region", region, "fallback_region", v.Fallback)
}

// noteOwnRegion logs, once, each variable that a fallback region gave
// before and its own region gives again.
func (s *Session) noteOwnRegion(values []resolver.Value) {
	for _, v := range values {
		if fallback := s.fellBack[v.Var]; fallback != "" && v.Fallback == "" {
			delete(s.fellBack, v.Var)
			s.o.Log().Info("the value came from its own region again", "var", v.Var, "ref", v.Ref.String(), "fallback_region", fallback)
		}
	}
}

// Start is the pipeline of a start, the entrypoint's, run's and supervise
// mode's: it reads the env files and finds the references in environ,
// hands exec the program args and the names of the variables to set
// (exec.NewPlan, the one call into exec: the program is found and the
// _FILE names are checked, before any AWS call, so that a mistyped name
// costs no call and writes no secret file), loads the templates the plan
// renders (see Options.Templates; a template that cannot be used costs no
// call either), resolves the references, and returns the plan with the
// values, for exec to run (_FILE values, unless o.Settings.FilesDir says
// where, in a new directory under the platform's FilesBase: /tmp on
// Lambda), with the Session that resolves them again (nil when there is
// nothing to resolve) and the Result. With no args, the plan only builds
// the environment, as env prints it, and renders no template. Under
// o.Settings.Timeout.
func Start(ctx context.Context, o Options, args, environ []string) (*exec.Plan, *Session, *Result, error) {
	ctx, cancel := withTimeout(ctx, o.Settings.Timeout)
	defer cancel()
	in, err := o.read(ctx, environ)
	if err != nil {
		return nil, nil, nil, err
	}
	plan, err := exec.NewPlan(args, in.environ, in.names())
	if err != nil {
		return nil, nil, nil, err
	}
	if args != nil {
		templates, err := o.Templates(ctx)
		if err != nil {
			return nil, nil, nil, err
		}
		if templates != nil {
			plan.Templates = templates
		}
	}
	sess, res, err := o.resolveInputs(ctx, in)
	if err != nil {
		return nil, nil, nil, err
	}
	plan.Environ, plan.Vars, plan.FilesDir, plan.Drop = res.Environ, res.Vars(), o.Settings.FilesDir, settings.IsSetting
	plan.FilesBase = platform.Of(environ).FilesBase()
	plan.Exec = o.Exec
	return plan, sess, res, nil
}

// RemoveFiles removes the _FILE files written for a command that did not
// start or output that was not printed, and logs what it could not.
func (o Options) RemoveFiles(files *exec.Files) {
	if err := files.Remove(); err != nil {
		o.Log().Warn("could not remove the secret files", "error", err)
	}
}

// AWSConfig loads the SDK configuration for o: credentials from the SDK's
// chain (which reads the process environment), o's profile and region,
// valuefrom's retryer, and AWS_RETRY_MODE from environ. When it has no
// region and needRegion is set, it looks in the ECS task and EC2 instance
// metadata that environ points at; Region stays empty if neither answers.
//
// Every request names valuefrom and o.Version in its User-Agent, the SDK's
// own log lines go to o.Logger, and a configuration that cannot be loaded
// (an unknown profile, a broken shared config file) is a *exitcode.UsageError
// whose hint names the profile and the files, as is one of the SDK's own
// variables in environ that holds a reference (see awsapi.CheckInputs).
func AWSConfig(ctx context.Context, o Options, environ []string, needRegion bool) (aws.Config, error) {
	return awsConfig(ctx, o, environ, needRegion, nil, false)
}

// awsConfig is AWSConfig, with every call watched by tracker when set,
// and with the connections bounded by the concurrency for a start (see
// awsapi.Options.BoundConns).
func awsConfig(ctx context.Context, o Options, environ []string, needRegion bool, tracker *awsapi.Tracker, start bool) (aws.Config, error) {
	if err := awsapi.CheckInputs(environ); err != nil {
		return aws.Config{}, err
	}
	cfg, err := awsapi.LoadConfig(ctx, awsapi.Options{Profile: o.Profile, Region: o.Region,
		MaxAttempts: o.Settings.MaxAttempts, Concurrency: o.Settings.Concurrency, BoundConns: start,
		RetryMode: envlist.Get(environ, "AWS_RETRY_MODE"), Platform: platform.Of(environ),
		Version: o.Version, Logger: o.Log(), Tracker: tracker})
	if err != nil {
		return cfg, usageError(err)
	}
	if cfg.Region == "" && needRegion {
		cfg.Region, _ = awsapi.FindRegion(ctx, cfg, envlist.Getenv(environ))
	}
	return cfg, nil
}

// CheckCredentials makes sure cfg's credentials can be loaded (see
// awsapi.CheckCredentials), in the same words for every mode: an error
// is a *exitcode.UsageError with its hint.
func (o Options) CheckCredentials(ctx context.Context, cfg aws.Config) error {
	return usageError(awsapi.CheckCredentials(ctx, cfg, o.Profile))
}

// IsReference reports whether kv, a NAME=VALUE entry, holds something
// that starts like a reference, in a variable o does not skip.
func (o Options) IsReference(kv string) bool { return reference.Holds(kv, o.Skip) }

// usageError makes a *awsapi.ConfigError a *exitcode.UsageError with its hint, and
// returns any other error as it is.
func usageError(err error) error {
	if ce := (*awsapi.ConfigError)(nil); errors.As(err, &ce) {
		return &exitcode.UsageError{Err: err, Hint: ce.Hint()}
	}
	return err
}

// WarnUnknown logs a warning for each VALUEFROM_* variable in environ that
// is no setting, with the setting nearest to it.
func WarnUnknown(log *slog.Logger, environ []string) {
	for _, name := range settings.Unknown(environ) {
		log.Warn("unknown setting, ignored: check its spelling in valuefrom help settings", "var", name, "did_you_mean", settings.Closest(name))
	}
}

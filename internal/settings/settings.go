// Package settings owns valuefrom's own settings: the VALUEFROM_* variables,
// their defaults and documentation, and the checks that span them. Flags
// of the same meaning, defined in cmd, override them.
package settings

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/valuefrom/valuefrom/resolver/reference"
)

// Prefix starts the name of every setting. Variables with it are removed
// from the child's environment.
const Prefix = "VALUEFROM_"

// Settings are valuefrom's own settings. Each field is read from
// VALUEFROM_ and the field's name in upper snake case, as envconfig's
// split_words names it, and never from the bare name: the application's
// own TIMEOUT or IGNORE is not ours. The struct tags are envconfig's, and
// the one place each default is defined.
//
// The defaults, and why:
//   - Concurrency 64: a start resolves tens to a few hundred references,
//     and every call of it should go out in the first round trip: 500
//     references (334 SSM names, 166 secrets) are 34 GetParameters and 9
//     BatchGetSecretValue calls. One task's calls are not what throttles a
//     fleet: SSM's quota is per account and region (BENCHMARKS.md).
//   - MaxAttempts 30 with backoff from 100 ms, capped at 5 s, full jitter:
//     the deadline, not the count, should end the retries. In the fleet
//     simulation (BENCHMARKS.md: 200 tasks, SSM at 40 calls/s) 10 attempts
//     failed a task on throttling after 21 s, with 39 s of deadline left;
//     30 attempts of up to 5 s reach about the 60 s deadline.
//   - Timeout 60 s: long enough for a large fleet start under throttling;
//     short enough that a task with no route to AWS fails, and ECS
//     replaces it, within a minute rather than hanging.
//   - TTL 300 s: the Secrets Manager Agent's and the Lambda extension's
//     default, so a rotated secret reaches serve's clients within five
//     minutes.
//   - Stale 15 min: rides out a typical AWS incident or throttling burst
//     while bounding how old a served value can be (TTL + Stale = 20 min).
//   - MaxEntries 1000 and MaxConns 800: the agent's defaults.
//   - Watch unset: exec as before, at no cost. When set, Splay defaults to
//     a random delay of up to a quarter of Watch: a fleet's tasks that
//     started together (a deployment) then act on one rotation over a
//     quarter of the interval rather than at once, and the action still
//     comes well before the next cycle.
//   - HedgeDelay 5s: a call takes tens of milliseconds and the SDK's
//     retries of a blip a second or two; five seconds of silence is a
//     region in trouble, and asking another region then still starts the
//     task well within the 60 s deadline.
//   - BatchSecrets true: 50 secrets cost 3 calls instead of 50, one round
//     of calls with the parameters instead of two. A role without
//     secretsmanager:BatchGetSecretValue (the ECS docs grant only
//     GetSecretValue) still works: the denied batch falls back to
//     GetSecretValue, with one warning. false is for where that denial
//     must not happen at all: an SCP that denies the action, or an audit
//     that alerts on every AccessDenied in CloudTrail.
//   - StopTimeout 10s: docker stop's default, and a third of ECS's 30 s
//     stopTimeout, so that a restart on rotation leaves the task without
//     its program for seconds at most.
type Settings struct {
	Concurrency int           `split_words:"true" default:"64" desc:"API calls in flight at once (1-1000)"`
	MaxAttempts int           `split_words:"true" default:"30" desc:"attempts per API call, counting the first (1-100); throttling, 5xx and connection errors are retried with jittered backoff"`
	Timeout     time.Duration `split_words:"true" default:"60s" desc:"deadline for resolving every reference, as a Go duration (1s-1h)"`
	Ignore      []string      `split_words:"true" desc:"comma-separated names of variables to pass through untouched"`
	FilesDir    string        `split_words:"true" desc:"directory for the values of _FILE variables; default: a new private directory under /dev/shm, else the system temp dir"`
	LogFormat   string        `split_words:"true" default:"text" desc:"log and error format on stderr: text or json"`
	LogLevel    string        `split_words:"true" default:"info" desc:"debug, info, warn or error; no level ever logs a value"`

	// Regional outages: other regions' copies.
	FallbackRegions []string      `split_words:"true" desc:"comma-separated regions, in order, to ask when a reference's own region fails transiently or stalls: a secret's replica (same ARN, other region), or the SSM parameter of the same name (SSM does not replicate: mirror parameters yourself); never for not found, denied or KMS errors"`
	HedgeDelay      time.Duration `split_words:"true" default:"5s" desc:"with fallback regions: how long a region may go without answering before the next fallback region is asked too (100ms-10m)"`

	// How secrets are fetched.
	BatchSecrets bool `split_words:"true" default:"true" desc:"fetch up to 20 current secrets per BatchGetSecretValue call, with GetSecretValue for what a batch does not answer; false: one GetSecretValue per secret, for a role that may not call BatchGetSecretValue"`

	// Bulk inputs: variables from files, SSM paths and JSON secrets.
	EnvFile      []string `split_words:"true" desc:"comma-separated dotenv files whose variables (references or not) come beneath the environment, a later file over an earlier; - is standard input"`
	SsmPaths     []string `split_words:"true" desc:"comma-separated SSM paths: every parameter directly under each (under it at any depth with a trailing /**) becomes a variable, named by the rest of its name in upper case"`
	SecretsJson  []string `split_words:"true" desc:"comma-separated Secrets Manager references to JSON objects: each top-level key becomes a variable, named as for paths"`
	RequirePaths bool     `split_words:"true" default:"false" desc:"an SSM path with no parameters is an error, not a warning"`

	// valuefrom serve.
	Token      string        `split_words:"true" desc:"serve: the token clients send in X-Aws-Parameters-Secrets-Token; file:///PATH reads it from PATH"`
	TokenFile  string        `split_words:"true" desc:"serve: a file holding the token instead (trimmed); default: VALUEFROM_TOKEN, else AWS_TOKEN as the Secrets Manager Agent reads it"`
	Listen     string        `split_words:"true" default:"127.0.0.1:2773" desc:"serve: HOST:PORT to listen on; a non-loopback host is logged as a warning"`
	TTL        time.Duration `split_words:"true" default:"300s" desc:"serve: how long a fetched value is served before it is fetched again (0s-1h; 0s: every request asks AWS)"`
	Stale      time.Duration `split_words:"true" default:"15m" desc:"serve: how long past its TTL a value is still served while AWS fails transiently (0s-24h)"`
	MaxEntries int           `split_words:"true" default:"1000" desc:"serve: values kept in the cache, least recently used dropped first (1-100000)"`
	MaxConns   int           `split_words:"true" default:"800" desc:"serve: requests handled at once; more get HTTP 429 (1-10000)"`

	// Supervise mode (Watch set) and render --watch.
	Watch       time.Duration  `split_words:"true" desc:"re-resolve every D (+-10% jitter) and act on a change, staying the program's parent; render rewrites its output (100ms-24h); unset: exec, no watching"`
	OnChange    string         `split_words:"true" default:"restart" desc:"watch: what a changed value does: restart, signal:NAME (rewrite _FILE files, send NAME) or exit (stop, exit 8)"`
	Splay       *time.Duration `split_words:"true" desc:"watch: longest random delay before acting on a change (0s-24h); default: a quarter of VALUEFROM_WATCH"`
	StopSignal  string         `split_words:"true" default:"SIGTERM" desc:"watch: the signal that stops the program, before SIGKILL"`
	StopTimeout time.Duration  `split_words:"true" default:"10s" desc:"watch: how long the program has to stop before SIGKILL (100ms-1h)"`
	Mask        bool           `split_words:"true" default:"false" desc:"watch: replace every resolved value of 8 bytes or more in the program's stdout and stderr with [valuefrom:NAME]"`
}

// Load reads the settings from environ, a list of NAME=VALUE entries such
// as os.Environ returns, as envconfig reads them from the process: each
// field from VALUEFROM_ and its name in upper snake case, else its
// default; integers in Go's syntax (base prefixes allowed), durations as
// time.ParseDuration takes them, lists comma-separated. The last entry of
// a name wins. Its error names the first variable that does not parse,
// never its value; the settings that did parse are returned with it, so
// that the error can still be reported in the log format asked for.
func Load(environ []string) (Settings, error) {
	var s Settings
	var first error
	v := reflect.ValueOf(&s).Elem()
	for i, set := range settings() {
		value, ok := lookup(environ, set.key)
		if !ok && set.def == "" {
			continue
		}
		if !ok {
			value = set.def
		}
		if err := parse(v.Field(i), value); err != nil && first == nil {
			first = &VarError{Var: set.key, Err: fmt.Errorf("%s: not a valid %s", Name(set.key), kind(v.Field(i).Type()))}
		}
	}
	return s, first
}

// lookup returns the value of the last entry of name in environ.
func lookup(environ []string, name string) (string, bool) {
	prefix := name + "="
	for i := len(environ) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(environ[i], prefix); ok {
			return v, true
		}
	}
	return "", false
}

// parse sets field from value as envconfig does for the field types of
// Settings.
func parse(field reflect.Value, value string) error {
	switch field.Interface().(type) {
	case time.Duration:
		d, err := time.ParseDuration(value)
		field.SetInt(int64(d))
		return err
	case int:
		n, err := strconv.ParseInt(value, 0, strconv.IntSize)
		field.SetInt(n)
		return err
	case string:
		field.SetString(value)
	case []string:
		if strings.TrimSpace(value) != "" {
			field.Set(reflect.ValueOf(strings.Split(value, ",")))
		}
	case *time.Duration:
		d, err := time.ParseDuration(value)
		field.Set(reflect.ValueOf(&d))
		return err
	case bool:
		b, err := strconv.ParseBool(value)
		field.SetBool(b)
		return err
	default:
		return fmt.Errorf("unsupported type %s", field.Type())
	}
	return nil
}

func kind(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[time.Duration](), reflect.TypeFor[*time.Duration]():
		return "duration: a number and a unit, such as 30s or 2m"
	case reflect.TypeFor[bool]():
		return "boolean (true or false)"
	case reflect.TypeFor[int]():
		return "whole number"
	}
	return t.String()
}

// Logger returns the logger the settings ask for, writing to w. The
// settings must be valid.
func (s Settings) Logger(w io.Writer) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(s.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if s.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// Validate checks the settings, after flags have been applied. Its errors
// are *VarError, joined, and name the variable and the flag.
func (s Settings) Validate() error {
	var errs []error
	if s.Concurrency < 1 || s.Concurrency > 1000 {
		errs = append(errs, invalid("VALUEFROM_CONCURRENCY", "must be from 1 to 1000, not %d", s.Concurrency))
	}
	if s.MaxAttempts < 1 || s.MaxAttempts > 100 {
		errs = append(errs, invalid("VALUEFROM_MAX_ATTEMPTS", "must be from 1 to 100, not %d", s.MaxAttempts))
	}
	if s.Timeout < time.Second || s.Timeout > time.Hour {
		errs = append(errs, invalid("VALUEFROM_TIMEOUT", "must be from 1s to 1h, not %v", s.Timeout))
	}
	if s.LogFormat != "text" && s.LogFormat != "json" {
		errs = append(errs, invalid("VALUEFROM_LOG_FORMAT", "must be text or json, not %q", s.LogFormat))
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, s.LogLevel) {
		errs = append(errs, invalid("VALUEFROM_LOG_LEVEL", "must be debug, info, warn or error, not %q", s.LogLevel))
	}
	errs = append(errs, s.validateInputs()...)
	for _, r := range Items(s.FallbackRegions) {
		if !reference.IsRegion(r) {
			errs = append(errs, invalid("VALUEFROM_FALLBACK_REGIONS", "must list regions such as us-west-2, not %s", reference.Quote(r)))
		}
	}
	if s.HedgeDelay < 100*time.Millisecond || s.HedgeDelay > 10*time.Minute {
		errs = append(errs, invalid("VALUEFROM_HEDGE_DELAY", "must be from 100ms to 10m, not %v", s.HedgeDelay))
	}
	if s.Token != "" && s.TokenFile != "" {
		errs = append(errs, &VarError{Var: Prefix + "TOKEN", Err: errors.New("VALUEFROM_TOKEN and VALUEFROM_TOKEN_FILE are both set: set one")})
	}
	if s.FilesDir == "-" {
		errs = append(errs, invalid("VALUEFROM_FILES_DIR", "must name a directory, not - (standard input or output)"))
	}
	if s.TokenFile == "-" {
		errs = append(errs, invalid("VALUEFROM_TOKEN_FILE", "must name a file, not - (standard input)"))
	}
	if _, _, err := net.SplitHostPort(s.Listen); err != nil {
		errs = append(errs, invalid("VALUEFROM_LISTEN", "must be HOST:PORT, such as 127.0.0.1:2773, not %q", s.Listen))
	}
	if s.TTL < 0 || s.TTL > time.Hour {
		errs = append(errs, invalid("VALUEFROM_TTL", "must be from 0s to 1h, not %v", s.TTL))
	}
	if s.Stale < 0 || s.Stale > 24*time.Hour {
		errs = append(errs, invalid("VALUEFROM_STALE", "must be from 0s to 24h, not %v", s.Stale))
	}
	if s.MaxEntries < 1 || s.MaxEntries > 100000 {
		errs = append(errs, invalid("VALUEFROM_MAX_ENTRIES", "must be from 1 to 100000, not %d", s.MaxEntries))
	}
	if s.MaxConns < 1 || s.MaxConns > 10000 {
		errs = append(errs, invalid("VALUEFROM_MAX_CONNS", "must be from 1 to 10000, not %d", s.MaxConns))
	}
	if s.Watch != 0 && (s.Watch < 100*time.Millisecond || s.Watch > 24*time.Hour) {
		errs = append(errs, invalid("VALUEFROM_WATCH", "must be from 100ms to 24h, not %v", s.Watch))
	}
	if _, err := ParseOnChange(s.OnChange); err != nil {
		errs = append(errs, invalid("VALUEFROM_ON_CHANGE", "must be restart, signal:NAME or exit: %w", err))
	}
	if s.Mask && s.Watch == 0 {
		// Masking needs valuefrom to stay the program's parent; exec
		// mode would print every value unmasked.
		errs = append(errs, invalid("VALUEFROM_MASK", "needs VALUEFROM_WATCH (--watch): only supervise mode stays between the program and its output"))
	}
	if s.Splay != nil && (*s.Splay < 0 || *s.Splay > 24*time.Hour) {
		errs = append(errs, invalid("VALUEFROM_SPLAY", "must be from 0s to 24h, not %v", *s.Splay))
	}
	if _, err := ParseSignal(s.StopSignal); err != nil {
		errs = append(errs, invalid("VALUEFROM_STOP_SIGNAL", "%w", err))
	}
	if s.StopTimeout < 100*time.Millisecond || s.StopTimeout > time.Hour {
		errs = append(errs, invalid("VALUEFROM_STOP_TIMEOUT", "must be from 100ms to 1h, not %v", s.StopTimeout))
	}
	return errors.Join(errs...)
}

// SplayOrDefault returns the longest delay before acting on a change:
// Splay when set, else a quarter of Watch.
func (s Settings) SplayOrDefault() time.Duration {
	if s.Splay != nil {
		return *s.Splay
	}
	return s.Watch / 4
}

// WatchFlags defines on fs the flags of watching: --watch, and with
// supervise those of supervise mode, --on-change, --splay, --stop-signal,
// --stop-timeout and --mask. They are as Flags's.
func (s *Settings) WatchFlags(fs *flag.FlagSet, supervise bool) {
	fs.DurationVar(&s.Watch, "watch", s.Watch, "`D` re-resolve every D and act on a change (VALUEFROM_WATCH)")
	if supervise {
		fs.StringVar(&s.OnChange, "on-change", s.OnChange, "`A` restart, signal:NAME or exit (VALUEFROM_ON_CHANGE)")
		fs.Func("splay", "`D` longest random delay before acting on a change (VALUEFROM_SPLAY)", func(v string) error {
			d, err := time.ParseDuration(v)
			s.Splay = &d
			return err
		})
		fs.StringVar(&s.StopSignal, "stop-signal", s.StopSignal, "`SIG` the signal that stops the program (VALUEFROM_STOP_SIGNAL)")
		fs.DurationVar(&s.StopTimeout, "stop-timeout", s.StopTimeout, "`D` time to stop before SIGKILL (VALUEFROM_STOP_TIMEOUT)")
		fs.BoolVar(&s.Mask, "mask", s.Mask, "mask resolved values in the program's output; needs --watch (VALUEFROM_MASK)")
	}
	showDefaults(fs)
}

// A VarError is a problem with one setting. Its message names the
// variable and its flag, never a value that does not parse.
type VarError struct {
	Var string // the setting, such as VALUEFROM_TIMEOUT
	Err error
}

func (e *VarError) Error() string { return e.Err.Error() }
func (e *VarError) Unwrap() error { return e.Err }

// invalid returns a *VarError for key: its name and flag, then the
// message.
func invalid(key, format string, a ...any) *VarError {
	return &VarError{Var: key, Err: fmt.Errorf(Name(key)+" "+format, a...)}
}

// Check reads the settings in environ as the entrypoint does, with no
// flags, and returns every problem that would stop it, one per variable:
// each that does not parse, then each that Validate refuses. Unknown names
// are not problems here (see Unknown).
func Check(environ []string) []*VarError {
	var problems []*VarError
	var good []string
	for _, key := range keys() {
		value, ok := lookup(environ, key)
		if !ok {
			continue
		}
		if _, err := Load([]string{key + "=" + value}); err != nil {
			problems = append(problems, &VarError{Var: key, Err: err})
			continue
		}
		good = append(good, key+"="+value)
	}
	s, _ := Load(good)
	var joined interface{ Unwrap() []error }
	if err := s.Validate(); errors.As(err, &joined) {
		for _, e := range joined.Unwrap() {
			var ve *VarError
			if errors.As(e, &ve) {
				problems = append(problems, ve)
			}
		}
	}
	return problems
}

// Flags defines on fs the flags that override the settings every mode
// reads, with s's values as their defaults. Each usage starts with the
// name of its value in backquotes and ends with the setting's name in
// parentheses, and each flag's DefValue is the setting's default: what
// help texts show.
func (s *Settings) Flags(fs *flag.FlagSet) {
	fs.IntVar(&s.Concurrency, "concurrency", s.Concurrency, "`N` API calls in flight at once (VALUEFROM_CONCURRENCY)")
	fs.IntVar(&s.MaxAttempts, "max-attempts", s.MaxAttempts, "`N` attempts per API call (VALUEFROM_MAX_ATTEMPTS)")
	fs.DurationVar(&s.Timeout, "timeout", s.Timeout, "`D` deadline for resolving every reference (VALUEFROM_TIMEOUT)")
	commaFlag(fs, "ignore", "`A,B` variables to pass through untouched (VALUEFROM_IGNORE)", &s.Ignore)
	fs.StringVar(&s.FilesDir, "files-dir", s.FilesDir, "`DIR` directory for _FILE values (VALUEFROM_FILES_DIR)")
	fs.StringVar(&s.LogFormat, "log-format", s.LogFormat, "`F` text or json (VALUEFROM_LOG_FORMAT)")
	fs.StringVar(&s.LogLevel, "log-level", s.LogLevel, "`L` debug, info, warn or error (VALUEFROM_LOG_LEVEL)")
	commaFlag(fs, "fallback-regions", "`R,R` regions to ask in order when a reference's own fails or stalls (VALUEFROM_FALLBACK_REGIONS)", &s.FallbackRegions)
	fs.DurationVar(&s.HedgeDelay, "hedge-delay", s.HedgeDelay, "`D` ask the next fallback region after D without an answer (VALUEFROM_HEDGE_DELAY)")
	fs.BoolVar(&s.BatchSecrets, "batch-secrets", s.BatchSecrets, "up to 20 secrets per BatchGetSecretValue call; =false: one GetSecretValue each (VALUEFROM_BATCH_SECRETS)")
	showDefaults(fs)
}

// InputFlags defines on fs the flags of the bulk inputs, as Flags does.
// Each may be repeated; given at all, a flag's list replaces its
// variable's.
func (s *Settings) InputFlags(fs *flag.FlagSet) {
	listFlag(fs, "env-file", "`FILE` read variables from a dotenv file, beneath the environment; - is stdin (VALUEFROM_ENV_FILE)", &s.EnvFile)
	listFlag(fs, "ssm-path", "`PATH` a variable for each parameter under PATH; PATH/** for any depth (VALUEFROM_SSM_PATHS)", &s.SsmPaths)
	listFlag(fs, "secret-json", "`REF` a variable for each top-level key of a JSON secret (VALUEFROM_SECRETS_JSON)", &s.SecretsJson)
	fs.BoolVar(&s.RequirePaths, "require-paths", s.RequirePaths, "an SSM path with no parameters is an error (VALUEFROM_REQUIRE_PATHS)")
	showDefaults(fs)
}

// commaFlag defines a flag whose value, a comma-separated list, replaces
// *list, as the setting of the same meaning would.
func commaFlag(fs *flag.FlagSet, name, usage string, list *[]string) {
	fs.Func(name, usage, func(v string) error {
		*list = strings.Split(v, ",")
		return nil
	})
}

// listFlag defines a repeatable flag whose values, once it is given,
// replace list.
func listFlag(fs *flag.FlagSet, name, usage string, list *[]string) {
	given := false
	fs.Func(name, usage, func(v string) error {
		if !given {
			*list, given = nil, true
		}
		*list = append(*list, v)
		return nil
	})
}

// ServeFlags defines on fs the flags of the settings only serve reads, as
// Flags does.
func (s *Settings) ServeFlags(fs *flag.FlagSet) {
	fs.StringVar(&s.Listen, "listen", s.Listen, "`HOST:PORT` address to listen on; non-loopback is logged as a warning (VALUEFROM_LISTEN)")
	fs.DurationVar(&s.TTL, "ttl", s.TTL, "`D` how long a value is served before it is fetched again; 0s: always (VALUEFROM_TTL)")
	fs.DurationVar(&s.Stale, "stale", s.Stale, "`D` grace past the TTL while AWS fails transiently; 0s: none (VALUEFROM_STALE)")
	fs.IntVar(&s.MaxEntries, "max-entries", s.MaxEntries, "`N` values kept in the cache (VALUEFROM_MAX_ENTRIES)")
	fs.IntVar(&s.MaxConns, "max-conns", s.MaxConns, "`N` requests handled at once; more get 429 (VALUEFROM_MAX_CONNS)")
	showDefaults(fs)
}

// showDefaults sets the DefValue of each flag of fs whose usage ends with
// a setting's name to that setting's default, rather than the value the
// environment gave it.
func showDefaults(fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		if _, key, ok := strings.Cut(f.Usage, "("+Prefix); ok {
			f.DefValue = Default(Prefix + strings.TrimSuffix(key, ")"))
		}
	})
}

// IsSetting reports whether name is one of valuefrom's own variables.
func IsSetting(name string) bool { return strings.HasPrefix(name, Prefix) }

// Unknown returns the VALUEFROM_* names in environ that are not settings,
// most likely misspelt.
func Unknown(environ []string) []string {
	known := make(map[string]bool)
	for _, k := range keys() {
		known[k] = true
	}
	var unknown []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if IsSetting(name) && !known[name] {
			unknown = append(unknown, name)
		}
	}
	return unknown
}

// Closest returns the setting whose name is nearest to name, for a hint
// about a misspelt one, or "" when none is close (see Nearest).
func Closest(name string) string {
	if !IsSetting(name) {
		return ""
	}
	var suffixes []string
	for _, k := range keys() {
		suffixes = append(suffixes, strings.TrimPrefix(k, Prefix))
	}
	if s := Nearest(strings.TrimPrefix(name, Prefix), suffixes); s != "" {
		return Prefix + s
	}
	return ""
}

// Nearest returns the candidate nearest to name, ignoring case, for a
// did-you-mean hint, or "" when none is close: a typo is at most one
// edit (an insertion, a deletion, a substitution or two letters swapped)
// for every three letters of the candidate, so that VALUEFROM_FOO is no
// typo of VALUEFROM_TTL.
func Nearest(name string, candidates []string) string {
	best, bestDist := "", 0
	for _, c := range candidates {
		d := distance(strings.ToUpper(name), strings.ToUpper(c))
		if d <= max(1, len(c)/3) && (best == "" || d < bestDist) {
			best, bestDist = c, d
		}
	}
	return best
}

// distance is the optimal string alignment distance between a and b: the
// Levenshtein distance with a swap of two adjacent letters counting as one
// edit.
func distance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// settings lists the settings from Settings' struct tags, in order.
//
// It reads the tags itself rather than through envconfig.Usagef: that uses
// text/template, which calls reflect.Value.MethodByName, and that alone
// makes the linker keep every exported method of every type, the SDK
// clients' hundreds of operations among them (+5 MB of binary).
func settings() []setting { return settingsOnce() }

// settingsOnce reads the tags once: every flag's default is looked up in
// them, and reading them for each cost a start 1.3 ms of CPU.
var settingsOnce = sync.OnceValue(func() []setting {
	t := reflect.TypeFor[Settings]()
	out := make([]setting, 0, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		out = append(out, setting{key: Prefix + snake(f.Name), def: f.Tag.Get("default"), desc: f.Tag.Get("desc")})
	}
	return out
})

type setting struct{ key, def, desc string }

// snake turns a field name into its variable's name as envconfig's
// split_words does for the names used here: MaxAttempts is MAX_ATTEMPTS.
func snake(name string) string {
	var b strings.Builder
	for i, r := range name {
		if i > 0 && unicode.IsUpper(r) && !unicode.IsUpper(rune(name[i-1])) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}

// Default returns the default of the setting key, as its help shows it;
// "" when it has none or key is no setting.
func Default(key string) string {
	for _, s := range settings() {
		if s.key == key {
			return s.def
		}
	}
	return ""
}

func keys() []string {
	var ks []string
	for _, s := range settings() {
		ks = append(ks, s.key)
	}
	return ks
}

// Usage writes a table of the settings: name, default, description.
func Usage(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	for _, s := range settings() {
		def := s.def
		if def == "" {
			def = "-"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", s.key, def, s.desc)
	}
	return tw.Flush()
}

// Flag returns the flag that overrides the setting key, such as
// "--timeout" for VALUEFROM_TIMEOUT, or "" when it has none.
func Flag(key string) string {
	for flag, k := range flagKeys() {
		if k == key {
			return "--" + flag
		}
	}
	return ""
}

// Name names the setting key as errors do: with its flag, as in
// "VALUEFROM_TIMEOUT (--timeout)", when it has one.
func Name(key string) string {
	if f := Flag(key); f != "" {
		return key + " (" + f + ")"
	}
	return key
}

// flagKeys maps the name of every flag of Flags and ServeFlags to the
// setting it overrides.
func flagKeys() map[string]string {
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	var s Settings
	s.Flags(fs)
	s.ServeFlags(fs)
	s.WatchFlags(fs, true)
	s.InputFlags(fs)
	m := make(map[string]string)
	fs.VisitAll(func(f *flag.Flag) {
		if _, key, ok := strings.Cut(f.Usage, "("+Prefix); ok {
			m[f.Name] = Prefix + strings.TrimSuffix(key, ")")
		}
	})
	return m
}

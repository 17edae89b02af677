// Package settings owns valuefrom's own settings: the VALUEFROM_* variables,
// their defaults, ranges and documentation, the flags that override them,
// and the checks that span them, all derived from one definition per
// setting (the fields of Settings).
package settings

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/valuefrom/valuefrom/internal/envlist"
	"github.com/valuefrom/valuefrom/internal/platform"
	"github.com/valuefrom/valuefrom/resolver/reference"
)

// Prefix starts the name of every setting. Variables with it are removed
// from the child's environment.
const Prefix = "VALUEFROM_"

// Settings are valuefrom's own settings. Each field is read from
// VALUEFROM_ and the field's name in upper snake case, as envconfig's
// split_words names it, and never from the bare name: the application's
// own TIMEOUT or IGNORE is not ours.
//
// Each field is the one definition of its setting; parsing, the flags,
// the checks, valuefrom -h and the errors are derived from its tags:
//   - default: its default, as the variable would give it;
//   - range: MIN-MAX, the values it may take (a field with no default may
//     also be unset, its zero value);
//   - off: a duration that may also be "off" (see Off);
//   - oneof: the words it may be, space-separated;
//   - alias: an older name, still read (VALUEFROM_ and the alias);
//   - flag: NAME VALUE, the flag that overrides it, and VALUE the word its
//     help shows for the value (none for a boolean);
//   - group: which modes have the flag (see Group);
//   - list: for a list, comma (the flag's value is a comma-separated list
//     that replaces the setting's) or repeat (the flag repeats, each giving
//     one item; given at all, its items replace the setting's);
//   - usage: the flag's help, one line; desc: the setting's, when longer;
//   - references: its values are references by design. Any other
//     setting that holds one is an error: valuefrom does not resolve its
//     own settings;
//   - secret: its value is a credential, which no message shows.
//
// Cross-field checks, and those a tag cannot say, are in Validate.
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
//     replaces it, within a minute rather than hanging. On Lambda, whose
//     init phase lasts 10 s, a start given no timeout has the default cut
//     to fit it with time left to report (see platform.Platform.Deadline,
//     and Load).
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
	Concurrency int           `split_words:"true" default:"64" range:"1-1000" flag:"concurrency N" group:"common" usage:"API calls in flight at once"`
	MaxAttempts int           `split_words:"true" default:"30" range:"1-100" flag:"max-attempts N" group:"common" usage:"attempts per API call" desc:"attempts per API call, counting the first; throttling, 5xx and connection errors are retried with jittered backoff"`
	Timeout     time.Duration `split_words:"true" default:"60s" range:"1s-1h" flag:"timeout D" group:"common" usage:"deadline for resolving every reference" desc:"deadline for resolving every reference, as a Go duration"`
	Ignore      []string      `split_words:"true" list:"comma" flag:"ignore A,B" group:"resolve" usage:"variables to pass through untouched" desc:"comma-separated names of variables to pass through untouched"`
	FilesDir    string        `split_words:"true" flag:"files-dir DIR" group:"resolve" usage:"directory for _FILE values" desc:"directory for the values of _FILE variables; default: a new private directory under /dev/shm, else the system temp dir"`
	LogFormat   string        `split_words:"true" default:"text" oneof:"text json" flag:"log-format F" group:"common" usage:"text or json" desc:"log and error format on stderr: text or json"`
	LogLevel    string        `split_words:"true" default:"info" oneof:"debug info warn error" flag:"log-level L" group:"common" usage:"debug, info, warn or error" desc:"debug, info, warn or error; no level ever logs a value"`

	// Regional outages: other regions' copies.
	FallbackRegions []string      `split_words:"true" list:"comma" flag:"fallback-regions R,R" group:"common" usage:"regions to ask in order when a reference's own fails or stalls" desc:"comma-separated regions, in order, to ask when a reference's own region fails transiently or stalls: a secret's replica (same ARN, other region), or the SSM parameter of the same name (SSM does not replicate: mirror parameters yourself); never for not found, denied or KMS errors"`
	HedgeDelay      time.Duration `split_words:"true" default:"5s" range:"100ms-10m" off:"true" flag:"hedge-delay D" group:"common" usage:"ask the next fallback region after D without an answer; off: only on failure" desc:"with fallback regions: how long a region may go without answering before the next fallback region is asked too; off: only when it fails, never because it is slow"`

	// How secrets are fetched.
	BatchSecrets bool `split_words:"true" default:"true" flag:"batch-secrets" group:"resolve" usage:"up to 20 secrets per BatchGetSecretValue call; =false: one GetSecretValue each" desc:"fetch up to 20 current secrets per BatchGetSecretValue call, with GetSecretValue for what a batch does not answer; false: one GetSecretValue per secret, for a role that may not call BatchGetSecretValue"`

	// Bulk inputs: variables from files, SSM paths and JSON secrets.
	EnvFile      []string `split_words:"true" list:"repeat" flag:"env-file FILE" group:"input" usage:"read variables from a dotenv file, beneath the environment; - is stdin" desc:"comma-separated dotenv files whose variables (references or not) come beneath the environment, a later file over an earlier; - is standard input"`
	SsmPath      []string `split_words:"true" alias:"SSM_PATHS" list:"repeat" flag:"ssm-path PATH" group:"input" usage:"a variable for each parameter under PATH; PATH/** for any depth" desc:"comma-separated SSM paths: every parameter directly under each (under it at any depth with a trailing /**) becomes a variable, named by the rest of its name in upper case"`
	SecretJson   []string `split_words:"true" alias:"SECRETS_JSON" references:"true" list:"repeat" flag:"secret-json REF" group:"input" usage:"a variable for each top-level key of a JSON secret" desc:"comma-separated Secrets Manager references to JSON objects: each top-level key becomes a variable, named as for paths"`
	RequirePaths bool     `split_words:"true" default:"false" flag:"require-paths" group:"input" usage:"an SSM path with no parameters is an error" desc:"an SSM path with no parameters is an error, not a warning"`

	// valuefrom serve. The token has no flag: a command line is seen by
	// every user of the machine.
	Token      string        `split_words:"true" secret:"true" group:"serve" desc:"serve: the token clients send in X-Aws-Parameters-Secrets-Token; file:///PATH reads it from PATH"`
	TokenFile  string        `split_words:"true" group:"serve" desc:"serve: a file holding the token instead (trimmed); default: VALUEFROM_TOKEN, else AWS_TOKEN as the Secrets Manager Agent reads it"`
	Listen     string        `split_words:"true" default:"127.0.0.1:2773" flag:"listen HOST:PORT" group:"serve" usage:"address to listen on; non-loopback is logged as a warning" desc:"serve: HOST:PORT to listen on; a non-loopback host is logged as a warning"`
	TTL        time.Duration `split_words:"true" default:"300s" range:"0s-1h" flag:"ttl D" group:"serve" usage:"how long a value is served before it is fetched again; 0s: always" desc:"serve: how long a fetched value is served before it is fetched again; 0s: every request asks AWS"`
	Stale      time.Duration `split_words:"true" default:"15m" range:"0s-24h" flag:"stale D" group:"serve" usage:"grace past the TTL while AWS fails transiently; 0s: none" desc:"serve: how long past its TTL a value is still served while AWS fails transiently"`
	MaxEntries int           `split_words:"true" default:"1000" range:"1-100000" flag:"max-entries N" group:"serve" usage:"values kept in the cache" desc:"serve: values kept in the cache, least recently used dropped first"`
	MaxConns   int           `split_words:"true" default:"800" range:"1-10000" flag:"max-conns N" group:"serve" usage:"requests handled at once; more get 429" desc:"serve: requests handled at once; more get HTTP 429"`

	// Supervise mode (Watch set) and render --watch.
	Watch       time.Duration  `split_words:"true" range:"100ms-24h" flag:"watch D" group:"watch" usage:"re-resolve every D and act on a change" desc:"re-resolve every D (+-10% jitter) and act on a change, staying the program's parent; render rewrites its output; unset: exec, no watching"`
	OnChange    string         `split_words:"true" default:"restart" flag:"on-change A" group:"supervise" usage:"restart, signal:NAME or exit" desc:"watch: what a changed value does: restart, signal:NAME (rewrite _FILE files, send NAME) or exit (stop, exit 8)"`
	Splay       *time.Duration `split_words:"true" range:"0s-24h" flag:"splay D" group:"supervise" usage:"longest random delay before acting on a change" desc:"watch: longest random delay before acting on a change; default: a quarter of VALUEFROM_WATCH"`
	StopSignal  string         `split_words:"true" default:"SIGTERM" flag:"stop-signal SIG" group:"supervise" usage:"the signal that stops the program" desc:"watch: the signal that stops the program, before SIGKILL"`
	StopTimeout time.Duration  `split_words:"true" default:"10s" range:"100ms-1h" flag:"stop-timeout D" group:"supervise" usage:"time to stop before SIGKILL" desc:"watch: how long the program has to stop before SIGKILL"`
	Mask        bool           `split_words:"true" default:"false" flag:"mask" group:"supervise" usage:"mask resolved values in the program's output; needs --watch" desc:"watch: replace every resolved value of 8 bytes or more in the program's stdout and stderr with [valuefrom:NAME]"`

	// Templates: configuration files rendered with the values (see
	// package template and docs/templates.md).
	Template    []string `split_words:"true" alias:"TEMPLATES" list:"repeat" flag:"template SRC:DEST" group:"template" usage:"render the template SRC with the resolved values to the file DEST, mode 0400" desc:"comma-separated SRC:DEST pairs: each template SRC is rendered with the resolved values to the file DEST (mode 0400, atomic) before the program starts, and again on a change with --watch; render writes them too (docs/templates.md)"`
	TemplateEnv bool     `split_words:"true" default:"false" flag:"template-env" group:"template" usage:"templates may read the environment's plain variables too" desc:"templates may read the environment's plain variables too, not only those valuefrom resolved"`
	Group       string   `split_words:"true" flag:"group GROUP" group:"template" usage:"group name or number to own the files written, mode 0440" desc:"group name or number to own the rendered templates and render's output, mode 0440 instead of 0400"`
}

// Load reads the settings from environ, a list of NAME=VALUE entries such
// as os.Environ returns, as envconfig reads them from the process: each
// field from VALUEFROM_ and its name in upper snake case (or its alias),
// else its default; integers in Go's syntax (base prefixes allowed),
// durations as time.ParseDuration takes them, lists comma-separated. The
// last entry of a name wins. Its error names the first variable that does
// not parse, never its value, or else the first VALUEFROM_* variable that
// is no setting but so near one that it must be a misspelling (see
// Misspelt); the settings that did parse are returned with it, so that the
// error can still be reported in the log format asked for.
//
// The defaults are those of the platform environ says valuefrom runs on
// (platform.Of): on Lambda, VALUEFROM_TIMEOUT's is cut to fit the init
// phase (see DefaultTimeout).
func Load(environ []string) (Settings, error) {
	var s Settings
	var first error
	v := reflect.ValueOf(&s).Elem()
	for i, set := range all() {
		value, err := set.lookup(environ)
		if err == nil && value == nil && set.def == "" {
			continue
		}
		if err == nil && value == nil {
			value = &set.def
		}
		if err == nil && set.off && *value == "off" {
			v.Field(i).SetInt(int64(Off))
			continue
		}
		if err == nil && !set.references && reference.Is(*value) {
			held := "a reference, " + reference.Quote(*value)
			if set.secret {
				held = "a reference (not shown: it is a secret)"
			}
			err = &VarError{Var: set.key, Err: fmt.Errorf("%s holds %s: valuefrom does not resolve its own settings; give the value itself", Name(set.key), held)}
		}
		if err == nil {
			if parse(v.Field(i), *value) != nil {
				err = &VarError{Var: set.key, Err: fmt.Errorf("%s: not a valid %s", Name(set.key), set.kind())}
			}
		}
		if err != nil && first == nil {
			first = err
		}
	}
	if first == nil {
		if bad := Misspelt(environ); len(bad) > 0 {
			first = bad[0]
		}
	}
	if _, given := envlist.Lookup(environ, timeoutVar); !given {
		s.Timeout = DefaultTimeout(platform.Of(environ))
	}
	return s, first
}

// The settings whose defaults depend on the platform.
var (
	timeoutVar  = VarOf("Timeout")
	filesDirVar = VarOf("FilesDir")
)

// DefaultTimeout returns the default of VALUEFROM_TIMEOUT on the platform
// on: the setting's default, cut on Lambda to fit the init phase with
// time left to report a failure (platform.Platform.Deadline). The
// variable, or a flag (--timeout), still wins.
func DefaultTimeout(on platform.Platform) time.Duration {
	var def time.Duration
	parse(reflect.ValueOf(&def).Elem(), Default(timeoutVar))
	return on.Deadline(def)
}

// onLambda says, for the settings table, how the default of the setting
// key differs on Lambda; "" where it does not.
func onLambda(key string) string {
	lambda := platform.Platform{Lambda: true}
	switch key {
	case timeoutVar:
		return "default on Lambda (" + platform.RuntimeAPIVar + " set): " + DefaultTimeout(lambda).String() + ", to fit its " + platform.InitPhase.String() + " init phase"
	case filesDirVar:
		return "on Lambda, under " + lambda.FilesBase()
	}
	return ""
}

// lookup returns the value environ gives the setting, under its name or
// its alias; nil when neither is set. Both set is an error.
func (set setting) lookup(environ []string) (*string, error) {
	v, ok := envlist.Lookup(environ, set.key)
	if set.alias == "" {
		if !ok {
			return nil, nil
		}
		return &v, nil
	}
	old, oldOK := envlist.Lookup(environ, set.alias)
	switch {
	case ok && oldOK:
		return nil, &VarError{Var: set.key, Err: fmt.Errorf("%s and %s, its old name, are both set: set %[1]s alone", set.key, set.alias)}
	case oldOK:
		return &old, nil
	case ok:
		return &v, nil
	}
	return nil, nil
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

// kind says what the setting's value must be.
func (set setting) kind() string {
	k := kind(set.field.Type)
	if set.off {
		k += ", or off"
	}
	return k
}

func kind(t reflect.Type) string {
	if k := KindOf(reflect.Zero(t).Interface()); k != "" {
		return k
	}
	return t.String()
}

// KindOf says what a value of v's type must be written as, in the words
// every error about a setting or a flag uses; "" for a type it does not
// know.
func KindOf(v any) string {
	switch v.(type) {
	case time.Duration, *time.Duration:
		return "duration: a number and a unit, such as 30s or 2m"
	case bool:
		return "boolean: true or false"
	case int, int64, uint, uint64:
		return "whole number"
	}
	return ""
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

// Validate checks the settings, after flags have been applied: each
// against its range or words (from its tags), then the checks a tag
// cannot say. Its errors are *VarError, joined, and name the variable and
// the flag.
func (s Settings) Validate() error {
	var errs []error
	v := reflect.ValueOf(s)
	for i, set := range all() {
		if err := set.check(v.Field(i)); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, s.validateInputs()...)
	for _, r := range Items(s.FallbackRegions) {
		if !reference.IsRegion(r) {
			errs = append(errs, invalid(VarOf("FallbackRegions"), "must list regions such as us-west-2, not %s", reference.Quote(r)))
		}
	}
	if s.Token != "" && s.TokenFile != "" {
		errs = append(errs, &VarError{Var: VarOf("Token"), Err: fmt.Errorf("%s and %s are both set: set one", VarOf("Token"), VarOf("TokenFile"))})
	}
	if s.FilesDir == "-" {
		errs = append(errs, invalid(VarOf("FilesDir"), "must name a directory, not - (standard input or output)"))
	}
	if s.TokenFile == "-" {
		errs = append(errs, invalid(VarOf("TokenFile"), "must name a file, not - (standard input)"))
	}
	if _, _, err := net.SplitHostPort(s.Listen); err != nil {
		errs = append(errs, invalid(VarOf("Listen"), "must be HOST:PORT, such as 127.0.0.1:2773, not %q", s.Listen))
	}
	if _, err := ParseOnChange(s.OnChange); err != nil {
		errs = append(errs, invalid(VarOf("OnChange"), "must be restart, signal:NAME or exit: %w", err))
	}
	if s.Mask && s.Watch == 0 {
		// Masking needs valuefrom to stay the program's parent; exec
		// mode would print every value unmasked.
		errs = append(errs, invalid(VarOf("Mask"), "needs %s (--watch): only supervise mode stays between the program and its output", VarOf("Watch")))
	}
	if _, err := ParseSignal(s.StopSignal); err != nil {
		errs = append(errs, invalid(VarOf("StopSignal"), "%w", err))
	}
	if _, err := ParseTargets(Items(s.Template)); err != nil {
		errs = append(errs, invalid(TemplateVar, ": %w", err))
	}
	return errors.Join(errs...)
}

// check checks field, the setting's value, against its range or words.
// A setting with no default may be unset: its zero value.
func (set setting) check(field reflect.Value) error {
	if field.IsZero() && set.def == "" || set.off && field.Int() == int64(Off) {
		return nil
	}
	if field.Kind() == reflect.Pointer {
		field = field.Elem()
	}
	switch {
	case set.min != "":
		lo, hi := reflect.New(field.Type()).Elem(), reflect.New(field.Type()).Elem()
		parse(lo, set.min)
		parse(hi, set.max)
		if field.Int() < lo.Int() || field.Int() > hi.Int() {
			or := ""
			if set.off {
				or = ", or off"
			}
			return invalid(set.key, "must be from %s to %s%s, not %v", set.min, set.max, or, field.Interface())
		}
	case len(set.oneof) > 0:
		if !slices.Contains(set.oneof, field.String()) {
			return invalid(set.key, "must be %s, not %q", orList(set.oneof), field.String())
		}
	}
	return nil
}

// orList writes words as "a, b or c".
func orList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// SplayOrDefault returns the longest delay before acting on a change:
// Splay when set, else a quarter of Watch.
func (s Settings) SplayOrDefault() time.Duration {
	if s.Splay != nil {
		return *s.Splay
	}
	return s.Watch / 4
}

// Off is the value of a duration setting that is off, which those tagged
// off:"true" take as "off": VALUEFROM_HEDGE_DELAY=off, --hedge-delay off.
// It is negative, and no duration anyone writes.
const Off time.Duration = math.MinInt64

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
	sep := " "
	if strings.HasPrefix(format, ":") {
		sep = ""
	}
	return &VarError{Var: key, Err: fmt.Errorf(Name(key)+sep+format, a...)}
}

// Check reads the settings in environ as the entrypoint does, with no
// flags, and returns every problem that would stop it, one per variable:
// each that does not parse, each that Validate refuses, then each
// misspelt name (see Misspelt). Other unknown names are not problems here
// (see Unknown).
func Check(environ []string) []*VarError {
	var problems []*VarError
	var good []string
	for _, set := range all() {
		value, err := set.lookup(environ)
		if value == nil && err == nil {
			continue
		}
		if err == nil {
			_, err = Load([]string{set.key + "=" + *value})
		}
		if err != nil {
			ve := &VarError{Var: set.key, Err: err}
			errors.As(err, &ve)
			problems = append(problems, ve)
			continue
		}
		good = append(good, set.key+"="+*value)
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
	return append(problems, Misspelt(environ)...)
}

// IsSetting reports whether name is one of valuefrom's own variables.
func IsSetting(name string) bool { return strings.HasPrefix(name, Prefix) }

// A setting is what the tags of a field of Settings say.
type setting struct {
	key, alias  string // VALUEFROM_NAME, and the old name if any
	def, desc   string
	usage       string
	min, max    string   // the range, as the tag writes it
	oneof       []string // the words it may be
	flag, value string   // the flag's name and its value's word
	group       Group
	list        string // comma or repeat, for a list
	references  bool   // its values are references
	secret      bool   // its value is never shown
	off         bool   // a duration that may be off (see Off)
	field       reflect.StructField
}

// VarOf returns the variable of the Settings field named field, from its
// one definition; a name that is no field is a bug, and panics.
func VarOf(field string) string {
	for _, set := range all() {
		if set.field.Name == field {
			return set.key
		}
	}
	panic("settings: no field " + field)
}

// all lists the settings from Settings' struct tags, in order.
//
// It reads the tags itself rather than through envconfig.Usagef: that uses
// text/template, which calls reflect.Value.MethodByName, and that alone
// makes the linker keep every exported method of every type, the SDK
// clients' hundreds of operations among them (+5 MB of binary).
func all() []setting { return allOnce() }

// allOnce reads the tags once: every flag's default is looked up in them,
// and reading them for each cost a start 1.3 ms of CPU. Callers only read
// what it returns.
var allOnce = sync.OnceValue(func() []setting {
	t := reflect.TypeFor[Settings]()
	out := make([]setting, 0, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		set := setting{key: Prefix + snake(f.Name), def: f.Tag.Get("default"), usage: f.Tag.Get("usage"),
			desc: f.Tag.Get("desc"), group: Group(f.Tag.Get("group")), list: f.Tag.Get("list"), field: f}
		if a := f.Tag.Get("alias"); a != "" {
			set.alias = Prefix + a
		}
		if set.desc == "" {
			set.desc = set.usage
		}
		if r := f.Tag.Get("range"); r != "" {
			set.min, set.max, _ = strings.Cut(r, "-")
		}
		set.oneof = strings.Fields(f.Tag.Get("oneof"))
		set.references = f.Tag.Get("references") == "true"
		set.secret = f.Tag.Get("secret") == "true"
		set.off = f.Tag.Get("off") == "true"
		set.flag, set.value, _ = strings.Cut(f.Tag.Get("flag"), " ")
		out = append(out, set)
	}
	return out
})

// lookupSetting returns the setting key, or false.
func lookupSetting(key string) (setting, bool) {
	for _, s := range all() {
		if s.key == key {
			return s, true
		}
	}
	return setting{}, false
}

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
	s, _ := lookupSetting(key)
	return s.def
}

func keys() []string {
	var ks []string
	for _, s := range all() {
		ks = append(ks, s.key)
		if s.alias != "" {
			ks = append(ks, s.alias)
		}
	}
	return ks
}

// Usage writes a table of the settings: name, default, description with
// the range, and the old name where there is one.
func Usage(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	for _, s := range all() {
		def := s.def
		if def == "" {
			def = "-"
		}
		desc := s.desc
		if s.min != "" {
			desc += " (" + s.min + "-" + s.max + ")"
		}
		if l := onLambda(s.key); l != "" {
			desc += "; " + l
		}
		if s.alias != "" {
			desc += "; also read as " + s.alias
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", s.key, def, desc)
	}
	return tw.Flush()
}

// Flag returns the flag that overrides the setting key, such as
// "--timeout" for VALUEFROM_TIMEOUT, or "" when it has none.
func Flag(key string) string {
	if s, ok := lookupSetting(key); ok && s.flag != "" {
		return "--" + s.flag
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

package settings_test

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kelseyhightower/envconfig"

	"github.com/valuefrom/valuefrom/internal/settings"
)

// settingNames are every setting, as documented.
var settingNames = []string{
	"VALUEFROM_CONCURRENCY",
	"VALUEFROM_MAX_ATTEMPTS",
	"VALUEFROM_TIMEOUT",
	"VALUEFROM_IGNORE",
	"VALUEFROM_FILES_DIR",
	"VALUEFROM_LOG_FORMAT",
	"VALUEFROM_LOG_LEVEL",
	"VALUEFROM_FALLBACK_REGIONS",
	"VALUEFROM_HEDGE_DELAY",
	"VALUEFROM_BATCH_SECRETS",
	"VALUEFROM_ENV_FILE",
	"VALUEFROM_SSM_PATH",
	"VALUEFROM_SECRET_JSON",
	"VALUEFROM_REQUIRE_PATHS",
	"VALUEFROM_TOKEN",
	"VALUEFROM_TOKEN_FILE",
	"VALUEFROM_LISTEN",
	"VALUEFROM_TTL",
	"VALUEFROM_STALE",
	"VALUEFROM_MAX_ENTRIES",
	"VALUEFROM_MAX_CONNS",
	"VALUEFROM_WATCH",
	"VALUEFROM_ON_CHANGE",
	"VALUEFROM_SPLAY",
	"VALUEFROM_STOP_SIGNAL",
	"VALUEFROM_STOP_TIMEOUT",
	"VALUEFROM_MASK",
	"VALUEFROM_TEMPLATE",
	"VALUEFROM_TEMPLATE_ENV",
	"VALUEFROM_GROUP",
}

func defaults() settings.Settings {
	return settings.Settings{
		Concurrency:  64,
		MaxAttempts:  30,
		Timeout:      60 * time.Second,
		LogFormat:    "text",
		LogLevel:     "info",
		HedgeDelay:   5 * time.Second,
		BatchSecrets: true,
		Listen:       "127.0.0.1:2773",
		TTL:          300 * time.Second,
		Stale:        15 * time.Minute,
		MaxEntries:   1000,
		MaxConns:     800,
		OnChange:     "restart",
		StopSignal:   "SIGTERM",
		StopTimeout:  10 * time.Second,
	}
}

func TestLoadDefaults(t *testing.T) {
	got, err := settings.Load([]string{"PATH=/bin", "HOME=/root"})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if want := defaults(); !equal(got, want) {
		t.Errorf("Load() = %+v, want %+v", got, want)
	}
	if err := got.Validate(); err != nil {
		t.Errorf("defaults do not validate: %v", err)
	}
}

func equal(a, b settings.Settings) bool {
	return a.Concurrency == b.Concurrency &&
		a.MaxAttempts == b.MaxAttempts &&
		a.Timeout == b.Timeout &&
		slices.Equal(a.Ignore, b.Ignore) &&
		a.FilesDir == b.FilesDir &&
		a.LogFormat == b.LogFormat &&
		a.LogLevel == b.LogLevel &&
		slices.Equal(a.EnvFile, b.EnvFile) &&
		slices.Equal(a.SsmPath, b.SsmPath) &&
		slices.Equal(a.SecretJson, b.SecretJson) &&
		a.RequirePaths == b.RequirePaths &&
		a.Token == b.Token &&
		a.TokenFile == b.TokenFile &&
		a.Listen == b.Listen &&
		a.TTL == b.TTL &&
		a.Stale == b.Stale &&
		a.MaxEntries == b.MaxEntries &&
		a.MaxConns == b.MaxConns &&
		a.Watch == b.Watch &&
		a.OnChange == b.OnChange &&
		(a.Splay == nil) == (b.Splay == nil) && (a.Splay == nil || *a.Splay == *b.Splay) &&
		a.StopSignal == b.StopSignal &&
		a.StopTimeout == b.StopTimeout &&
		a.Mask == b.Mask &&
		slices.Equal(a.FallbackRegions, b.FallbackRegions) &&
		a.HedgeDelay == b.HedgeDelay &&
		a.BatchSecrets == b.BatchSecrets &&
		slices.Equal(a.Template, b.Template) &&
		a.TemplateEnv == b.TemplateEnv &&
		a.Group == b.Group
}

func durationPtr(d time.Duration) *time.Duration { return &d }

func TestLoadReadsEachSetting(t *testing.T) {
	tests := []struct {
		key   string
		value string
		want  func(*settings.Settings)
	}{
		{"VALUEFROM_CONCURRENCY", "7", func(s *settings.Settings) { s.Concurrency = 7 }},
		{"VALUEFROM_CONCURRENCY", "0x10", func(s *settings.Settings) { s.Concurrency = 16 }},
		{"VALUEFROM_MAX_ATTEMPTS", "3", func(s *settings.Settings) { s.MaxAttempts = 3 }},
		{"VALUEFROM_TIMEOUT", "2m30s", func(s *settings.Settings) { s.Timeout = 150 * time.Second }},
		{"VALUEFROM_IGNORE", "A,B_FILE,C", func(s *settings.Settings) { s.Ignore = []string{"A", "B_FILE", "C"} }},
		{"VALUEFROM_FILES_DIR", "/run/secrets", func(s *settings.Settings) { s.FilesDir = "/run/secrets" }},
		{"VALUEFROM_LOG_FORMAT", "json", func(s *settings.Settings) { s.LogFormat = "json" }},
		{"VALUEFROM_LOG_LEVEL", "debug", func(s *settings.Settings) { s.LogLevel = "debug" }},
		{"VALUEFROM_FALLBACK_REGIONS", "us-west-2,eu-west-1", func(s *settings.Settings) { s.FallbackRegions = []string{"us-west-2", "eu-west-1"} }},
		{"VALUEFROM_HEDGE_DELAY", "2s", func(s *settings.Settings) { s.HedgeDelay = 2 * time.Second }},
		{"VALUEFROM_ENV_FILE", "a.env,-", func(s *settings.Settings) { s.EnvFile = []string{"a.env", "-"} }},
		{"VALUEFROM_SSM_PATH", "/a,/b/**", func(s *settings.Settings) { s.SsmPath = []string{"/a", "/b/**"} }},
		{"VALUEFROM_SECRET_JSON", "secretsmanager:db", func(s *settings.Settings) { s.SecretJson = []string{"secretsmanager:db"} }},
		{"VALUEFROM_REQUIRE_PATHS", "true", func(s *settings.Settings) { s.RequirePaths = true }},
		{"VALUEFROM_TOKEN", "tok", func(s *settings.Settings) { s.Token = "tok" }},
		{"VALUEFROM_TOKEN_FILE", "/run/token", func(s *settings.Settings) { s.TokenFile = "/run/token" }},
		{"VALUEFROM_LISTEN", "127.0.0.1:9999", func(s *settings.Settings) { s.Listen = "127.0.0.1:9999" }},
		{"VALUEFROM_TTL", "1m", func(s *settings.Settings) { s.TTL = time.Minute }},
		{"VALUEFROM_STALE", "1h", func(s *settings.Settings) { s.Stale = time.Hour }},
		{"VALUEFROM_MAX_ENTRIES", "5", func(s *settings.Settings) { s.MaxEntries = 5 }},
		{"VALUEFROM_MAX_CONNS", "6", func(s *settings.Settings) { s.MaxConns = 6 }},
		{"VALUEFROM_WATCH", "5m", func(s *settings.Settings) { s.Watch = 5 * time.Minute }},
		{"VALUEFROM_ON_CHANGE", "signal:SIGHUP", func(s *settings.Settings) { s.OnChange = "signal:SIGHUP" }},
		{"VALUEFROM_SPLAY", "0s", func(s *settings.Settings) { s.Splay = durationPtr(0) }},
		{"VALUEFROM_SPLAY", "30s", func(s *settings.Settings) { s.Splay = durationPtr(30 * time.Second) }},
		{"VALUEFROM_STOP_SIGNAL", "SIGQUIT", func(s *settings.Settings) { s.StopSignal = "SIGQUIT" }},
		{"VALUEFROM_STOP_TIMEOUT", "3s", func(s *settings.Settings) { s.StopTimeout = 3 * time.Second }},
		{"VALUEFROM_MASK", "true", func(s *settings.Settings) { s.Mask = true }},
		{"VALUEFROM_BATCH_SECRETS", "false", func(s *settings.Settings) { s.BatchSecrets = false }},
		{"VALUEFROM_TEMPLATE", "a.tmpl:/run/a,b.tmpl:/run/b:c", func(s *settings.Settings) { s.Template = []string{"a.tmpl:/run/a", "b.tmpl:/run/b:c"} }},
		{"VALUEFROM_TEMPLATES", "a.tmpl:/run/a", func(s *settings.Settings) { s.Template = []string{"a.tmpl:/run/a"} }},
		{"VALUEFROM_TEMPLATE_ENV", "true", func(s *settings.Settings) { s.TemplateEnv = true }},
		{"VALUEFROM_GROUP", "nginx", func(s *settings.Settings) { s.Group = "nginx" }},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			got, err := settings.Load([]string{"PATH=/bin", tt.key + "=" + tt.value})
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			want := defaults()
			tt.want(&want)
			if !equal(got, want) {
				t.Errorf("Load() with %s=%s = %+v, want %+v", tt.key, tt.value, got, want)
			}
		})
	}
	tested := map[string]bool{}
	for _, tt := range tests {
		if tt.key != "VALUEFROM_TEMPLATES" { // an old name
			tested[tt.key] = true
		}
	}
	if len(tested) != len(settingNames) {
		t.Errorf("tested %d settings, want all %d", len(tested), len(settingNames))
	}
}

// TestLoadIgnoresUnprefixedNames: the application's own TIMEOUT or
// LOG_LEVEL are not valuefrom's settings.
func TestLoadIgnoresUnprefixedNames(t *testing.T) {
	tests := []struct {
		key   string
		value string
	}{
		{"CONCURRENCY", "7"},
		{"MAX_ATTEMPTS", "3"},
		{"TIMEOUT", "30"}, // an app's timeout in seconds
		{"IGNORE", "DB_PASSWORD"},
		{"FILES_DIR", "/app/files"},
		{"LOG_FORMAT", "logfmt"},
		{"LOG_LEVEL", "DEBUG"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			got, err := settings.Load([]string{tt.key + "=" + tt.value})
			if err != nil {
				t.Fatalf("Load with only %s set: %v", tt.key, err)
			}
			if want := defaults(); !equal(got, want) {
				t.Errorf("Load() with %s=%s = %+v, want the defaults %+v", tt.key, tt.value, got, want)
			}
		})
	}
}

func TestLoadError(t *testing.T) {
	const canary = "canary-secret-123"
	tests := []struct {
		key      string
		wantKind string
	}{
		{"VALUEFROM_TIMEOUT", "duration: a number and a unit, such as 30s or 2m"},
		{"VALUEFROM_CONCURRENCY", "whole number"},
		{"VALUEFROM_MAX_ATTEMPTS", "whole number"},
		{"VALUEFROM_TTL", "duration: a number and a unit, such as 30s or 2m"},
		{"VALUEFROM_MAX_CONNS", "whole number"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			_, err := settings.Load([]string{tt.key + "=" + canary})
			if err == nil {
				t.Fatalf("Load with a bad %s succeeded, want an error", tt.key)
			}
			msg := err.Error()
			if strings.Contains(msg, canary) {
				t.Fatalf("value leaked in the error for %s", tt.key)
			}
			if !strings.Contains(msg, settings.Name(tt.key)) {
				t.Errorf("error %q does not name %s", msg, settings.Name(tt.key))
			}
			if !strings.Contains(msg, tt.wantKind) {
				t.Errorf("error %q does not say it wants a %s", msg, tt.wantKind)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*settings.Settings)
		want   []string // in the error; none means valid
	}{
		{"defaults", func(*settings.Settings) {}, nil},
		{"lowest values", func(s *settings.Settings) { s.Concurrency, s.MaxAttempts, s.Timeout = 1, 1, time.Second }, nil},
		{"highest values", func(s *settings.Settings) { s.Concurrency, s.MaxAttempts, s.Timeout = 1000, 100, time.Hour }, nil},
		{"json warn", func(s *settings.Settings) { s.LogFormat, s.LogLevel = "json", "warn" }, nil},
		{"concurrency zero", func(s *settings.Settings) { s.Concurrency = 0 }, []string{"VALUEFROM_CONCURRENCY", "--concurrency"}},
		{"concurrency too high", func(s *settings.Settings) { s.Concurrency = 1001 }, []string{"VALUEFROM_CONCURRENCY", "--concurrency"}},
		{"concurrency negative", func(s *settings.Settings) { s.Concurrency = -1 }, []string{"VALUEFROM_CONCURRENCY", "--concurrency"}},
		{"attempts zero", func(s *settings.Settings) { s.MaxAttempts = 0 }, []string{"VALUEFROM_MAX_ATTEMPTS", "--max-attempts"}},
		{"attempts too high", func(s *settings.Settings) { s.MaxAttempts = 101 }, []string{"VALUEFROM_MAX_ATTEMPTS", "--max-attempts"}},
		{"timeout too short", func(s *settings.Settings) { s.Timeout = time.Second - 1 }, []string{"VALUEFROM_TIMEOUT", "--timeout"}},
		{"timeout too long", func(s *settings.Settings) { s.Timeout = time.Hour + 1 }, []string{"VALUEFROM_TIMEOUT", "--timeout"}},
		{"log format", func(s *settings.Settings) { s.LogFormat = "xml" }, []string{"VALUEFROM_LOG_FORMAT", "--log-format"}},
		{"log format case", func(s *settings.Settings) { s.LogFormat = "JSON" }, []string{"VALUEFROM_LOG_FORMAT", "--log-format"}},
		{"log level", func(s *settings.Settings) { s.LogLevel = "trace" }, []string{"VALUEFROM_LOG_LEVEL", "--log-level"}},
		{"watch", func(s *settings.Settings) {
			s.Watch, s.OnChange, s.Splay = 200*time.Millisecond, "signal:hup", durationPtr(0)
		}, nil},
		{"watch exit", func(s *settings.Settings) { s.Watch, s.OnChange, s.Mask = 24*time.Hour, "exit", true }, nil},
		{"mask without watch", func(s *settings.Settings) { s.Mask = true }, []string{"VALUEFROM_MASK", "--mask", "VALUEFROM_WATCH"}},
		{"watch too short", func(s *settings.Settings) { s.Watch = 99 * time.Millisecond }, []string{"VALUEFROM_WATCH", "--watch"}},
		{"watch too long", func(s *settings.Settings) { s.Watch = 25 * time.Hour }, []string{"VALUEFROM_WATCH", "--watch"}},
		{"on change", func(s *settings.Settings) { s.OnChange = "reload" }, []string{"VALUEFROM_ON_CHANGE", "--on-change"}},
		{"on change signal", func(s *settings.Settings) { s.OnChange = "signal:SIGFOO" }, []string{"VALUEFROM_ON_CHANGE", "--on-change", "SIGFOO"}},
		{"on change restart with signal", func(s *settings.Settings) { s.OnChange = "restart:SIGHUP" }, []string{"VALUEFROM_ON_CHANGE", "--on-change"}},
		{"splay negative", func(s *settings.Settings) { s.Splay = durationPtr(-1) }, []string{"VALUEFROM_SPLAY", "--splay"}},
		{"stop signal", func(s *settings.Settings) { s.StopSignal = "SIGKILL" }, []string{"VALUEFROM_STOP_SIGNAL", "--stop-signal"}},
		{"stop timeout", func(s *settings.Settings) { s.StopTimeout = 0 }, []string{"VALUEFROM_STOP_TIMEOUT", "--stop-timeout"}},
		{"files dir stdin", func(s *settings.Settings) { s.FilesDir = "-" }, []string{"VALUEFROM_FILES_DIR", "--files-dir", "not -"}},
		{"token file stdin", func(s *settings.Settings) { s.TokenFile = "-" }, []string{"VALUEFROM_TOKEN_FILE", "not -"}},
		{"token and token file", func(s *settings.Settings) { s.Token, s.TokenFile = "t", "/f" }, []string{"VALUEFROM_TOKEN and VALUEFROM_TOKEN_FILE are both set"}},
		{"listen", func(s *settings.Settings) { s.Listen = "2773" }, []string{"VALUEFROM_LISTEN", "--listen", "HOST:PORT"}},
		{"inputs", func(s *settings.Settings) {
			s.EnvFile = []string{"-", "a.env"}
			s.SsmPath = []string{" /prod/orders", "/prod/all/**", "/"}
			s.SecretJson = []string{"secretsmanager:db", "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"}
		}, nil},
		{"fallback regions", func(s *settings.Settings) {
			s.FallbackRegions, s.HedgeDelay = []string{"us-west-2", " eu-west-1", ""}, 100*time.Millisecond
		}, nil},
		{"fallback not a region", func(s *settings.Settings) { s.FallbackRegions = []string{"us-west-2", "uswest2"} }, []string{"VALUEFROM_FALLBACK_REGIONS", "--fallback-regions", "uswest2"}},
		{"hedge delay too short", func(s *settings.Settings) { s.HedgeDelay = 99 * time.Millisecond }, []string{"VALUEFROM_HEDGE_DELAY", "--hedge-delay"}},
		{"hedge delay too long", func(s *settings.Settings) { s.HedgeDelay = 11 * time.Minute }, []string{"VALUEFROM_HEDGE_DELAY", "--hedge-delay"}},
		{"hedge delay off", func(s *settings.Settings) { s.HedgeDelay = settings.Off }, nil},
		{"hedge delay negative", func(s *settings.Settings) { s.HedgeDelay = -time.Second }, []string{"VALUEFROM_HEDGE_DELAY", "or off"}},
		{"path without slash", func(s *settings.Settings) { s.SsmPath = []string{"prod/orders"} }, []string{"VALUEFROM_SSM_PATH", "--ssm-path", "prod/orders"}},
		{"path with a star", func(s *settings.Settings) { s.SsmPath = []string{"/prod/*"} }, []string{"VALUEFROM_SSM_PATH", "/**"}},
		{"json of a parameter", func(s *settings.Settings) { s.SecretJson = []string{"ssm:/db"} }, []string{"VALUEFROM_SECRET_JSON", "--secret-json", "--ssm-path"}},
		{"json with a key", func(s *settings.Settings) { s.SecretJson = []string{"secretsmanager:db:user::"} }, []string{"VALUEFROM_SECRET_JSON", `JSON key "user"`}},
		{"json not a reference", func(s *settings.Settings) { s.SecretJson = []string{"db"} }, []string{"VALUEFROM_SECRET_JSON", "not a reference"}},
		{"every error at once", func(s *settings.Settings) {
			*s = settings.Settings{}
		}, []string{"VALUEFROM_CONCURRENCY", "VALUEFROM_MAX_ATTEMPTS", "VALUEFROM_TIMEOUT", "VALUEFROM_LOG_FORMAT", "VALUEFROM_LOG_LEVEL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := defaults()
			tt.change(&s)
			err := s.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Errorf("Validate: %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate succeeded, want an error naming %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestIsSetting(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"VALUEFROM_TIMEOUT", true},
		{"VALUEFROM_TIMOUT", true},
		{"VALUEFROM_", true},
		{"VALUEFROM", false},
		{"valuefrom_timeout", false},
		{"MY_VALUEFROM_X", false},
		{"PATH", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := settings.IsSetting(tt.name); got != tt.want {
				t.Errorf("IsSetting(%q) = %v, want %v", tt.name, got, tt.want)
			}
		})
	}
}

func TestUnknown(t *testing.T) {
	tests := []struct {
		name    string
		environ []string
		want    []string
	}{
		{"none", []string{"PATH=/bin", "HOME=/root"}, nil},
		{"known settings only", func() []string {
			var env []string
			for _, n := range settingNames {
				env = append(env, n+"=x")
			}
			return env
		}(), nil},
		{
			"misspelt names in order",
			[]string{"VALUEFROM_TIMOUT=5s", "PATH=/bin", "VALUEFROM_TIMEOUT=5s", "VALUEFROM_CONCURENCY=4", "VALUEFROM_LOGLEVEL=debug"},
			[]string{"VALUEFROM_TIMOUT", "VALUEFROM_CONCURENCY", "VALUEFROM_LOGLEVEL"},
		},
		{"lower case is not a setting", []string{"valuefrom_timout=1"}, nil},
		{"unprefixed names are not reported", []string{"TIMEOUT=1", "IGNORE=x"}, nil},
		{"entry without equals", []string{"VALUEFROM_BOGUS"}, []string{"VALUEFROM_BOGUS"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := settings.Unknown(tt.environ); !slices.Equal(got, tt.want) {
				t.Errorf("Unknown = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestUsage(t *testing.T) {
	var buf bytes.Buffer
	if err := settings.Usage(&buf); err != nil {
		t.Fatalf("Usage: %v", err)
	}
	out := buf.String()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(settingNames) {
		t.Errorf("Usage has %d lines, want %d:\n%s", len(lines), len(settingNames), out)
	}
	defaults := map[string]string{
		"VALUEFROM_CONCURRENCY":      "64",
		"VALUEFROM_MAX_ATTEMPTS":     "30",
		"VALUEFROM_TIMEOUT":          "60s",
		"VALUEFROM_IGNORE":           "-",
		"VALUEFROM_FILES_DIR":        "-",
		"VALUEFROM_LOG_FORMAT":       "text",
		"VALUEFROM_LOG_LEVEL":        "info",
		"VALUEFROM_FALLBACK_REGIONS": "-",
		"VALUEFROM_HEDGE_DELAY":      "5s",
		"VALUEFROM_BATCH_SECRETS":    "true",
		"VALUEFROM_ENV_FILE":         "-",
		"VALUEFROM_SSM_PATH":         "-",
		"VALUEFROM_SECRET_JSON":      "-",
		"VALUEFROM_REQUIRE_PATHS":    "false",
		"VALUEFROM_TOKEN":            "-",
		"VALUEFROM_TOKEN_FILE":       "-",
		"VALUEFROM_LISTEN":           "127.0.0.1:2773",
		"VALUEFROM_TTL":              "300s",
		"VALUEFROM_STALE":            "15m",
		"VALUEFROM_MAX_ENTRIES":      "1000",
		"VALUEFROM_MAX_CONNS":        "800",
		"VALUEFROM_WATCH":            "-",
		"VALUEFROM_ON_CHANGE":        "restart",
		"VALUEFROM_SPLAY":            "-",
		"VALUEFROM_STOP_SIGNAL":      "SIGTERM",
		"VALUEFROM_STOP_TIMEOUT":     "10s",
		"VALUEFROM_MASK":             "false",
		"VALUEFROM_TEMPLATE":         "-",
		"VALUEFROM_TEMPLATE_ENV":     "false",
		"VALUEFROM_GROUP":            "-",
	}
	for _, name := range settingNames {
		t.Run(name, func(t *testing.T) {
			var line string
			for _, l := range lines {
				if f := strings.Fields(l); len(f) > 0 && f[0] == name {
					line = l
				}
			}
			if line == "" {
				t.Fatalf("Usage does not list %s:\n%s", name, out)
			}
			f := strings.Fields(line)
			if len(f) < 3 {
				t.Fatalf("Usage line %q: want name, default and description", line)
			}
			if got, want := f[1], defaults[name]; got != want {
				t.Errorf("Usage default for %s = %q, want %q", name, got, want)
			}
		})
	}
}

// TestKeysMatchEnvconfig checks that the names the help lists are the
// names envconfig reads, for every field.
func TestKeysMatchEnvconfig(t *testing.T) {
	var want bytes.Buffer
	if err := envconfig.Usagef("VALUEFROM", &settings.Settings{}, &want, "{{range .}}{{usage_key .}}\n{{end}}"); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := settings.Usage(&got); err != nil {
		t.Fatal(err)
	}
	for _, key := range strings.Fields(want.String()) {
		if !strings.Contains(got.String(), "  "+key+" ") {
			t.Errorf("Usage does not list %s, the name envconfig reads", key)
		}
		if u := settings.Unknown([]string{key + "=x"}); len(u) != 0 {
			t.Errorf("Unknown calls %s unknown", key)
		}
	}
}

func TestClosest(t *testing.T) {
	tests := []struct{ in, want string }{
		{"VALUEFROM_TIMEOUTS", "VALUEFROM_TIMEOUT"},
		{"VALUEFROM_MAXATTEMPTS", "VALUEFROM_MAX_ATTEMPTS"},
		{"VALUEFROM_FILE_DIR", "VALUEFROM_FILES_DIR"},
		{"VALUEFROM_LOGLEVEL", "VALUEFROM_LOG_LEVEL"},
		{"VALUEFROM_SOMETHING_ELSE", ""},
		{"VALUEFROM_TIMOUT", "VALUEFROM_TIMEOUT"},
		{"VALUEFROM_TIEMOUT", "VALUEFROM_TIMEOUT"}, // a swap is one edit
		{"VALUEFROM_TTL", "VALUEFROM_TTL"},
		{"VALUEFROM_TLL", "VALUEFROM_TTL"},
		{"VALUEFROM_log_level", "VALUEFROM_LOG_LEVEL"},
		{"VALUEFROM_FOO", ""}, // three edits from VALUEFROM_TTL: no typo (issue 11, item 10)
		{"VALUEFROM_X", ""},
		{"TIMEOUT", ""},
	}
	for _, tt := range tests {
		if got := settings.Closest(tt.in); got != tt.want {
			t.Errorf("Closest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNearest(t *testing.T) {
	commands := []string{"run", "env", "render", "serve", "check", "policy"}
	tests := []struct{ in, want string }{
		{"chekc", "check"},
		{"rnu", "run"},
		{"serv", "serve"},
		{"polcy", "policy"},
		{"RENDER", "render"},
		{"ls", ""},
		{"true", ""},
		{"checks-all", ""},
	}
	for _, tt := range tests {
		if got := settings.Nearest(tt.in, commands); got != tt.want {
			t.Errorf("Nearest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFlagAndKey(t *testing.T) {
	tests := []struct{ key, flag, name string }{
		{"VALUEFROM_TIMEOUT", "--timeout", "VALUEFROM_TIMEOUT (--timeout)"},
		{"VALUEFROM_MAX_CONNS", "--max-conns", "VALUEFROM_MAX_CONNS (--max-conns)"},
		{"VALUEFROM_TOKEN", "", "VALUEFROM_TOKEN"},
	}
	for _, tt := range tests {
		if got := settings.Flag(tt.key); got != tt.flag {
			t.Errorf("Flag(%s) = %q, want %q", tt.key, got, tt.flag)
		}
		if got := settings.Name(tt.key); got != tt.name {
			t.Errorf("Name(%s) = %q, want %q", tt.key, got, tt.name)
		}
	}
}

// TestValidateEscapes: a setting's bad value with a line separator, NEL or
// a bidi control is escaped in the error, so it cannot split or reverse
// the log line (issue 12, item 11).
func TestValidateEscapes(t *testing.T) {
	s := defaults()
	s.LogFormat, s.LogLevel, s.Listen = "x\u2028y", "a\u202eb", "h\u0085:1\x1b[2J"
	err := s.Validate()
	if err == nil {
		t.Fatal("Validate accepted bad settings")
	}
	for _, c := range []string{"\u2028", "\u202e", "\u0085", "\x1b"} {
		if strings.Contains(err.Error(), c) {
			t.Errorf("error holds %U raw", []rune(c)[0])
		}
	}
}

func TestLoadEdgeCases(t *testing.T) {
	tests := []struct {
		name    string
		environ []string
		want    func(*settings.Settings)
		wantErr string // in the error; empty means none
	}{
		{"last entry wins", []string{"VALUEFROM_CONCURRENCY=3", "VALUEFROM_CONCURRENCY=4"}, func(s *settings.Settings) { s.Concurrency = 4 }, ""},
		{"empty list", []string{"VALUEFROM_IGNORE="}, func(*settings.Settings) {}, ""},
		{"blank list", []string{"VALUEFROM_IGNORE=  "}, func(*settings.Settings) {}, ""},
		{"empty string", []string{"VALUEFROM_LISTEN="}, func(s *settings.Settings) { s.Listen = "" }, ""},
		{"empty number", []string{"VALUEFROM_CONCURRENCY="}, nil, "VALUEFROM_CONCURRENCY (--concurrency): not a valid whole number"},
		{"entry without equals", []string{"VALUEFROM_TIMEOUT"}, func(*settings.Settings) {}, ""},
		{"prefix of a name", []string{"VALUEFROM_TIMEOUTXYZ=1"}, func(*settings.Settings) {}, ""},
		{"one letter past a name", []string{"VALUEFROM_TIMEOUTX=1"}, nil, "VALUEFROM_TIMEOUTX is not a setting: did you mean VALUEFROM_TIMEOUT (--timeout)?"},
		{"first error reported", []string{"VALUEFROM_TIMEOUT=x", "VALUEFROM_CONCURRENCY=y"}, nil, "VALUEFROM_CONCURRENCY (--concurrency):"},
		// Issue 20: never hedge because the own region is slow.
		{"hedge delay off", []string{"VALUEFROM_HEDGE_DELAY=off"}, func(s *settings.Settings) { s.HedgeDelay = settings.Off }, ""},
		{"hedge delay bad", []string{"VALUEFROM_HEDGE_DELAY=never"}, nil, "VALUEFROM_HEDGE_DELAY (--hedge-delay): not a valid duration: a number and a unit, such as 30s or 2m, or off"},
		{"off is the hedge delay's alone", []string{"VALUEFROM_TIMEOUT=off"}, nil, "VALUEFROM_TIMEOUT (--timeout): not a valid duration: a number and a unit, such as 30s or 2m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := settings.Load(tt.environ)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Load error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			want := defaults()
			tt.want(&want)
			if !equal(got, want) {
				t.Errorf("Load(%q) = %+v, want %+v", tt.environ, got, want)
			}
		})
	}
}

// TestLoadKeepsWhatParsed: with a bad setting, the log format asked for is
// still known, so that the error can be reported in it.
func TestLoadKeepsWhatParsed(t *testing.T) {
	s, err := settings.Load([]string{"VALUEFROM_TIMEOUT=soon", "VALUEFROM_LOG_FORMAT=json", "VALUEFROM_MAX_CONNS=9"})
	if err == nil {
		t.Fatal("Load succeeded with a bad VALUEFROM_TIMEOUT")
	}
	if s.LogFormat != "json" || s.MaxConns != 9 {
		t.Errorf("LogFormat %q, MaxConns %d: want json and 9, parsed despite the error", s.LogFormat, s.MaxConns)
	}
}

// TestLoadMatchesEnvconfig checks Load against envconfig reading the same
// variables from the process, which is what valuefrom did before it read
// its argument: the same settings, or an error for the same variable.
func TestLoadMatchesEnvconfig(t *testing.T) {
	environs := [][]string{
		nil,
		{"VALUEFROM_CONCURRENCY=010", "VALUEFROM_MAX_ATTEMPTS=0x1f", "VALUEFROM_TIMEOUT=1m30s"},
		{"VALUEFROM_IGNORE=A, B,,C", "VALUEFROM_FILES_DIR=/tmp/x", "VALUEFROM_LOG_FORMAT=json", "VALUEFROM_LOG_LEVEL=warn"},
		{"VALUEFROM_IGNORE=", "VALUEFROM_TOKEN=", "VALUEFROM_LISTEN="},
		{"VALUEFROM_TOKEN=t", "VALUEFROM_TOKEN_FILE=/f", "VALUEFROM_TTL=0s", "VALUEFROM_STALE=2h", "VALUEFROM_MAX_ENTRIES=5", "VALUEFROM_MAX_CONNS=+6"},
		{"VALUEFROM_CONCURRENCY=1.5"},
		{"VALUEFROM_TIMEOUT=60"},
		{"VALUEFROM_MAX_ENTRIES= 5"},
		{"VALUEFROM_STALE="},
		{"VALUEFROM_SSM_PATH=/a,/b/**", "VALUEFROM_SECRET_JSON=secretsmanager:x", "VALUEFROM_ENV_FILE=a,-", "VALUEFROM_REQUIRE_PATHS=1"},
		{"VALUEFROM_REQUIRE_PATHS=yes"},
		{"TIMEOUT=5", "CONCURRENCY=x", "IGNORE=A"},
		{"VALUEFROM_WATCH=5m", "VALUEFROM_SPLAY=0s", "VALUEFROM_ON_CHANGE=exit", "VALUEFROM_STOP_SIGNAL=SIGQUIT", "VALUEFROM_STOP_TIMEOUT=2s", "VALUEFROM_MASK=1"},
		{"VALUEFROM_SPLAY=soon"},
		{"VALUEFROM_MASK=yes"},
	}
	for _, environ := range environs {
		t.Run(strings.Join(environ, " "), func(t *testing.T) {
			for _, kv := range os.Environ() {
				if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, settings.Prefix) || slices.Contains(settingNames, settings.Prefix+name) {
					t.Setenv(name, "")
					os.Unsetenv(name)
				}
			}
			for _, kv := range environ {
				name, v, _ := strings.Cut(kv, "=")
				t.Setenv(name, v)
			}
			var want settings.Settings
			wantErr := envconfig.Process("VALUEFROM", &want)
			got, err := settings.Load(environ)
			if (err != nil) != (wantErr != nil) {
				t.Fatalf("Load error %v, envconfig's %v", err, wantErr)
			}
			if err != nil {
				var pe *envconfig.ParseError
				if !errors.As(wantErr, &pe) || !strings.HasPrefix(err.Error(), settings.Name(pe.KeyName)+": ") {
					t.Errorf("Load error %q, envconfig's names another variable: %v", err, wantErr)
				}
				return
			}
			if !equal(got, want) {
				t.Errorf("Load = %+v, envconfig %+v", got, want)
			}
		})
	}
}

func TestLogger(t *testing.T) {
	tests := []struct {
		format, level string
		want          []string // pieces of the output of a debug and a warn line
		not           string
	}{
		{"text", "info", []string{`level=WARN msg=w`}, "msg=d"},
		{"text", "debug", []string{"level=DEBUG msg=d", "level=WARN msg=w"}, "{"},
		{"json", "warn", []string{`"level":"WARN","msg":"w"`}, `"msg":"d"`},
	}
	for _, tt := range tests {
		t.Run(tt.format+" "+tt.level, func(t *testing.T) {
			var buf bytes.Buffer
			s := defaults()
			s.LogFormat, s.LogLevel = tt.format, tt.level
			log := s.Logger(&buf)
			log.Debug("d")
			log.Warn("w")
			for _, w := range tt.want {
				if !strings.Contains(buf.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, buf.String())
				}
			}
			if strings.Contains(buf.String(), tt.not) {
				t.Errorf("output has %q:\n%s", tt.not, buf.String())
			}
		})
	}
}

// TestFlags: every setting but the tokens has a flag that overrides it,
// and help shows the setting's default, not the environment's value.
func TestFlags(t *testing.T) {
	s, err := settings.Load([]string{"VALUEFROM_CONCURRENCY=7", "VALUEFROM_TTL=1s"})
	if err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	s.Flags(fs, settings.Common, settings.Resolve, settings.Input, settings.Serve, settings.Watch, settings.Supervise, settings.Template)
	if s.Concurrency != 7 || s.TTL != time.Second {
		t.Errorf("defining the flags changed the settings: %+v", s)
	}
	var named []string
	fs.VisitAll(func(f *flag.Flag) {
		_, key, ok := strings.Cut(f.Usage, "(")
		key = strings.TrimSuffix(key, ")")
		if !ok || !slices.Contains(settingNames, key) {
			t.Errorf("--%s: usage %q does not end with its setting's name", f.Name, f.Usage)
		}
		named = append(named, key)
		if want := settings.Default(key); f.DefValue != want {
			t.Errorf("--%s: DefValue %q, want %s's default %q", f.Name, f.DefValue, key, want)
		}
	})
	for _, name := range settingNames {
		if !slices.Contains(named, name) && name != "VALUEFROM_TOKEN" && name != "VALUEFROM_TOKEN_FILE" {
			t.Errorf("no flag overrides %s", name)
		}
	}
	if err := fs.Parse([]string{"--concurrency", "9", "--ignore", "A,B", "--stale", "1m", "--watch", "1m", "--splay", "5s", "--mask"}); err != nil {
		t.Fatal(err)
	}
	if s.Concurrency != 9 || !slices.Equal(s.Ignore, []string{"A", "B"}) || s.Stale != time.Minute ||
		s.Watch != time.Minute || s.Splay == nil || *s.Splay != 5*time.Second || !s.Mask {
		t.Errorf("after the flags: %+v", s)
	}
	for _, tt := range []struct {
		arg  string
		want time.Duration
	}{{"off", settings.Off}, {"750ms", 750 * time.Millisecond}} {
		if err := fs.Parse([]string{"--hedge-delay", tt.arg}); err != nil || s.HedgeDelay != tt.want {
			t.Errorf("--hedge-delay %s: %v, %v; want %v", tt.arg, s.HedgeDelay, err, tt.want)
		}
	}
	if err := fs.Parse([]string{"--hedge-delay", "never"}); err == nil || !strings.Contains(err.Error(), "or off") {
		t.Errorf("--hedge-delay never: %v, want an error saying a duration or off", err)
	}
}

func TestParseOnChange(t *testing.T) {
	tests := []struct {
		in   string
		want settings.OnChange
		ok   bool
	}{
		{"restart", settings.OnChange{Action: settings.Restart}, true},
		{"exit", settings.OnChange{Action: settings.Exit}, true},
		{"signal:SIGHUP", settings.OnChange{Action: settings.Signal, Signal: syscall.SIGHUP}, true},
		{"signal:usr1", settings.OnChange{Action: settings.Signal, Signal: syscall.SIGUSR1}, true},
		{"signal:", settings.OnChange{}, false},
		{"signal:SIGKILL", settings.OnChange{}, false},
		{"exit:", settings.OnChange{}, false},
		{"Restart", settings.OnChange{}, false},
		{"", settings.OnChange{}, false},
	}
	for _, tt := range tests {
		got, err := settings.ParseOnChange(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseOnChange(%q) = %+v, %v; want %+v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestSplayOrDefault(t *testing.T) {
	s := defaults()
	s.Watch = 4 * time.Minute
	if got := s.SplayOrDefault(); got != time.Minute {
		t.Errorf("default splay for 4m = %v, want 1m", got)
	}
	s.Splay = durationPtr(0)
	if got := s.SplayOrDefault(); got != 0 {
		t.Errorf("splay 0s = %v, want 0s", got)
	}
}

// TestInputFlags: the input flags repeat, and given, replace the
// variable's list rather than add to it.
func TestInputFlags(t *testing.T) {
	s, err := settings.Load([]string{"VALUEFROM_SSM_PATH=/env", "VALUEFROM_ENV_FILE=env.env"})
	if err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	s.Flags(fs, settings.Input)
	if err := fs.Parse([]string{"--ssm-path", "/a", "--ssm-path", "/b/**", "--secret-json", "secretsmanager:j", "--require-paths"}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.SsmPath, []string{"/a", "/b/**"}) || !slices.Equal(s.SecretJson, []string{"secretsmanager:j"}) || !s.RequirePaths {
		t.Errorf("after the flags: %+v", s)
	}
	if !slices.Equal(s.EnvFile, []string{"env.env"}) {
		t.Errorf("an input not given as a flag lost its variable's list: %q", s.EnvFile)
	}
	if got := settings.Items([]string{" a ", "", "b", "  "}); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("Items = %q", got)
	}
}

// TestCheck: every setting that would stop the entrypoint, one problem per
// variable, each naming the variable and its flag, none its value.
func TestCheck(t *testing.T) {
	const canary = "canary-check-3f1a"
	environ := []string{"VALUEFROM_TIMEOUT=" + canary, "VALUEFROM_CONCURRENCY=0", "VALUEFROM_LOG_LEVEL=warn",
		"VALUEFROM_TOKEN=a", "VALUEFROM_TOKEN_FILE=/t", "VALUEFROM_TIMOUT=5s", "APP=1"}
	got := map[string]string{}
	for _, p := range settings.Check(environ) {
		got[p.Var] = p.Error()
	}
	want := map[string]string{
		"VALUEFROM_TIMEOUT":     "VALUEFROM_TIMEOUT (--timeout): not a valid duration",
		"VALUEFROM_CONCURRENCY": "VALUEFROM_CONCURRENCY (--concurrency) must be from 1 to 1000",
		"VALUEFROM_TOKEN":       "VALUEFROM_TOKEN and VALUEFROM_TOKEN_FILE are both set",
		"VALUEFROM_TIMOUT":      "VALUEFROM_TIMOUT is not a setting: did you mean VALUEFROM_TIMEOUT (--timeout)?",
	}
	if len(got) != len(want) {
		t.Errorf("Check found problems with %d variables, want %d: %q", len(got), len(want), slices.Sorted(maps.Keys(got)))
	}
	for v, w := range want {
		if !strings.HasPrefix(got[v], w) {
			t.Errorf("Check: %s: %q, want it to start %q", v, got[v], w)
		}
		if strings.Contains(got[v], canary) {
			t.Errorf("Check: %s: the value leaked", v)
		}
	}
	if p := settings.Check([]string{"VALUEFROM_TTL=1m", "A=b"}); len(p) != 0 {
		t.Errorf("Check of good settings: %v", p)
	}
}

// TestOldNames: a setting renamed so that its name and its flag's agree is
// still read under the name it shipped with; both names set is an error,
// not a silent choice.
func TestOldNames(t *testing.T) {
	for _, tt := range []struct{ old, name string }{
		{"VALUEFROM_SSM_PATHS", "VALUEFROM_SSM_PATH"},
		{"VALUEFROM_SECRETS_JSON", "VALUEFROM_SECRET_JSON"},
	} {
		value := "/a,secretsmanager:x"
		s, err := settings.Load([]string{tt.old + "=" + value})
		if err != nil {
			t.Fatalf("Load %s: %v", tt.old, err)
		}
		if got := append(s.SsmPath, s.SecretJson...); !slices.Equal(got, []string{"/a", "secretsmanager:x"}) {
			t.Errorf("Load %s read %q, want the list under the new name", tt.old, got)
		}
		_, err = settings.Load([]string{tt.old + "=" + value, tt.name + "=" + value})
		if err == nil || !strings.Contains(err.Error(), tt.name+" and "+tt.old) {
			t.Errorf("Load with both %s and %s = %v, want an error naming both", tt.name, tt.old, err)
		}
		if u := settings.Unknown([]string{tt.old + "=x"}); len(u) != 0 {
			t.Errorf("Unknown(%s) = %q: an old name is known", tt.old, u)
		}
	}
}

// TestMisspelt: a VALUEFROM_* name one edit, or a singular or plural, away
// from a setting stops the start and names the setting; a name further off
// is only Unknown's.
func TestMisspelt(t *testing.T) {
	for _, tt := range []struct{ name, meant string }{
		{"VALUEFROM_SSM_PATHZ", "VALUEFROM_SSM_PATH"},
		{"VALUEFROM_TIMOUT", "VALUEFROM_TIMEOUT"},
		{"VALUEFROM_FALLBACK_REGION", "VALUEFROM_FALLBACK_REGIONS"},
		{"VALUEFROM_ENV_FILES", "VALUEFROM_ENV_FILE"},
		{"VALUEFROM_SECRETS_JSONS", "VALUEFROM_SECRET_JSON"},
		{"VALUEFROM_MAX_CONN", "VALUEFROM_MAX_CONNS"},
		{"VALUEFROM_REQUIRE_PATH", "VALUEFROM_REQUIRE_PATHS"},
		{"VALUEFROM_IGNORES", "VALUEFROM_IGNORE"},
		{"VALUEFROM_FOO", ""},
		{"VALUEFROM_TIMEOUT_SECONDS", ""},
		{"VALUEFROM_SSM", ""},
	} {
		errs := settings.Misspelt([]string{tt.name + "=canary-misspelt"})
		switch {
		case tt.meant == "" && len(errs) != 0:
			t.Errorf("Misspelt(%s) = %v, want none: it is no near miss", tt.name, errs)
		case tt.meant != "" && (len(errs) != 1 || errs[0].Var != tt.name || !strings.Contains(errs[0].Error(), "did you mean "+tt.meant+" ")):
			t.Errorf("Misspelt(%s) = %v, want one error naming %s", tt.name, errs, tt.meant)
		case len(errs) > 0 && strings.Contains(errs[0].Error(), "canary"):
			t.Errorf("Misspelt(%s): the value leaked", tt.name)
		}
	}
}

// TestFlagsFromTags: every flag says the setting it overrides through its
// Value, not its usage text, and a flag's bad value is parsed as the
// variable's would be.
func TestFlagsFromTags(t *testing.T) {
	var s settings.Settings
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	s.Flags(fs, settings.Common, settings.Resolve, settings.Input, settings.Serve, settings.Watch, settings.Supervise, settings.Template)
	fs.VisitAll(func(f *flag.Flag) {
		v, ok := f.Value.(interface{ Setting() string })
		if !ok || settings.Flag(v.Setting()) != "--"+f.Name {
			t.Errorf("--%s does not name its setting through its Value", f.Name)
		}
	})
	if err := fs.Parse([]string{"--timeout", "soon"}); err == nil {
		t.Errorf("--timeout soon parsed")
	}
	if err := fs.Parse([]string{"--batch-secrets=false", "--mask"}); err != nil || s.BatchSecrets || !s.Mask {
		t.Errorf("boolean flags: %v; BatchSecrets %v, Mask %v", err, s.BatchSecrets, s.Mask)
	}
}

// TestSettingHoldsReference: valuefrom does not resolve its own settings:
// one that holds a reference is an error naming it, but for the setting
// whose values are references.
func TestSettingHoldsReference(t *testing.T) {
	_, err := settings.Load([]string{"VALUEFROM_FILES_DIR=ssm:/files-dir"})
	if err == nil || !strings.Contains(err.Error(), "VALUEFROM_FILES_DIR (--files-dir) holds a reference") {
		t.Errorf("Load = %v, want an error naming VALUEFROM_FILES_DIR", err)
	}
	if _, err := settings.Load([]string{"VALUEFROM_SECRET_JSON=arn:aws:secretsmanager:us-east-1:123456789012:secret:j"}); err != nil {
		t.Errorf("Load of a JSON secret's reference: %v", err)
	}
	// The token is a secret: named, never shown, whatever it starts with.
	_, err = settings.Load([]string{"VALUEFROM_TOKEN=ssm:canary-token-0b7e"})
	if err == nil || !strings.Contains(err.Error(), "VALUEFROM_TOKEN holds a reference") || strings.Contains(err.Error(), "canary") {
		t.Errorf("Load of a token that starts like a reference: an error that names VALUEFROM_TOKEN and does not show it, want one")
	}
}

// TestUnused: the settings a mode's groups do not hold, set under their
// names or their old ones.
func TestUnused(t *testing.T) {
	environ := []string{"VALUEFROM_SSM_PATHS=/a", "VALUEFROM_TTL=1m", "VALUEFROM_FILES_DIR=/x", "VALUEFROM_TIMEOUT=5s", "APP=1"}
	got := settings.Unused(environ, settings.Common, settings.Serve)
	if want := []string{"VALUEFROM_FILES_DIR", "VALUEFROM_SSM_PATHS"}; !slices.Equal(got, want) {
		t.Errorf("Unused = %q, want %q", got, want)
	}
}

// TestTimeoutOnLambda: on Lambda a start given no timeout gets a default
// within the init phase, derived from the setting's; the variable and
// the flag still win, and elsewhere the default is the setting's.
func TestTimeoutOnLambda(t *testing.T) {
	lambda := "AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001"
	tests := []struct {
		name    string
		environ []string
		args    []string
		want    time.Duration
	}{
		{"elsewhere", nil, nil, 60 * time.Second},
		{"on Lambda", []string{lambda}, nil, 8 * time.Second},
		{"on Lambda, the variable", []string{lambda, "VALUEFROM_TIMEOUT=30s"}, nil, 30 * time.Second},
		{"on Lambda, the flag", []string{lambda}, []string{"--timeout", "20s"}, 20 * time.Second},
		{"an empty address is not Lambda", []string{"AWS_LAMBDA_RUNTIME_API="}, nil, 60 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := settings.Load(tt.environ)
			if err != nil {
				t.Fatal(err)
			}
			fs := flag.NewFlagSet("", flag.ContinueOnError)
			s.Flags(fs, settings.Common)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			if s.Timeout != tt.want {
				t.Errorf("Timeout = %v, want %v", s.Timeout, tt.want)
			}
			if err := s.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
	var table strings.Builder
	settings.Usage(&table)
	if !strings.Contains(table.String(), "default on Lambda (AWS_LAMBDA_RUNTIME_API set): 8s") {
		t.Errorf("the settings table does not say the default on Lambda:\n%s", table.String())
	}
}

// TestParseTargets: SRC:DEST, the first colon the separator, and no two
// templates to one file or over a template.
func TestParseTargets(t *testing.T) {
	for _, tt := range []struct {
		items []string
		want  []settings.Target
		err   string
	}{
		{[]string{"a.tmpl:/run/a"}, []settings.Target{{Src: "a.tmpl", Dest: "/run/a"}}, ""},
		{[]string{"a.tmpl:/run/a:b", "b:c"}, []settings.Target{{Src: "a.tmpl", Dest: "/run/a:b"}, {Src: "b", Dest: "c"}}, ""},
		{[]string{"a.tmpl"}, nil, `"a.tmpl" is not SRC:DEST`},
		{[]string{":/run/a"}, nil, "both the template and the file"},
		{[]string{"a:"}, nil, "both the template and the file"},
		{[]string{"a:-"}, nil, "- (standard input or output) is neither"},
		{[]string{"a:/run/x", "b:/run/./x"}, nil, `"a:/run/x" and "b:/run/./x" render to the same file`},
		{[]string{"a:b", "b:c"}, nil, `"a:b" renders over the template b`},
	} {
		got, err := settings.ParseTargets(tt.items)
		if tt.err == "" && (err != nil || !slices.Equal(got, tt.want)) || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("ParseTargets(%q) = %v, %v; want %v, %q", tt.items, got, err, tt.want, tt.err)
		}
	}
	s := defaults()
	s.Template = []string{"a.tmpl"}
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), `VALUEFROM_TEMPLATE (--template): "a.tmpl" is not SRC:DEST`) {
		t.Errorf("Validate = %v, want the template named with its flag", err)
	}
	s.Template = []string{" a:b ", "", "c:d"}
	if got := s.Templates(); !slices.Equal(got, []settings.Target{{Src: "a", Dest: "b"}, {Src: "c", Dest: "d"}}) {
		t.Errorf("Templates = %v", got)
	}
}

// TestGroupID: a number as it is, a name looked up, none -1, an unknown
// name an error naming the setting.
func TestGroupID(t *testing.T) {
	for _, tt := range []struct {
		group string
		want  int
		err   string
	}{
		{"", -1, ""},
		{"1234", 1234, ""},
		{"root", 0, ""},
		{"no-such-group-xyz", 0, `VALUEFROM_GROUP (--group) names no group: "no-such-group-xyz"`},
	} {
		s := defaults()
		s.Group = tt.group
		got, err := s.GroupID()
		if tt.err == "" && (err != nil || got != tt.want) || tt.err != "" && (err == nil || err.Error() != tt.err) {
			t.Errorf("GroupID(%q) = %d, %v; want %d, %q", tt.group, got, err, tt.want, tt.err)
		}
	}
}

package pipeline_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/valuefrom/valuefrom/internal/awsapi"
	"github.com/valuefrom/valuefrom/internal/envfmt"
	"github.com/valuefrom/valuefrom/internal/envlist"
	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/pipeline"
	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/testfs"
	"github.com/valuefrom/valuefrom/resolver"
)

func TestVarName(t *testing.T) {
	for in, want := range map[string]string{
		"db-password":  "DB_PASSWORD",
		"db/password":  "DB_PASSWORD",
		"api.key":      "API_KEY",
		"Already_OK_1": "ALREADY_OK_1",
		"héllo":        "H_LLO",
		"":             "",
	} {
		if got := pipeline.VarName(in); got != want {
			t.Errorf("VarName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPaths(t *testing.T) {
	var log bytes.Buffer
	o := options(t, &log)
	o.Settings.SsmPath = []string{" /a/b ", "/c/**", "/d/", "/**", ""}
	want := []pipeline.Path{{Path: "/a/b"}, {Path: "/c", Recursive: true}, {Path: "/d"}, {Path: "/", Recursive: true}}
	if got := o.Paths(); !slices.Equal(got, want) {
		t.Errorf("Paths() = %+v, want %+v", got, want)
	}
}

// TestReadEnvFiles: the environment wins over every file, a later file
// over an earlier one; "-" is standard input.
func TestReadEnvFiles(t *testing.T) {
	var log bytes.Buffer
	o := options(t, &log)
	first := testfs.WriteFile(t, "first.env", "A=first\nB=first\nC=first\nONLY_FIRST=1\n")
	second := testfs.WriteFile(t, "second.env", "# later wins\nB=second\nC=\"second\"\n")
	o.Settings.EnvFile = []string{first, "-", second}
	o.Stdin = strings.NewReader("C=stdin\nD='stdin'\n")
	environ, names, err := o.ReadEnvFiles(context.Background(), []string{"A=env", "PATH=/bin"})
	if err != nil {
		t.Fatalf("ReadEnvFiles: %v", err)
	}
	want := map[string]string{"A": "env", "B": "second", "C": "second", "D": "stdin", "ONLY_FIRST": "1", "PATH": "/bin"}
	for name, w := range want {
		if got := envlist.Get(environ, name); got != w {
			t.Errorf("%s = %q, want %q", name, got, w)
		}
	}
	if len(environ) != len(want) {
		t.Errorf("got %d entries, want %d: %q", len(environ), len(want), environ)
	}
	for _, n := range []string{"A", "B", "C", "D", "ONLY_FIRST"} {
		if !names[n] {
			t.Errorf("the files' names lack %s", n)
		}
	}
	if names["PATH"] {
		t.Errorf("PATH counted as a file's")
	}
}

func TestReadEnvFilesErrors(t *testing.T) {
	var log bytes.Buffer
	bad := testfs.WriteFile(t, "bad.env", "OK=1\nSECRET=\"canary-file-5d1e$HOME\"\n")
	tests := []struct {
		name    string
		files   []string
		stdin   io.Reader
		want    []string
		taskDef string
	}{
		{"bad line", []string{bad}, nil, []string{"VALUEFROM_ENV_FILE", bad + ":2:", "SECRET", "unescaped $"}, ""},
		{"bad stdin", []string{"-"}, strings.NewReader("X=canary y\n"), []string{"standard input:1:", "white space"}, ""},
		{"missing file", []string{filepath.Join(t.TempDir(), "none.env")}, nil, []string{"none.env", "no such file"}, ""},
		{"stdin twice", []string{"-", "-"}, strings.NewReader(""), []string{"standard input (-) is named 2 times"}, ""},
		{"stdin and task definition", []string{"-"}, strings.NewReader("A=1\n"), []string{"--task-def both name standard input"}, "-"},
		{"a setting in a file", []string{testfs.WriteFile(t, "settings.env", "A=1\nVALUEFROM_SSM_PATH=/prod/app\n")}, nil,
			[]string{"VALUEFROM_ENV_FILE (--env-file)", "settings.env sets VALUEFROM_SSM_PATH", "not from env files"}, ""},
		{"endless file", []string{"/dev/zero"}, nil, []string{"VALUEFROM_ENV_FILE", "/dev/zero", "larger than 1 MiB"}, ""},
		{"endless stdin", []string{"-"}, strings.NewReader(strings.Repeat("A=canary\n", pipeline.MaxEnvFileSize/9+1)), []string{"standard input", "larger than 1 MiB"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := options(t, &log)
			o.Settings.EnvFile, o.Stdin, o.TaskDef = tt.files, tt.stdin, tt.taskDef
			_, _, err := o.ReadEnvFiles(context.Background(), nil)
			var usage *exitcode.UsageError
			if !errors.As(err, &usage) {
				t.Fatalf("got %v, want a *exitcode.UsageError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "canary") {
				t.Errorf("the error holds a value")
			}
		})
	}
	t.Run("syntax error is envfmt's", func(t *testing.T) {
		o := options(t, &log)
		o.Settings.EnvFile = []string{bad}
		_, _, err := o.ReadEnvFiles(context.Background(), nil)
		var se *envfmt.SyntaxError
		if !errors.As(err, &se) || se.Line != 2 {
			t.Errorf("got %v, want an envfmt.SyntaxError on line 2", err)
		}
	})
}

// TestReadEnvFilesContext: a standard input that never ends does not hold
// the start past the context.
func TestReadEnvFilesContext(t *testing.T) {
	var log bytes.Buffer
	o := options(t, &log)
	r, w := io.Pipe()
	t.Cleanup(func() { w.Close() })
	o.Settings.EnvFile, o.Stdin = []string{"-"}, r
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := o.ReadEnvFiles(ctx, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

// bulkMoto seeds moto for the bulk inputs and points the SDK at it.
func bulkMoto(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("moto: not in -short")
	}
	moto := mototest.Start(t)
	sd := moto.Seeder(t, "us-east-1")
	sd.Parameter("/bulk/app/db-password", ssmtypes.ParameterTypeSecureString, "canary-db-77a1")
	sd.Parameter("/bulk/app/api.key", ssmtypes.ParameterTypeSecureString, "canary-api-77a2")
	sd.Parameter("/bulk/app/plain", ssmtypes.ParameterTypeString, "canary-plain-77a3")
	sd.Parameter("/bulk/app/sub/token", ssmtypes.ParameterTypeSecureString, "canary-token-77a4")
	sd.Parameter("/bulk/file-ref", ssmtypes.ParameterTypeSecureString, "canary-fileref-77a5")
	sd.Parameter("/bulk/coll/a-b", ssmtypes.ParameterTypeString, "canary-c1")
	sd.Parameter("/bulk/coll/a_b", ssmtypes.ParameterTypeString, "canary-c2")
	sd.Parameter("/bulk/setting/valuefrom_timeout", ssmtypes.ParameterTypeString, "canary-s")
	for i := range 55 {
		sd.Parameter(fmt.Sprintf("/bulk/many/p%02d", i), ssmtypes.ParameterTypeSecureString, fmt.Sprintf("canary-many-%02d", i))
	}
	sd.Secret("bulk/json", `{"user":"canary-user","port":5432,"ratio":1.50,"nested":{"a":[1, 2]},"none":null,"db-host":"h"}`)
	sd.Secret("bulk/other", `{"USER":"canary-dup"}`)
	sd.Secret("bulk/notobject", `["canary-array"]`)
	for _, kv := range moto.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

func TestResolveBulkMoto(t *testing.T) {
	bulkMoto(t)
	envFile := testfs.WriteFile(t, "app.env", "API_KEY=from-file\nFROM_ENVFILE=ssm:/bulk/file-ref\n")
	tests := []struct {
		name    string
		set     func(o *pipeline.Options)
		environ []string
		want    map[string]string // the child's variables
		calls   int64
		errs    []string // the failures' Var, Code and pieces of the message
	}{
		{"precedence: environment, then files, then paths", func(o *pipeline.Options) {
			o.Settings.EnvFile = []string{envFile}
			o.Settings.SsmPath = []string{"/bulk/app"}
		}, []string{"DB_PASSWORD=explicit", "PATH=/bin"}, map[string]string{
			"DB_PASSWORD": "explicit", "API_KEY": "from-file", "PLAIN": "canary-plain-77a3",
			"FROM_ENVFILE": "canary-fileref-77a5", "PATH": "/bin",
		}, 2, nil},
		{"an explicit reference wins over the path", func(o *pipeline.Options) {
			o.Settings.SsmPath = []string{"/bulk/app"}
		}, []string{"PLAIN=ssm:/bulk/file-ref"}, map[string]string{
			"PLAIN": "canary-fileref-77a5", "DB_PASSWORD": "canary-db-77a1", "API_KEY": "canary-api-77a2",
		}, 2, nil},
		{"recursive", func(o *pipeline.Options) {
			o.Settings.SsmPath = []string{"/bulk/app/**"}
		}, nil, map[string]string{
			"DB_PASSWORD": "canary-db-77a1", "API_KEY": "canary-api-77a2", "PLAIN": "canary-plain-77a3", "SUB_TOKEN": "canary-token-77a4",
		}, 1, nil},
		{"55 parameters in 6 pages", func(o *pipeline.Options) {
			o.Settings.SsmPath = []string{"/bulk/many"}
		}, nil, manyWant(), 6, nil},
		{"json secret", func(o *pipeline.Options) {
			o.Settings.SecretJson = []string{"secretsmanager:bulk/json"}
		}, []string{"PORT=8080"}, map[string]string{
			"USER": "canary-user", "PORT": "8080", "RATIO": "1.50", "NESTED": `{"a":[1,2]}`, "NONE": "", "DB_HOST": "h",
		}, 1, nil},
		{"collision between parameters", func(o *pipeline.Options) {
			o.Settings.SsmPath = []string{"/bulk/coll"}
		}, nil, nil, 0, []string{"A_B", awsapi.CodeNameCollision, "parameter /bulk/coll/a-b and parameter /bulk/coll/a_b both map to A_B"}},
		{"collision between a path and a json secret", func(o *pipeline.Options) {
			o.Settings.SsmPath = []string{"/bulk/app"}
			o.Settings.SecretJson = []string{"secretsmanager:bulk/json", "secretsmanager:bulk/other"}
		}, nil, nil, 0, []string{"USER", awsapi.CodeNameCollision, `key "user" of "secretsmanager:bulk/json" and key "USER" of "secretsmanager:bulk/other"`}},
		{"a collision of names set explicitly is no error", func(o *pipeline.Options) {
			o.Settings.SsmPath = []string{"/bulk/coll"}
		}, []string{"A_B=mine"}, map[string]string{"A_B": "mine"}, 1, nil},
		{"a setting's name", func(o *pipeline.Options) {
			o.Settings.SsmPath = []string{"/bulk/setting"}
		}, nil, nil, 0, []string{"VALUEFROM_TIMEOUT", awsapi.CodeBadName, "keeps for its settings"}},
		{"not a JSON object", func(o *pipeline.Options) {
			o.Settings.SecretJson = []string{"secretsmanager:bulk/notobject"}
		}, nil, nil, 0, []string{"VALUEFROM_SECRET_JSON", awsapi.CodeNotJSONObject, "secretsmanager:bulk/notobject"}},
		{"missing json secret", func(o *pipeline.Options) {
			o.Settings.SecretJson = []string{"secretsmanager:bulk/none"}
		}, nil, nil, 0, []string{"VALUEFROM_SECRET_JSON", "ResourceNotFoundException", "secretsmanager:bulk/none"}},
		{"empty path: a warning", func(o *pipeline.Options) {
			o.Settings.SsmPath = []string{"/bulk/nothing"}
		}, []string{"A=1"}, map[string]string{"A": "1"}, 1, nil},
		{"empty path: an error when required", func(o *pipeline.Options) {
			o.Settings.SsmPath = []string{"/bulk/nothing"}
			o.Settings.RequirePaths = true
		}, nil, nil, 0, []string{"VALUEFROM_SSM_PATH", awsapi.CodeEmptyPath, "ssm:/bulk/nothing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log bytes.Buffer
			o := options(t, &log)
			tt.set(&o)
			var child []string
			o.Exec = func(_ string, _, env []string) error { child = env; return nil }
			err := start(context.Background(), o, []string{"true"}, append([]string{"PATH=/bin:/usr/bin"}, tt.environ...))
			if strings.Contains(log.String(), "canary") {
				t.Errorf("a value leaked into the log")
			}
			if tt.errs != nil {
				var errs resolver.Errors
				if !errors.As(err, &errs) || len(errs) == 0 {
					t.Fatalf("got %v, want resolver.Errors", err)
				}
				e := errs[0]
				if e.Var != tt.errs[0] || e.Code != tt.errs[1] || !strings.Contains(e.Error(), tt.errs[2]) {
					t.Errorf("got %s (code %s), want var %s, code %s, saying %q", e, e.Code, tt.errs[0], tt.errs[1], tt.errs[2])
				}
				if e.Hint == "" {
					t.Errorf("no hint for %s", e)
				}
				if strings.Contains(err.Error(), "canary") {
					t.Errorf("a value leaked into the error")
				}
				return
			}
			if err != nil {
				t.Fatalf("Exec: %v", err)
			}
			for name, w := range tt.want {
				if got, ok := lookup(child, name); !ok || got != w {
					t.Errorf("%s: got %d bytes (set %v), want the %d-byte value", name, len(got), ok, len(w))
				}
			}
			if tt.name == "empty path: a warning" && !strings.Contains(log.String(), "no parameters under the SSM path") {
				t.Errorf("no warning about the empty path:\n%s", log.String())
			}
			if n := calls(log.String()); n != tt.calls {
				t.Errorf("%d API calls, want %d", n, tt.calls)
			}
		})
	}
}

func manyWant() map[string]string {
	want := map[string]string{}
	for i := range 55 {
		want[fmt.Sprintf("P%02d", i)] = fmt.Sprintf("canary-many-%02d", i)
	}
	return want
}

func lookup(environ []string, name string) (string, bool) {
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			return v, true
		}
	}
	return "", false
}

// calls reads api_calls from the summary line.
func calls(log string) int64 {
	_, rest, ok := strings.Cut(log, "api_calls=")
	if !ok {
		return 0
	}
	var n int64
	fmt.Sscan(rest, &n)
	return n
}

// TestResolveBulkResult: env and render select, from the result, the
// variables of the files and those the paths set.
func TestResolveBulkResult(t *testing.T) {
	bulkMoto(t)
	var log bytes.Buffer
	o := options(t, &log)
	o.Settings.EnvFile = []string{testfs.WriteFile(t, "a.env", "LITERAL=x\n")}
	o.Settings.SsmPath = []string{"/bulk/app"}
	res, err := resolve(context.Background(), o, []string{"HOME=/root"})
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	if !res.FileVars["LITERAL"] || res.FileVars["HOME"] {
		t.Errorf("FileVars = %v", res.FileVars)
	}
	if !res.Resolved("DB_PASSWORD") || res.Resolved("LITERAL") || res.Resolved("HOME") {
		t.Errorf("Resolved is wrong for DB_PASSWORD, LITERAL or HOME")
	}
	env := envlist.Set(res.Environ, res.Set(), nil)
	if v, _ := lookup(env, "DB_PASSWORD"); v != "canary-db-77a1" {
		t.Errorf("DB_PASSWORD: got %d bytes", len(v))
	}
	if v, _ := lookup(env, "LITERAL"); v != "x" {
		t.Errorf("LITERAL = %q", v)
	}
}

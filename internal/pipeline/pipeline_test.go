package pipeline_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/valuefrom/valuefrom/exec"
	"github.com/valuefrom/valuefrom/internal/awsapi"
	"github.com/valuefrom/valuefrom/internal/envlist"
	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/pipeline"
	"github.com/valuefrom/valuefrom/internal/settings"
	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/resolver"
)

// options returns Options with the default settings and a logger that
// writes to log.
func options(t *testing.T, log *bytes.Buffer) pipeline.Options {
	t.Helper()
	s, err := settings.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	return pipeline.Options{Settings: s, Logger: slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug}))}
}

// noAWS points the SDK at nothing and no region, so that any attempt to
// reach AWS fails fast and visibly.
func noAWS(t *testing.T) []string {
	t.Helper()
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_ENDPOINT_URL"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	return []string{"AWS_EC2_METADATA_DISABLED=true"}
}

func TestSkip(t *testing.T) {
	var log bytes.Buffer
	o := options(t, &log)
	o.Settings.Ignore = []string{"KEEP", " SPACED "}
	for name, want := range map[string]bool{"VALUEFROM_TIMEOUT": true, "VALUEFROM_TYPO": true, "KEEP": true, "SPACED": true, "OTHER": false, "KEEPX": false} {
		if got := o.Skip(name); got != want {
			t.Errorf("Skip(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestResolveWithoutAWS(t *testing.T) {
	tests := []struct {
		name    string
		environ []string
		want    func(t *testing.T, res *pipeline.Result, err error, log string)
	}{
		{"no references", []string{"A=1", "VALUEFROM_TIMOUTT=5s"}, func(t *testing.T, res *pipeline.Result, err error, log string) {
			if err != nil || len(res.Requests) != 0 || len(res.Values) != 0 || res.Calls != 0 {
				t.Errorf("Resolve = %+v, %v; want an empty result", res, err)
			}
			if !strings.Contains(log, "var=VALUEFROM_TIMOUTT did_you_mean=VALUEFROM_TIMEOUT") {
				t.Errorf("no warning about the misspelt setting:\n%s", log)
			}
		}},
		{"malformed references, every one", []string{"A=secretsmanager:db:key", "B=ssm:", "C=ok"}, func(t *testing.T, res *pipeline.Result, err error, log string) {
			var errs resolver.Errors
			if !errors.As(err, &errs) || len(errs) != 2 || errs[0].Var != "A" || errs[1].Var != "B" || errs[0].Code != awsapi.CodeSyntax {
				t.Fatalf("Resolve error = %v, want syntax errors for A and B", err)
			}
			if errs[0].Hint != pipeline.SyntaxHint {
				t.Errorf("hint %q, want SyntaxHint", errs[0].Hint)
			}
		}},
		{"ignored and settings", []string{"VALUEFROM_IGNORE=A", "A=secretsmanager:db:key", "VALUEFROM_X=ssm:"}, func(t *testing.T, res *pipeline.Result, err error, log string) {
			if err != nil || len(res.Requests) != 0 {
				t.Errorf("Resolve = %+v, %v; want nothing resolved", res, err)
			}
		}},
		{"_FILE with no prefix, before any AWS call", []string{"_FILE=ssm:/a"}, func(t *testing.T, res *pipeline.Result, err error, log string) {
			var fe *exec.FileError
			if !errors.As(err, &fe) || fe.Var != "_FILE" || errors.Is(err, awsapi.ErrNoRegion) {
				t.Errorf("Resolve error = %v, want a FileError for _FILE", err)
			}
		}},
		{"two _FILE variables, one file, before any AWS call", []string{"X_FILE=ssm:/a", "x_FILE=ssm:/b"}, func(t *testing.T, res *pipeline.Result, err error, log string) {
			var fe *exec.FileError
			if !errors.As(err, &fe) || fe.Var != "x_FILE" || !strings.Contains(err.Error(), "X_FILE") {
				t.Errorf("Resolve error = %v, want a FileError naming x_FILE and X_FILE", err)
			}
		}},
		{"short form without a region", []string{"A=ssm:/a", "B=arn:aws:ssm:us-east-1:123456789012:parameter/b"}, func(t *testing.T, res *pipeline.Result, err error, log string) {
			var usage *exitcode.UsageError
			if !errors.As(err, &usage) || !errors.Is(err, awsapi.ErrNoRegion) {
				t.Errorf("Resolve error = %v, want a exitcode.UsageError wrapping ErrNoRegion", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			environ := append(noAWS(t), tt.environ...)
			var log bytes.Buffer
			o := options(t, &log)
			s, err := settings.Load(environ)
			if err != nil {
				t.Fatal(err)
			}
			o.Settings = s
			res, err := resolve(context.Background(), o, environ)
			tt.want(t, res, err, log.String())
		})
	}
}

func writeTaskDef(t *testing.T, json string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "td.json")
	if err := os.WriteFile(path, []byte(json), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestOverlay(t *testing.T) {
	td := writeTaskDef(t, `{"containerDefinitions": [
		{"name": "app", "environment": [{"name": "A", "value": "container"}, {"name": "VALUEFROM_IGNORE", "value": "L1,L2"}],
		 "secrets": [{"name": "S", "valueFrom": "/app/s"}]},
		{"name": "side", "environment": [{"name": "X", "value": "y"}]}]}`)
	environ := []string{"A=process", "P=kept"}
	tests := []struct {
		name        string
		td, ctr     string
		want        []string // the environment
		wantOwn     []string
		wantIgnore  []string
		wantVars    []string
		wantErrText string
	}{
		{"no task definition", "", "", environ, nil, []string{"I"}, environ, ""},
		{"container laid over", td, "app", []string{"A=container", "P=kept", "VALUEFROM_IGNORE=L1,L2", "S=ssm:/app/s"},
			[]string{"A", "S", "VALUEFROM_IGNORE"}, []string{"I", "L1", "L2"}, []string{"A=container", "VALUEFROM_IGNORE=L1,L2", "S=ssm:/app/s"}, ""},
		{"container without task definition", "", "app", nil, nil, nil, nil, "--container needs --task-def"},
		{"several containers", td, "", nil, nil, nil, nil, "choose one with --container"},
		{"missing file", filepath.Join(t.TempDir(), "none.json"), "", nil, nil, nil, nil, "none.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := pipeline.Options{TaskDef: tt.td, Container: tt.ctr}
			o.Settings.Ignore = []string{"I"}
			got, own, err := o.Overlay(context.Background(), slices.Clone(environ))
			if tt.wantErrText != "" {
				var usage *exitcode.UsageError
				if !errors.As(err, &usage) || !strings.Contains(err.Error(), tt.wantErrText) {
					t.Fatalf("Overlay error = %v, want a exitcode.UsageError containing %q", err, tt.wantErrText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Overlay = %q, want %q", got, tt.want)
			}
			var names []string
			for n := range own {
				names = append(names, n)
			}
			slices.Sort(names)
			if !slices.Equal(names, tt.wantOwn) {
				t.Errorf("own names %q, want %q", names, tt.wantOwn)
			}
			if !slices.Equal(o.Settings.Ignore, tt.wantIgnore) {
				t.Errorf("Ignore = %q, want %q", o.Settings.Ignore, tt.wantIgnore)
			}
			o2 := pipeline.Options{TaskDef: tt.td, Container: tt.ctr}
			vars, err := o2.Vars(context.Background(), environ)
			if err != nil || !slices.Equal(vars, tt.wantVars) {
				t.Errorf("Vars = %q, %v; want %q", vars, err, tt.wantVars)
			}
		})
	}
}

// Canaries: secret values that must never reach the log.
const (
	canary       = "canary-pipeline-6b1e"
	canaryBinary = "canary-binary-44a0"
)

func TestResolveMoto(t *testing.T) {
	if testing.Short() {
		t.Skip("moto: not in -short")
	}
	moto := mototest.Start(t)
	ctx := context.Background()
	sm := secretsmanager.NewFromConfig(moto.Config(t, "us-east-1"))
	for name, in := range map[string]*secretsmanager.CreateSecretInput{
		"db":   {SecretString: aws.String(`{"password":"` + canary + `"}`)},
		"blob": {SecretBinary: []byte("\x00" + canaryBinary)},
	} {
		in.Name = aws.String(name)
		if _, err := sm.CreateSecret(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	// The SDK reads its endpoint and credentials from the process.
	for _, kv := range moto.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}

	tests := []struct {
		name    string
		environ []string
		toFile  func(string) bool
		want    map[string]string
		wantErr []string // the failing variables
	}{
		{"values", []string{"A=1", "PW=secretsmanager:db:password::", "BLOB_FILE=secretsmanager:blob"}, nil,
			map[string]string{"PW": canary, "BLOB_FILE": "\x00" + canaryBinary}, nil},
		{"binary, not to a file", []string{"BLOB=secretsmanager:blob", "PW=secretsmanager:db:password::"}, nil, nil, []string{"BLOB"}},
		{"binary, every value to a file", []string{"BLOB=secretsmanager:blob"}, func(string) bool { return true },
			map[string]string{"BLOB": "\x00" + canaryBinary}, nil},
		{"_FILE, no value to a file", []string{"BLOB_FILE=secretsmanager:blob"}, func(string) bool { return false }, nil, []string{"BLOB_FILE"}},
		{"every failure", []string{"X=secretsmanager:gone", "PW=secretsmanager:db:password::", "Y=ssm:/gone"}, nil, nil, []string{"X", "Y"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log bytes.Buffer
			o := options(t, &log)
			o.ToFile = tt.toFile
			res, err := resolve(ctx, o, tt.environ)
			if strings.Contains(log.String(), canary) || strings.Contains(log.String(), canaryBinary) {
				t.Error("a secret value reached the log")
			}
			if !strings.Contains(log.String(), `msg="resolved references" ok=`+map[bool]string{true: "true", false: "false"}[tt.wantErr == nil]) {
				t.Errorf("no summary line:\n%s", log.String())
			}
			if tt.wantErr != nil {
				var errs resolver.Errors
				if !errors.As(err, &errs) {
					t.Fatalf("Resolve error = %v, want resolver.Errors", err)
				}
				var vars []string
				for _, e := range errs {
					vars = append(vars, e.Var)
				}
				if !slices.Equal(vars, tt.wantErr) {
					t.Errorf("failing %q, want %q", vars, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			got := map[string]string{}
			for _, v := range res.Vars() {
				got[v.Name] = string(v.Value)
			}
			if len(got) != len(tt.want) {
				t.Errorf("resolved %d variables, want %d", len(got), len(tt.want))
			}
			for k, w := range tt.want {
				if got[k] != w {
					t.Errorf("%s: got %d bytes, want %d (values not shown)", k, len(got[k]), len(w))
				}
				if !res.Resolved(k) {
					t.Errorf("Resolved(%q) = false", k)
				}
			}
			if set := res.Set(); len(set) != len(tt.want) || set["PW"] != tt.want["PW"] {
				t.Errorf("Set has %d values, want %d", len(set), len(tt.want))
			}
			if res.Resolved("A") || res.Calls == 0 {
				t.Errorf("Resolved(A) = true or Calls = %d", res.Calls)
			}
		})
	}

}

func TestExec(t *testing.T) {
	var log bytes.Buffer
	o := options(t, &log)
	var ran, ranEnv []string
	o.Exec = func(_ string, args, env []string) error { ran, ranEnv = args, env; return nil }
	environ := append(noAWS(t), "PATH=/usr/bin:/bin", "VALUEFROM_LOG_LEVEL=debug", "A=1")

	if err := start(context.Background(), o, []string{"true", "x"}, environ); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ran, []string{"true", "x"}) || !slices.Equal(ranEnv, []string{"AWS_EC2_METADATA_DISABLED=true", "PATH=/usr/bin:/bin", "A=1"}) {
		t.Errorf("ran %q with %q", ran, ranEnv)
	}

	// The command is looked up before any reference is resolved.
	ran = nil
	err := start(context.Background(), o, []string{"no-such-command-xyz"}, append(environ, "B=ssm:/b"))
	if !errors.Is(err, exec.ErrNotFound) || ran != nil || strings.Contains(log.String(), "resolved references") {
		t.Errorf("Exec = %v, ran %q; want ErrNotFound before resolving", err, ran)
	}
	// Unless PATH is itself a reference: then resolving comes first.
	err = start(context.Background(), o, []string{"no-such-command-xyz"}, append(environ, "PATH=ssm:/path"))
	if !errors.Is(err, awsapi.ErrNoRegion) {
		t.Errorf("Exec with PATH a reference = %v, want ErrNoRegion from resolving it", err)
	}
}

func TestOptionsFlags(t *testing.T) {
	for _, taskDef := range []bool{false, true} {
		var o pipeline.Options
		fs := flag.NewFlagSet("", flag.ContinueOnError)
		o.Flags(fs, taskDef)
		args := []string{"--profile", "p", "--region", "eu-west-1"}
		if taskDef {
			args = append(args, "--task-def", "td.json", "--container", "app")
		}
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		if o.Profile != "p" || o.Region != "eu-west-1" || taskDef != (o.TaskDef == "td.json" && o.Container == "app") {
			t.Errorf("taskDef %v: %+v", taskDef, o)
		}
		if (fs.Lookup("task-def") != nil) != taskDef {
			t.Errorf("taskDef %v: --task-def defined: %v", taskDef, fs.Lookup("task-def") != nil)
		}
	}
}

// TestExecRemovesFilesWhenTheCommandDoesNotStart: the _FILE files are
// removed when exec fails; they stay when the command starts.
func TestExecRemovesFilesWhenTheCommandDoesNotStart(t *testing.T) {
	if testing.Short() {
		t.Skip("moto: not in -short")
	}
	moto := mototest.Start(t)
	moto.Seeder(t, "us-east-1").Secret("db", canary)
	for _, kv := range append(moto.Env(), "AWS_REGION=us-east-1") {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	environ := []string{"PATH=/usr/bin:/bin", "PW_FILE=secretsmanager:db"}
	for _, execErr := range []error{nil, errors.New("exec failed")} {
		for _, filesDir := range []string{t.TempDir(), ""} {
			o := options(t, &bytes.Buffer{})
			o.Settings.FilesDir = filesDir
			var path string
			o.Exec = func(_ string, args, env []string) error {
				path = envlist.Get(env, "PW_FILE")
				if _, err := os.Stat(path); err != nil {
					t.Errorf("the file is not there when the command starts: %v", err)
				}
				return execErr
			}
			if err := start(context.Background(), o, []string{"true"}, environ); err != execErr {
				t.Fatalf("Exec = %v, want %v", err, execErr)
			}
			_, err := os.Stat(path)
			if left := err == nil; left != (execErr == nil) {
				t.Errorf("exec error %v, files dir %q: the file is left: %v", execErr, filesDir, left)
			}
			if filesDir == "" {
				_, err := os.Stat(filepath.Dir(path))
				if left := err == nil; left != (execErr == nil) {
					t.Errorf("exec error %v: the directory made for the file is left: %v", execErr, left)
				}
				os.RemoveAll(filepath.Dir(path))
			}
		}
	}
}

// TestStartFilesBase: a start on Lambda makes its _FILE directory under
// /tmp; elsewhere where secretfile chooses.
func TestStartFilesBase(t *testing.T) {
	for _, tt := range []struct {
		environ []string
		want    string
	}{
		{[]string{"PATH=/usr/bin:/bin"}, ""},
		{[]string{"PATH=/usr/bin:/bin", "AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001"}, "/tmp"},
	} {
		plan, _, _, err := pipeline.Start(context.Background(), options(t, &bytes.Buffer{}), []string{"true"}, tt.environ)
		if err != nil {
			t.Fatal(err)
		}
		if plan.FilesBase != tt.want {
			t.Errorf("environ %q: FilesBase %q, want %q", tt.environ, plan.FilesBase, tt.want)
		}
	}
}

// resolve resolves the references in environ as a start for no program
// does, and returns what it fetched.
func resolve(ctx context.Context, o pipeline.Options, environ []string) (*pipeline.Result, error) {
	_, _, res, err := pipeline.Start(ctx, o, nil, environ)
	return res, err
}

// start is the entrypoint's path: Start, then the plan's Run.
func start(ctx context.Context, o pipeline.Options, args, environ []string) error {
	plan, _, _, err := pipeline.Start(ctx, o, args, environ)
	if err != nil {
		return err
	}
	return plan.Run(ctx)
}

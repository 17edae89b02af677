package main

import (
	"os"
	osexec "os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

// testTopLevelIdentity: --region and --profile work on the entrypoint
// itself, and carry over to a subcommand, whose own win (issue 11, item 8).
// "regional" exists only in us-west-2; the environment's region is
// us-east-1.
func testTopLevelIdentity(t *testing.T) {
	env := []string{"WEST=secretsmanager:regional"}
	t.Run("--region", func(t *testing.T) {
		r := runIn(t, env, "--region", "us-west-2", "--", "true")
		if r.code != 0 || environOf(r.env)["WEST"] != canaryWest {
			t.Fatalf("valuefrom --region us-west-2 -- true: exit %d, exec %q; stderr:\n%s", r.code, r.exec, r.stderr)
		}
		assertNoCanary(t, "stderr", r.stderr)
	})
	t.Run("--profile", func(t *testing.T) {
		cfg := filepath.Join(t.TempDir(), "config")
		if err := os.WriteFile(cfg, []byte("[profile west]\nregion = us-west-2\naws_access_key_id = test\naws_secret_access_key = test\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("AWS_CONFIG_FILE", cfg)
		for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
		r := runIn(t, env, "--profile", "west", "true")
		if r.code != 0 || environOf(r.env)["WEST"] != canaryWest {
			t.Fatalf("valuefrom --profile west true: exit %d, exec %q; stderr:\n%s", r.code, r.exec, r.stderr)
		}
	})
	t.Run("carried to a subcommand", func(t *testing.T) {
		r := runIn(t, env, "--region", "us-west-2", "env", "--format", "json")
		if r.code != 0 || !strings.Contains(r.stdout, canaryWest) {
			t.Fatalf("valuefrom --region us-west-2 env: exit %d; stderr:\n%s", r.code, r.stderr)
		}
		r = runIn(t, env, "--region", "us-west-2", "run", "--region", "us-east-1", "true")
		if r.code != exitcode.Resolve || r.exec != nil || !strings.Contains(r.stderr, "us-east-1") {
			t.Errorf("run's --region did not win over valuefrom's: exit %d, stderr:\n%s", r.code, r.stderr)
		}
	})
}

// TestHelpAndVersionWords: valuefrom help [SUB] and valuefrom version do
// what they say when no program of that name is on PATH; when one is, it
// runs (issue 11, item 10).
func TestHelpAndVersionWords(t *testing.T) {
	version, commit = "v9.9.9-test", "abc123"
	t.Cleanup(func() { version, commit = "", "" })
	tests := []struct {
		args []string
		want string // the start of stdout
	}{
		{[]string{"help"}, "valuefrom resolves"},
		{[]string{"help", "render"}, "Usage:\n  valuefrom render --out PATH"},
		{[]string{"version"}, "valuefrom v9.9.9-test (commit abc123"},
	}
	for _, tt := range tests {
		r := runIn(t, nil, tt.args...)
		if r.code != 0 || !strings.HasPrefix(r.stdout, tt.want) || r.exec != nil || r.stderr != "" {
			t.Errorf("valuefrom %s: exit %d, exec %q, stdout starting %.40q, stderr %q; want exit 0 and stdout starting %q",
				strings.Join(tt.args, " "), r.code, r.exec, r.stdout, r.stderr, tt.want)
		}
	}
	if r := runIn(t, nil, "help", "render"); r.stdout != runIn(t, nil, "render", "-h").stdout {
		t.Error("valuefrom help render differs from valuefrom render -h")
	}

	// A program of that name on PATH wins.
	bin := t.TempDir()
	for _, name := range []string{"help", "version", "chekc"} {
		if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		r := runIn(t, []string{"PATH=" + bin}, name, "x")
		if r.code != 0 || !slices.Equal(r.exec, []string{name, "x"}) || r.stdout != "" {
			t.Errorf("valuefrom %s x with %s on PATH: exit %d, exec %q, stdout %.40q; want the program run", name, name, r.code, r.exec, r.stdout)
		}
	}
}

// runBinaryStdin runs the binary as runBinary does, with stdin.
func runBinaryStdin(t *testing.T, stdin string, env []string, args ...string) result {
	t.Helper()
	cmd := osexec.Command(vfbin.Need(t), args...)
	cmd.Stdin = strings.NewReader(stdin)
	return runBinaryCmd(t, cmd, env)
}

// TestBinaryTaskDefStdin: --task-def - reads the task definition from
// standard input (issue 11, item 9); its environmentFiles are named in a
// warning, not silently dropped (item 14); check fails a container whose
// settings would stop the entrypoint, and says it found no references
// (item 13).
func TestBinaryTaskDefStdin(t *testing.T) {
	const canary = "canary-td-stdin-71c9"
	td := `{"containerDefinitions":[{"name":"app","environment":[{"name":"MODE","value":"from-stdin"},
		{"name":"VALUEFROM_TIMEOUT","value":"` + canary + `"},{"name":"VALUEFROM_TIMOUTT","value":"5s"}],
		"environmentFiles":[{"value":"arn:aws:s3:::bucket/app.env","type":"s3"}]}]}`
	env := []string{"AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=/nonexistent", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent"}

	r := runBinaryStdin(t, td, env, "run", "--task-def", "-", "--", "env")
	if r.code != 0 || !strings.Contains(r.stdout, "MODE=from-stdin\n") {
		t.Errorf("run --task-def -: exit %d, stdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, `level=WARN msg="the container's environmentFiles are not applied`) ||
		!strings.Contains(r.stderr, "environment_files=[arn:aws:s3:::bucket/app.env]") {
		t.Errorf("run: no warning naming the environment file:\n%s", r.stderr)
	}

	r = runBinaryStdin(t, td, env, "check", "--task-def", "-")
	for _, w := range []string{"VALUEFROM_TIMEOUT: fail: InvalidSetting: VALUEFROM_TIMEOUT (--timeout): not a valid duration",
		"VALUEFROM_TIMOUTT: warning: UnknownSetting", "did you mean VALUEFROM_TIMEOUT?", "no references found"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("check --task-def -: stdout lacks %q:\n%s", w, r.stdout)
		}
	}
	if r.code != exitcode.Failures || !strings.Contains(r.stderr, "environmentFiles are not applied") {
		t.Errorf("check --task-def -: exit %d, want %d, and the environmentFiles warning; stderr:\n%s", r.code, exitcode.Failures, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, canary) {
		t.Error("a setting's value leaked")
	}

	r = runBinaryStdin(t, "{", env, "env", "--task-def", "-")
	if r.code != exitcode.Usage || !strings.Contains(r.stderr, "valuefrom: error: env: standard input: line 1") {
		t.Errorf("env --task-def - with bad JSON: exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

// testSlashHint: ssm:app/url, when /app/url exists, is not found, and the
// hint suggests the leading slash; it is not resolved by itself (issue 11,
// item 15).
func testSlashHint(t *testing.T) {
	r := runIn(t, []string{"URL=ssm:app/url"}, "--", "true")
	if r.code != exitcode.Resolve || r.exec != nil {
		t.Fatalf("exit %d, exec %q, want %d and nothing run; stderr:\n%s", r.code, r.exec, exitcode.Resolve, r.stderr)
	}
	if !strings.Contains(r.stderr, "valuefrom: hint: check the parameter name and the region: looked in us-east-1; names are case-sensitive; a name in a hierarchy starts with /: did you mean ssm:/app/url?") {
		t.Errorf("no hint at the leading slash:\n%s", r.stderr)
	}
}

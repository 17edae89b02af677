package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/pipeline"
	"github.com/valuefrom/valuefrom/internal/testkit/testfs"
)

// TestErrors runs valuefrom in-process into every error it finds before
// calling AWS: the exit code, the error and hint lines, no setting's
// value, and nothing started.
func TestErrors(t *testing.T) {
	isolateAWS(t)
	dir := t.TempDir()
	notExec := testfs.WriteFile(t, "script", "#!/bin/sh\n")
	os.Chmod(notExec, 0o644)
	td := testfs.WriteFile(t, "td.json", `{"containerDefinitions": [{"name": "app"}, {"name": "sidecar"}]}`)
	bad := testfs.WriteFile(t, "bad.json", "{\n  \"containerDefinitions\": [\n    {\"name\": \"app\",, }\n  ]\n}\n")
	tmpl := testfs.WriteFile(t, "app.yml.tmpl", "password: {{ DB.password | yaml }}\n")
	badTmpl := testfs.WriteFile(t, "bad.tmpl", "a: {{ A }}\nb: {{ B | jsno }}\n")
	const secret = "canary-setting-value"
	noRegion := []string{"AWS_EC2_METADATA_DISABLED=true"}
	tests := []struct {
		name string
		env  []string
		args []string
		code int
		want []string // lines, or pieces of lines, of stderr
	}{
		{"no command", nil, nil, exitcode.Usage, []string{"valuefrom: error: no command given", "valuefrom: hint: run valuefrom -h for usage"}},
		{"only dashes", nil, []string{"--"}, exitcode.Usage, []string{"no command given"}},
		{"bad flag", nil, []string{"--nope", "true"}, exitcode.Usage, []string{"valuefrom: error: flag provided but not defined: -nope"}},
		{"bad setting hides value", []string{"VALUEFROM_TIMEOUT=" + secret}, []string{"true"}, exitcode.Usage, []string{"VALUEFROM_TIMEOUT (--timeout): not a valid duration: a number and a unit, such as 30s or 2m"}},
		{"bad setting without unit", []string{"VALUEFROM_TIMEOUT=5"}, []string{"true"}, exitcode.Usage, []string{"valuefrom: error: VALUEFROM_TIMEOUT (--timeout): not a valid duration: a number and a unit, such as 30s", "valuefrom: hint: run valuefrom -h for usage"}},
		{"bad flag value", nil, []string{"--timeout", "5", "true"}, exitcode.Usage, []string{"valuefrom: error: --timeout (VALUEFROM_TIMEOUT): not a valid duration: a number and a unit"}},
		{"bad flag value hides value", nil, []string{"--concurrency", secret, "true"}, exitcode.Usage, []string{"valuefrom: error: --concurrency (VALUEFROM_CONCURRENCY): not a valid whole number"}},
		{"misspelt flag", nil, []string{"--timout", "5s", "true"}, exitcode.Usage, []string{"valuefrom: error: flag provided but not defined: -timout", "valuefrom: hint: did you mean --timeout? (valuefrom help settings lists the flags)"}},
		{"subcommand's flag first", nil, []string{"--task-def", "td.json", "run", "true"}, exitcode.Usage, []string{"valuefrom: hint: --task-def is a flag of run, env, render, check, policy: put it after the subcommand"}},
		{"unknown flag", nil, []string{"--frobnicate", "true"}, exitcode.Usage, []string{"valuefrom: hint: run valuefrom -h for usage"}},
		{"misspelt subcommand", nil, []string{"chekc"}, exitcode.Usage, []string{`valuefrom: error: no subcommand chekc, and no program of that name on PATH`, "valuefrom: hint: did you mean valuefrom check? For a program, give its path or put it on PATH: valuefrom -- chekc always runs a program"}},
		{"misspelt subcommand forced", nil, []string{"--", "chekc"}, exitcode.NotFound, []string{"chekc: command not found"}},
		// ENTRYPOINT ["valuefrom", "--"] with a subcommand as the command.
		{"subcommand after --", nil, []string{"--", "render", "--out", "/x"}, exitcode.NotFound, []string{"valuefrom: error: render: command not found",
			"valuefrom: hint: render is a valuefrom subcommand, but after \"--\"", "docker run --entrypoint ", " IMAGE render --out /x "}},
		{"help of a misspelt topic", nil, []string{"help", "setings"}, exitcode.Usage, []string{"valuefrom: error: help: no subcommand or topic setings", "valuefrom: hint: did you mean valuefrom help settings?"}},
		{"help of no subcommand", nil, []string{"help", "rnu"}, exitcode.Usage, []string{"valuefrom: error: help: no subcommand or topic rnu", "valuefrom: hint: did you mean valuefrom help run?"}},
		{"misspelt setting", []string{"VALUEFROM_SSM_PATHZ=/prod/orders", "A=1"}, []string{"true"}, exitcode.Usage, []string{"valuefrom: error: VALUEFROM_SSM_PATHZ is not a setting: did you mean VALUEFROM_SSM_PATH (--ssm-path)?"}},
		{"singular for a plural", []string{"VALUEFROM_FALLBACK_REGION=us-west-2"}, []string{"true"}, exitcode.Usage, []string{"did you mean VALUEFROM_FALLBACK_REGIONS (--fallback-regions)?"}},
		{"own input holds a reference", []string{"AWS_REGION=arn:aws:ssm:us-east-1:123456789012:parameter/region", "A=ssm:/x"}, []string{"true"}, exitcode.Usage,
			[]string{`valuefrom: error: AWS_REGION holds a reference, arn:aws:ssm:us-east-1:123456789012:parameter/region: valuefrom reads it to reach AWS, before it resolves anything`}},
		{"setting holds a reference", []string{"VALUEFROM_FILES_DIR=ssm:/dir"}, []string{"true"}, exitcode.Usage, []string{"VALUEFROM_FILES_DIR (--files-dir) holds a reference"}},
		{"setting out of range", []string{"VALUEFROM_CONCURRENCY=0"}, []string{"true"}, exitcode.Usage, []string{"VALUEFROM_CONCURRENCY (--concurrency) must be from 1 to 1000"}},
		{"flag out of range", nil, []string{"--max-attempts", "0", "true"}, exitcode.Usage, []string{"VALUEFROM_MAX_ATTEMPTS (--max-attempts)"}},
		{"malformed references", []string{"A=secretsmanager:db:key", "B=ARN:aws:ssm:us-east-1:123456789012:parameter/x"}, []string{"true"}, exitcode.Syntax,
			[]string{`valuefrom: error: A: "secretsmanager:db:key"`, `valuefrom: error: B: "ARN:aws:ssm`, "2 references could not be parsed; the command was not started"}},
		{"command not found", nil, []string{"--", "no-such-command-xyz"}, exitcode.NotFound, []string{"no-such-command-xyz: command not found"}},
		{"command not executable", nil, []string{"--", notExec}, exitcode.NotExec, []string{"command not executable"}},
		{"command is a directory", nil, []string{"--", dir}, exitcode.NotExec, []string{"is a directory"}},
		{"no region", append(noRegion, "A=ssm:/x"), []string{"true"}, exitcode.Usage, []string{"valuefrom: error: no AWS region", "valuefrom: hint: run valuefrom -h for usage"}},

		// Subcommands: "valuefrom: error: NAME: ..." and a hint at NAME -h.
		{"run: no command", nil, []string{"run"}, exitcode.Usage, []string{"valuefrom: error: run: no command given", "valuefrom: hint: run valuefrom run -h for usage"}},
		{"run: several containers", nil, []string{"run", "--task-def", td, "true"}, exitcode.Usage, []string{"run: " + td + ": the task definition has 2 containers (app, sidecar): choose one with --container"}},
		{"run: missing container", nil, []string{"run", "--task-def", td, "--container", "web", "true"}, exitcode.Usage, []string{`no container named "web": the task definition has app, sidecar`}},
		{"run: bad JSON", nil, []string{"run", "--task-def", bad, "true"}, exitcode.Usage, []string{bad + ": line 3, column 20: invalid character ','"}},
		{"run: container without task def", nil, []string{"run", "--container", "app", "true"}, exitcode.Usage, []string{"valuefrom: error: run: --container needs --task-def"}},
		{"run: settings flag", nil, []string{"run", "--timeout", "0s", "true"}, exitcode.Usage, []string{"run: VALUEFROM_TIMEOUT (--timeout)"}},
		{"run: no region", append(noRegion, "A=ssm:/x"), []string{"run", "true"}, exitcode.Usage, []string{"valuefrom: error: run: no AWS region", "valuefrom run -h"}},
		{"serve: a setting it does not read", []string{"VALUEFROM_SSM_PATH=/prod/orders"}, []string{"serve"}, exitcode.Usage,
			[]string{"valuefrom: error: serve: VALUEFROM_SSM_PATH is set, but serve does not read it", "valuefrom: hint: serve answers each request by itself"}},
		{"serve: a flag it does not have", nil, []string{"serve", "--files-dir", "/x"}, exitcode.Usage, []string{"serve: flag provided but not defined: -files-dir"}},
		{"env: argument", nil, []string{"env", "extra"}, exitcode.Usage, []string{`valuefrom: error: env: unexpected argument "extra"`, "valuefrom: hint: run valuefrom env -h for usage"}},
		{"env: format", nil, []string{"env", "--format", "yaml"}, exitcode.Usage, []string{`env: --format: unknown format "yaml"`}},
		{"env: flag", nil, []string{"env", "--nope"}, exitcode.Usage, []string{"valuefrom: error: env: flag provided but not defined: -nope", "valuefrom env -h"}},
		{"env: several containers", nil, []string{"env", "--task-def", td}, exitcode.Usage, []string{"(app, sidecar)"}},
		{"env: malformed", []string{"A=ssm:"}, []string{"env"}, exitcode.Syntax, []string{"1 reference could not be parsed; nothing was printed"}},
		{"render: no --out", nil, []string{"render"}, exitcode.Usage, []string{"valuefrom: error: render: --out or --template is required", "valuefrom render -h"}},
		{"render: --out -", nil, []string{"render", "--out", "-"}, exitcode.Usage, []string{"valuefrom: error: render: --out -: render writes files, not standard output",
			"valuefrom: hint: to print the variables use valuefrom env --format dotenv (it refuses a terminal); to write a file named -, pass --out ./-"}},
		{"render: --out - files", nil, []string{"render", "--out", "-", "--format", "files"}, exitcode.Usage, []string{"use valuefrom env --format dotenv"}},
		{"--files-dir -", nil, []string{"--files-dir", "-", "true"}, exitcode.Usage, []string{"valuefrom: error: VALUEFROM_FILES_DIR (--files-dir) must name a directory, not - (standard input or output)"}},
		{"serve: token file -", []string{"VALUEFROM_TOKEN_FILE=-"}, []string{"serve"}, exitcode.Usage, []string{"valuefrom: error: serve: VALUEFROM_TOKEN_FILE must name a file, not - (standard input)"}},
		{"render: bad format", nil, []string{"render", "--out", filepath.Join(dir, "x"), "--format", "yaml"}, exitcode.Usage, []string{`render: --format: unknown format "yaml"`}},
		{"render: unknown group", nil, []string{"render", "--out", filepath.Join(dir, "x"), "--group", "no-such-group-xyz"}, exitcode.Usage, []string{`render: VALUEFROM_GROUP (--group) names no group: "no-such-group-xyz"`}},
		{"render: missing parent", nil, []string{"render", "--out", filepath.Join(dir, "no", "x")}, exitcode.Usage, []string{"its parent directory " + filepath.Join(dir, "no") + " does not exist"}},
		{"render: missing task def", nil, []string{"render", "--out", filepath.Join(dir, "x"), "--task-def", filepath.Join(dir, "none.json")}, exitcode.Usage, []string{"none.json: no such file"}},
		{"render: argument", nil, []string{"render", "--out", filepath.Join(dir, "x"), "extra"}, exitcode.Usage, []string{`render: unexpected argument "extra"`}},
		{"serve: no token", []string{"AWS_REGION=us-east-1"}, []string{"serve"}, exitcode.Usage, []string{"valuefrom: error: serve: no token: set VALUEFROM_TOKEN or VALUEFROM_TOKEN_FILE", "valuefrom serve -h"}},
		// A setting's error is the subcommand's, and points at its help.
		{"serve: bad setting", []string{"VALUEFROM_TTL=soon"}, []string{"serve"}, exitcode.Usage, []string{"valuefrom: error: serve: VALUEFROM_TTL (--ttl): not a valid duration", "valuefrom: hint: run valuefrom serve -h for usage"}},
		{"serve: misspelt flag", []string{"VALUEFROM_TOKEN=" + secret}, []string{"serve", "--max-con", "5"}, exitcode.Usage, []string{"valuefrom: error: serve: flag provided but not defined: -max-con", "valuefrom: hint: did you mean --max-conns? (valuefrom serve -h lists the flags)"}},
		{"serve: bad flag value", []string{"VALUEFROM_TOKEN=" + secret}, []string{"serve", "--ttl", "5"}, exitcode.Usage, []string{"valuefrom: error: serve: --ttl (VALUEFROM_TTL): not a valid duration", "valuefrom serve -h"}},
		{"check: bad own flag value", nil, []string{"check", "--ttl", "5"}, exitcode.Usage, []string{"valuefrom: error: check: --ttl: not a valid duration", "valuefrom check -h"}},
		{"env: bad bool", nil, []string{"env", "--force=maybe"}, exitcode.Usage, []string{"valuefrom: error: env: --force: not a valid boolean: true or false"}},
		{"serve: both tokens", []string{"VALUEFROM_TOKEN=" + secret, "VALUEFROM_TOKEN_FILE=/x"}, []string{"serve"}, exitcode.Usage, []string{"valuefrom: error: serve: VALUEFROM_TOKEN and VALUEFROM_TOKEN_FILE are both set", "valuefrom serve -h"}},
		{"serve: missing token file", []string{"VALUEFROM_TOKEN_FILE=/nonexistent/token"}, []string{"serve"}, exitcode.Usage, []string{"serve: VALUEFROM_TOKEN_FILE: reading the token file: open /nonexistent/token"}},
		{"serve: bad ttl", []string{"VALUEFROM_TOKEN=" + secret}, []string{"serve", "--ttl", "2h"}, exitcode.Usage, []string{"serve: VALUEFROM_TTL (--ttl) must be from 0s to 1h"}},
		{"serve: bad listen", []string{"VALUEFROM_TOKEN=" + secret, "VALUEFROM_LISTEN=2773"}, []string{"serve"}, exitcode.Usage, []string{"valuefrom: error: serve: VALUEFROM_LISTEN (--listen) must be HOST:PORT", "valuefrom serve -h"}},
		{"serve: argument", []string{"VALUEFROM_TOKEN=" + secret}, []string{"serve", "extra"}, exitcode.Usage, []string{`serve: unexpected argument "extra"`}},
		{"serve: no region", append(noRegion, "VALUEFROM_TOKEN="+secret), []string{"serve"}, exitcode.Usage, []string{"valuefrom: error: serve: no AWS region", "valuefrom serve -h"}},
		{"check: bad format", nil, []string{"check", "--format", "yaml"}, exitcode.Usage, []string{"valuefrom: error: check: --format must be table or json", "valuefrom check -h"}},
		{"check: negative ttl", nil, []string{"check", "--ttl", "-1s"}, exitcode.Usage, []string{"check: --ttl must not be negative"}},
		{"check: container without task def", nil, []string{"check", "--container", "app"}, exitcode.Usage, []string{"check: --container needs --task-def"}},
		// Templates: every problem found before any AWS call, the program not started.
		{"template: not SRC:DEST", nil, []string{"--template", "app.yml.tmpl", "true"}, exitcode.Usage, []string{`valuefrom: error: VALUEFROM_TEMPLATE (--template): "app.yml.tmpl" is not SRC:DEST`}},
		{"template: stdin", []string{"VALUEFROM_TEMPLATE=-:/run/x"}, []string{"true"}, exitcode.Usage, []string{`VALUEFROM_TEMPLATE (--template): "-:/run/x": a template is read from a file`}},
		{"template: one file twice", nil, []string{"--template", tmpl + ":" + filepath.Join(dir, "a"), "--template", badTmpl + ":" + filepath.Join(dir, ".", "a"), "true"}, exitcode.Usage, []string{"render to the same file"}},
		{"template: over itself", nil, []string{"--template", tmpl + ":" + tmpl, "true"}, exitcode.Usage, []string{"renders over the template " + tmpl}},
		{"template: both names", []string{"VALUEFROM_TEMPLATE=a:b", "VALUEFROM_TEMPLATES=a:b"}, []string{"true"}, exitcode.Usage, []string{"VALUEFROM_TEMPLATE and VALUEFROM_TEMPLATES, its old name, are both set"}},
		{"template: missing", []string{"A=ssm:/x"}, []string{"--template", filepath.Join(dir, "none.tmpl") + ":" + filepath.Join(dir, "a"), "true"}, exitcode.Usage,
			[]string{"valuefrom: error: VALUEFROM_TEMPLATE (--template): " + filepath.Join(dir, "none.tmpl") + ":" + filepath.Join(dir, "a") + ": open " + filepath.Join(dir, "none.tmpl") + ": no such file", "valuefrom: hint: docs/templates.md"}},
		{"template: does not parse", []string{"A=ssm:/x"}, []string{"--template", badTmpl + ":" + filepath.Join(dir, "b"), "true"}, exitcode.Usage,
			[]string{"valuefrom: error: VALUEFROM_TEMPLATE (--template): " + badTmpl + `:2:11: unknown filter "jsno"; the filters are json, yaml, shell, url, base64, xml and trim`}},
		{"template: no directory", []string{"A=ssm:/x"}, []string{"--template", tmpl + ":" + filepath.Join(dir, "no", "a"), "true"}, exitcode.Usage, []string{"the directory " + filepath.Join(dir, "no") + " does not exist"}},
		{"template: every problem", []string{"A=ssm:/x"}, []string{"--template", badTmpl + ":" + filepath.Join(dir, "b"), "--template", tmpl + ":" + filepath.Join(dir, "no", "a"), "true"}, exitcode.Usage,
			[]string{`unknown filter "jsno"`, "the directory " + filepath.Join(dir, "no") + " does not exist"}},
		{"template: unknown group", []string{"A=ssm:/x"}, []string{"--template", tmpl + ":" + filepath.Join(dir, "a"), "--group", "no-such-group-xyz", "true"}, exitcode.Usage, []string{`VALUEFROM_GROUP (--group) names no group: "no-such-group-xyz"`}},
		{"run: template does not parse", nil, []string{"run", "--template", badTmpl + ":" + filepath.Join(dir, "b"), "true"}, exitcode.Usage, []string{"valuefrom: error: run: VALUEFROM_TEMPLATE (--template): " + badTmpl + ":2:11: unknown filter"}},
		{"render: template does not parse", nil, []string{"render", "--template", badTmpl + ":" + filepath.Join(dir, "b")}, exitcode.Usage, []string{"render: VALUEFROM_TEMPLATE (--template): " + badTmpl + ":2:11: unknown filter"}},
		{"check: unknown group", nil, []string{"check", "--template", tmpl + ":" + filepath.Join(dir, "a"), "--group", "no-such-group-xyz"}, exitcode.Usage, []string{"check: VALUEFROM_GROUP (--group) names no group"}},
		{"policy: bad account", nil, []string{"policy", "--account", "12"}, exitcode.Usage, []string{"policy: --account must be a 12-digit account ID"}},
		{"policy: nothing", nil, []string{"policy"}, exitcode.Usage, []string{"policy: no references found: nothing to allow", "valuefrom policy -h"}},
		{"policy: malformed", []string{"A=ssm:"}, []string{"policy"}, exitcode.Syntax, []string{"1 reference could not be parsed; no policy was printed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runIn(t, tt.env, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit code %d, want %d; stderr:\n%s", r.code, tt.code, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr does not contain %q:\n%s", w, r.stderr)
				}
			}
			for _, line := range strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n") {
				if !strings.HasPrefix(line, "valuefrom: ") {
					t.Errorf("stderr line %q does not start with valuefrom: ", line)
				}
			}
			if strings.Contains(r.stderr, secret) {
				t.Error("a setting's raw value leaked into stderr")
			}
			if r.exec != nil || r.stdout != "" {
				t.Errorf("ran %q and printed %q, want nothing", r.exec, r.stdout)
			}
			if _, err := os.Lstat("-"); err == nil {
				os.Remove("-")
				t.Error(`wrote a file named "-"`)
			}
		})
	}
}

// TestJSONErrors: with --log-format json, or VALUEFROM_LOG_FORMAT=json, an
// error is one JSON object; a flag overrides the variable.
func TestJSONErrors(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		args []string
		msg  string // the object's msg; empty: text, not JSON
		hint string // in the object's hint
	}{
		{"setting", []string{"VALUEFROM_LOG_FORMAT=json"}, nil, "no command given: valuefrom [flags] [--] COMMAND [ARGS...]", ""},
		{"bad setting", []string{"VALUEFROM_LOG_FORMAT=json", "VALUEFROM_TIMEOUT=x"}, []string{"true"}, "VALUEFROM_TIMEOUT (--timeout): not a valid duration: a number and a unit, such as 30s or 2m", ""},
		{"flag", nil, []string{"--log-format", "json", "env", "x"}, `env: unexpected argument "x"`, "run valuefrom env -h"},
		{"misspelt subcommand", []string{"VALUEFROM_LOG_FORMAT=json", "PATH=/nonexistent"}, []string{"chekc"}, "no subcommand chekc, and no program of that name on PATH", "did you mean valuefrom check?"},
		{"flag over setting", []string{"VALUEFROM_LOG_FORMAT=json"}, []string{"--log-format", "text"}, "", ""},
		{"syntax", []string{"VALUEFROM_LOG_FORMAT=json", "A=ssm:"}, []string{"true"}, "reference failed", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runIn(t, tt.env, tt.args...)
			var obj struct {
				Msg      string `json:"msg"`
				Level    string `json:"level"`
				Time     string `json:"time"`
				ExitCode int    `json:"exit_code"`
				Hint     string `json:"hint"`
			}
			// The first line: a failed reference's hint follows it.
			first, _, _ := strings.Cut(r.stderr, "\n")
			err := json.Unmarshal([]byte(first), &obj)
			if tt.msg == "" {
				if err == nil || !strings.HasPrefix(r.stderr, "valuefrom: error: ") {
					t.Errorf("stderr is not text:\n%s", r.stderr)
				}
				return
			}
			if err != nil || obj.Msg != tt.msg || obj.Level != "ERROR" || obj.Time == "" || obj.ExitCode != r.code {
				t.Errorf("stderr %s: want an object with msg %q, level ERROR, a time and exit_code %d", r.stderr, tt.msg, r.code)
			}
			if !strings.Contains(obj.Hint, tt.hint) {
				t.Errorf("hint %q, want it to contain %q: JSON mode must keep the hint", obj.Hint, tt.hint)
			}
		})
	}
}

// TestEntrypointWithoutReferences: with nothing to resolve, valuefrom execs
// the command with the environment as it was, less its own settings.
func TestEntrypointWithoutReferences(t *testing.T) {
	isolateAWS(t)
	env := []string{"B=2", "VALUEFROM_LOG_LEVEL=debug", "A=1 = one", "VALUEFROM_TIMOUTT=1s"}
	r := runIn(t, env, "--timeout", "5s", "--", "env", "-0")
	if r.code != 0 || !slices.Equal(r.exec, []string{"env", "-0"}) {
		t.Fatalf("exit %d, exec %q; stderr:\n%s", r.code, r.exec, r.stderr)
	}
	if want := []string{"PATH=/usr/bin:/bin", "B=2", "A=1 = one"}; !slices.Equal(r.env, want) {
		t.Errorf("env = %q, want %q", r.env, want)
	}
	for _, w := range []string{"msg=\"no references in the environment\"", "var=VALUEFROM_TIMOUTT did_you_mean=VALUEFROM_TIMEOUT"} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
		}
	}
	// After --, a subcommand's name is a program's.
	if r := runIn(t, nil, "--", "env"); r.code != 0 || !slices.Equal(r.exec, []string{"env"}) {
		t.Errorf("valuefrom -- env: exit %d, exec %q", r.code, r.exec)
	}
}

// TestSubcommandFlagOverridesSetting: a subcommand's flag overrides its
// setting before the settings are checked, as valuefrom's own flags do: a
// setting out of range that the flag corrects is no error.
func TestSubcommandFlagOverridesSetting(t *testing.T) {
	isolateAWS(t)
	for _, args := range [][]string{{"--concurrency", "5", "true"}, {"run", "--concurrency", "5", "true"}} {
		r := runIn(t, []string{"VALUEFROM_CONCURRENCY=0"}, args...)
		if r.code != 0 || !slices.Equal(r.exec, []string{"true"}) {
			t.Errorf("VALUEFROM_CONCURRENCY=0 valuefrom %s: exit %d, exec %q; stderr:\n%s", strings.Join(args, " "), r.code, r.exec, r.stderr)
		}
	}
}

// TestSignal: whatever failed after a signal is reported as the signal,
// and the exit code is 128+N.
func TestSignal(t *testing.T) {
	isolateAWS(t)
	for sig, want := range map[syscall.Signal]string{syscall.SIGTERM: "SIGTERM", syscall.SIGINT: "SIGINT"} {
		ctx, cancel := context.WithCancelCause(context.Background())
		cancel(&signalError{sig: sig})
		r := runCtx(t, ctx, []string{"AWS_REGION=us-east-1", "A=ssm:/a"}, "true")
		if r.code != 128+int(sig) || !strings.Contains(r.stderr, "valuefrom: error: interrupted by "+want+"; the command was not started") || r.exec != nil {
			t.Errorf("%v: exit %d, exec %q, stderr:\n%s", sig, r.code, r.exec, r.stderr)
		}
	}
}

func TestVersion(t *testing.T) {
	version, commit, date = "v9.9.9-test", "abc123", "2026-11-30T08:48:42Z"
	t.Cleanup(func() { version, commit, date = "", "", "" })
	want := fmt.Sprintf("valuefrom v9.9.9-test (commit abc123, %s, %s/%s, built 2026-11-30T08:48:42Z)\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	for _, args := range [][]string{{"--version"}, {"version"}} {
		if r := runIn(t, nil, args...); r.code != 0 || r.stdout != want {
			t.Errorf("valuefrom %s: exit %d, stdout %q, want exit 0 and %q", args[0], r.code, r.stdout, want)
		}
	}
}

// TestHelpGolden pins every help text in testdata/help/*.txt; go test
// -run TestHelpGolden -update rewrites them.
func TestHelpGolden(t *testing.T) {
	names := []string{"valuefrom"}
	for _, c := range commands {
		names = append(names, c.name)
	}
	for _, tp := range topics() {
		names = append(names, "topic-"+tp.name)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			args := []string{name, "-h"}
			if name == "valuefrom" {
				args = args[1:]
			}
			if tp, ok := strings.CutPrefix(name, "topic-"); ok {
				args = []string{"help", tp}
			}
			// Settings in the environment change no default shown.
			r := runIn(t, []string{"VALUEFROM_CONCURRENCY=7", "VALUEFROM_TTL=1s"}, args...)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("exit code %d, stderr %q", r.code, r.stderr)
			}
			golden := filepath.Join("testdata", "help", name+".txt")
			if *update {
				os.MkdirAll(filepath.Dir(golden), 0o755)
				os.WriteFile(golden, []byte(r.stdout), 0o644)
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if r.stdout != string(want) {
				t.Errorf("%s differs from %s (go test -run TestHelpGolden -update):\n%s", strings.Join(args, " "), golden, r.stdout)
			}
			if strings.Contains(r.stdout, "{{") {
				t.Error("a placeholder was not filled in")
			}
		})
	}
}

// TestHelpCoversFlags checks that each help text documents every flag its
// command accepts, and its exit codes.
func TestHelpCoversFlags(t *testing.T) {
	check := func(t *testing.T, help string, fs *flag.FlagSet) {
		fs.VisitAll(func(f *flag.Flag) {
			if !strings.Contains(help, "--"+f.Name) {
				t.Errorf("the help does not document --%s", f.Name)
			}
		})
		for _, w := range []string{"-h, --help", "Exit codes"} {
			if !strings.Contains(help, w) {
				t.Errorf("the help does not mention %q", w)
			}
		}
	}
	for _, c := range commands {
		t.Run(c.name, func(t *testing.T) {
			var help strings.Builder
			c.help(&help)
			fs, _ := c.flagSet(&pipeline.Options{})
			check(t, help.String(), fs)
		})
	}
	t.Run("valuefrom", func(t *testing.T) {
		r := runIn(t, nil, "-h")
		if n := strings.Count(r.stdout, "\n"); n > 60 {
			t.Errorf("valuefrom -h is %d lines: it must fit a screen (60), and say where the rest is", n)
		}
		for _, tp := range topics() {
			r.stdout += runIn(t, nil, "help", tp.name).stdout
		}
		fs := flag.NewFlagSet("", flag.ContinueOnError)
		var o pipeline.Options
		o.Settings.Flags(fs, startGroups...)
		o.Flags(fs, false)
		check(t, r.stdout, fs)
		for _, w := range []string{"--version", "126", "127", "VALUEFROM_TOKEN_FILE", "VALUEFROM_MAX_CONNS"} {
			if !strings.Contains(r.stdout, w) {
				t.Errorf("valuefrom -h does not document %s", w)
			}
		}
	})
}

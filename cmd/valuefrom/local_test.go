package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/valuefrom/valuefrom/internal/dotenvtest"
	"github.com/valuefrom/valuefrom/internal/mototest"
)

// tricky is a secret value that breaks naive quoting. It is no canary:
// failure messages may show it.
const tricky = "it's \"quoted\" $HOME ${HOME} `id` $(id) \\n \\ back\\slash\nline2\r\n\tünïcødé ☃ 𝄞 # end\n"

// app is the task definition's container the tests run: environment,
// secrets shadowing environment, a bare SSM name, ARNs, an ignored value.
var app = map[string]any{
	"name": "app",
	"environment": []map[string]string{
		{"name": "FROM_ENV", "value": "env value"},
		{"name": "SHADOWED", "value": "environment loses"},
		{"name": "OVER_PROCESS", "value": "container wins"},
		{"name": "LITERAL", "value": "secretsmanager:not:a:ref"},
		{"name": "VALUEFROM_IGNORE", "value": "LITERAL"},
	},
	"secrets": []map[string]string{
		{"name": "SHADOWED", "valueFrom": "arn:aws:secretsmanager:us-east-1:" + account + ":secret:app/db:password::"},
		{"name": "URL", "valueFrom": "/app/url"},
		{"name": "TOKEN", "valueFrom": "arn:aws:ssm:us-east-1:" + account + ":parameter/app/token"},
		{"name": "TRICKY", "valueFrom": "arn:aws:secretsmanager:us-east-1:" + account + ":secret:tricky"},
	},
}

var sidecar = map[string]any{"name": "sidecar", "environment": []map[string]string{{"name": "X", "value": "y"}}}

// writeJSON writes v as JSON to a new file and returns its path.
func writeJSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "td.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// taskDefs returns the three shapes of a task definition holding app and
// sidecar (the single container shape holds app alone).
func taskDefs(t *testing.T) map[string]string {
	register := map[string]any{"family": "app", "containerDefinitions": []any{app, sidecar}}
	return map[string]string{
		"describe":  writeJSON(t, map[string]any{"taskDefinition": register}),
		"register":  writeJSON(t, register),
		"container": writeJSON(t, app),
	}
}

func seedLocal(t *testing.T, moto *mototest.Server) {
	t.Helper()
	seed(t, moto)
	sm := secretsmanager.NewFromConfig(moto.Config(t, "us-east-1"))
	if _, err := sm.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{Name: aws.String("tricky"), SecretString: aws.String(tricky)}); err != nil {
		t.Fatal(err)
	}
}

func TestLocal(t *testing.T) {
	moto := mototest.Start(t)
	seedLocal(t, moto)
	tds := taskDefs(t)
	process := append(moto.Env(), "OVER_PROCESS=process loses", "PROCESS_ONLY=kept", "PROC_REF=ssm:/app/url")
	wantRun := map[string]string{
		"FROM_ENV":     "env value",
		"SHADOWED":     canaryJSON,
		"OVER_PROCESS": "container wins",
		"LITERAL":      "secretsmanager:not:a:ref",
		"URL":          "https://example.com/?a=b&c=d",
		"TOKEN":        "v2-" + canaryParam,
		"TRICKY":       tricky,
		"PROCESS_ONLY": "kept",
		"PROC_REF":     "https://example.com/?a=b&c=d",
	}
	// What env and render write: all of the above but PROCESS_ONLY.
	wantPrinted := maps.Clone(wantRun)
	delete(wantPrinted, "PROCESS_ONLY")
	checkVars := func(t *testing.T, got, want map[string]string) {
		t.Helper()
		for k, w := range want {
			if g, ok := got[k]; !ok || g != w {
				if strings.Contains(w, "canary") {
					t.Errorf("%s: got %d bytes, want %d (values not shown)", k, len(g), len(w))
				} else {
					t.Errorf("%s = %q, want %q", k, g, w)
				}
			}
		}
	}

	t.Run("run: three shapes, precedence", func(t *testing.T) {
		for shape, td := range tds {
			t.Run(shape, func(t *testing.T) {
				args := []string{"run", "--task-def", td}
				if shape != "container" {
					args = append(args, "--container", "app")
				}
				r := runValuefrom(t, process, append(args, "--", "env", "-0")...)
				if r.code != 0 {
					t.Fatalf("exit code %d, stderr:\n%s", r.code, r.stderr)
				}
				got := environOf(r.stdout)
				checkVars(t, got, wantRun)
				if _, ok := got["VALUEFROM_IGNORE"]; ok {
					t.Error("the task definition's VALUEFROM_IGNORE reached the command")
				}
				if _, ok := got["X"]; ok {
					t.Error("the sidecar's variable reached the command")
				}
				assertNoCanary(t, "stderr", r.stderr)
			})
		}
	})

	t.Run("run without a task definition is the entrypoint", func(t *testing.T) {
		r := runValuefrom(t, append(moto.Env(), "A=ssm:/app/url", "B=plain"), "run", "--", "env", "-0")
		got := environOf(r.stdout)
		if r.code != 0 || got["A"] != "https://example.com/?a=b&c=d" || got["B"] != "plain" {
			t.Errorf("exit %d, A=%q B=%q, stderr:\n%s", r.code, got["A"], got["B"], r.stderr)
		}
	})

	t.Run("run's exit code is the command's", func(t *testing.T) {
		r := runValuefrom(t, process, "run", "--task-def", tds["container"], "sh", "-c", `[ "$URL" = "https://example.com/?a=b&c=d" ] && exit 7`)
		if r.code != 7 {
			t.Errorf("exit code %d, want 7; stderr:\n%s", r.code, r.stderr)
		}
	})

	t.Run("env shell through eval", func(t *testing.T) {
		for _, name := range []string{"TRICKY", "SHADOWED", "FROM_ENV", "PROC_REF", "LITERAL"} {
			script := `eval "$("$0" env --task-def "$1" --container app)" || exit 99; printf %s "$` + name + `"`
			cmd := exec.Command("sh", "-c", script, binary, tds["register"])
			cmd.Env = append([]string{"PATH=/usr/bin:/bin", "HOME=/home/should-not-expand"}, process...)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("%s: %v, stderr:\n%s", name, err, stderr.String())
			}
			checkVars(t, map[string]string{name: string(out)}, map[string]string{name: wantRun[name]})
		}
	})

	t.Run("env json: which variables", func(t *testing.T) {
		env := append(slices.Clone(process), "VALUEFROM_LOG_LEVEL=warn")
		r := runValuefrom(t, env, "env", "--task-def", tds["describe"], "--container", "app", "--format", "json")
		if r.code != 0 {
			t.Fatalf("exit code %d, stderr:\n%s", r.code, r.stderr)
		}
		var got map[string]string
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
			t.Fatalf("output is not a JSON object: %v", err)
		}
		checkVars(t, got, wantPrinted)
		// The task definition's variables and the references; nothing else.
		want := []string{"FROM_ENV", "LITERAL", "OVER_PROCESS", "PROC_REF", "SHADOWED", "TOKEN", "TRICKY", "URL"}
		var names []string
		for k := range got {
			names = append(names, k)
		}
		slices.Sort(names)
		if !slices.Equal(names, want) {
			t.Errorf("printed %v, want %v", names, want)
		}
	})

	t.Run("env dotenv through a parser", func(t *testing.T) {
		r := runValuefrom(t, process, "env", "--task-def", tds["container"], "--format", "dotenv")
		if r.code != 0 {
			t.Fatalf("exit code %d, stderr:\n%s", r.code, r.stderr)
		}
		got, err := dotenvtest.Parse(r.stdout)
		if err != nil {
			t.Fatalf("output does not parse as documented: %v", err)
		}
		checkVars(t, got, wantPrinted)
		if len(got) != 8 {
			t.Errorf("printed %d variables, want 8", len(got))
		}
	})

	t.Run("env _FILE prints the file's path", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "files")
		env := append(moto.Env(), "DB_PASSWORD_FILE=secretsmanager:app/db:password::", "VALUEFROM_FILES_DIR="+dir)
		r := runValuefrom(t, env, "env", "--format", "json")
		var got map[string]string
		json.Unmarshal([]byte(r.stdout), &got)
		path := filepath.Join(dir, "DB_PASSWORD")
		if r.code != 0 || got["DB_PASSWORD_FILE"] != path {
			t.Fatalf("exit %d, DB_PASSWORD_FILE=%q, want %s; stderr:\n%s", r.code, got["DB_PASSWORD_FILE"], path, r.stderr)
		}
		if data, _ := os.ReadFile(path); string(data) != canaryJSON {
			t.Error("the file does not hold the secret")
		}
	})

	t.Run("env refuses a terminal", func(t *testing.T) {
		tests := []struct {
			name string
			env  []string
			args string
			code int
			want string
		}{
			{"references", process, "env --task-def " + tds["container"], exitUsage, "valuefrom: hint: redirect or pipe the output"},
			{"references, --force", process, "env --force --task-def " + tds["container"], 0, "export TRICKY="},
			{"no references", append(moto.Env(), "PLAIN=x"), "env", 0, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				// script runs the command under a pseudo-terminal and
				// returns its exit code (-e).
				cmd := exec.Command("script", "-qec", binary+" "+tt.args, "/dev/null")
				cmd.Env = append([]string{"PATH=/usr/bin:/bin"}, tt.env...)
				out, _ := cmd.Output()
				if code := cmd.ProcessState.ExitCode(); code != tt.code {
					t.Errorf("exit code %d, want %d; output:\n%s", code, tt.code, strings.ReplaceAll(string(out), canaryJSON, "<canary>"))
				}
				if !strings.Contains(string(out), tt.want) {
					t.Errorf("output does not contain %q", tt.want)
				}
				if tt.code != 0 {
					assertNoCanary(t, "the terminal", string(out))
					if strings.Contains(string(out), "v2-") {
						t.Error("a value reached the terminal")
					}
				}
			})
		}
	})

	t.Run("render formats and modes", func(t *testing.T) {
		dir := t.TempDir()
		dotenv := filepath.Join(dir, "app.env")
		r := runValuefrom(t, process, "render", "--out", dotenv, "--task-def", tds["container"])
		if r.code != 0 {
			t.Fatalf("exit code %d, stderr:\n%s", r.code, r.stderr)
		}
		data, _ := os.ReadFile(dotenv)
		got, err := dotenvtest.Parse(string(data))
		if err != nil {
			t.Fatalf("the file does not parse as documented: %v", err)
		}
		checkVars(t, got, wantPrinted)
		assertMode(t, dotenv, 0o400, -1)
		assertNoCanary(t, "stdout and stderr", r.stdout+r.stderr)

		// From the environment alone, with a group.
		gid := os.Getgid()
		js := filepath.Join(dir, "app.json")
		env := append(moto.Env(), "PASSWORD=secretsmanager:app/db:password::", "PLAIN=not printed")
		r = runValuefrom(t, env, "render", "--out", js, "--format", "json", "--group", fmt.Sprint(gid))
		if r.code != 0 {
			t.Fatalf("exit code %d, stderr:\n%s", r.code, r.stderr)
		}
		var obj map[string]string
		data, _ = os.ReadFile(js)
		if err := json.Unmarshal(data, &obj); err != nil || len(obj) != 1 || obj["PASSWORD"] != canaryJSON {
			t.Errorf("json file: %v, %d keys, want only PASSWORD with the secret", err, len(obj))
		}
		assertMode(t, js, 0o440, gid)

		// One file per variable; a binary secret byte for byte.
		files := filepath.Join(dir, "secrets")
		env = append(moto.Env(), "PASSWORD=secretsmanager:app/db:password::", "BLOB=secretsmanager:binary")
		r = runValuefrom(t, env, "render", "--out", files, "--format", "files")
		if r.code != 0 {
			t.Fatalf("exit code %d, stderr:\n%s", r.code, r.stderr)
		}
		for name, want := range map[string]string{"PASSWORD": canaryJSON, "BLOB": "\x00\x01" + canaryBinary + "\xff"} {
			if data, _ := os.ReadFile(filepath.Join(files, name)); string(data) != want {
				t.Errorf("%s: the file does not hold the secret", name)
			}
			assertMode(t, filepath.Join(files, name), 0o400, -1)
		}
	})

	t.Run("render failures change nothing", func(t *testing.T) {
		dir := t.TempDir()
		out := filepath.Join(dir, "app.env")
		os.WriteFile(out, []byte("previous"), 0o400)
		files := filepath.Join(dir, "secrets")
		if r := runValuefrom(t, append(moto.Env(), "A=ssm:/app/url"), "render", "--out", files, "--format", "files"); r.code != 0 {
			t.Fatalf("first render: exit %d, stderr:\n%s", r.code, r.stderr)
		}
		failing := append(moto.Env(), "A=ssm:/app/url", "GOOD=secretsmanager:app/db:password::", "MISSING=secretsmanager:does-not-exist")
		tests := []struct {
			name string
			env  []string
			args []string
			code int
			want string
		}{
			{"failing reference", failing, []string{"--out", out}, exitResolve, "MISSING: secretsmanager:does-not-exist"},
			{"failing reference, files", failing, []string{"--out", files, "--format", "files"}, exitResolve, "MISSING"},
			{"binary secret as dotenv", append(moto.Env(), "BLOB=secretsmanager:binary"), []string{"--out", out}, exitResolve, "BLOB"},
			{"missing parent", append(moto.Env(), "A=ssm:/app/url"), []string{"--out", filepath.Join(dir, "no", "app.env")}, exitUsage, "its parent directory " + filepath.Join(dir, "no") + " does not exist"},
			{"out is a directory", append(moto.Env(), "A=ssm:/app/url"), []string{"--out", dir}, exitOutput, "is a directory"},
			{"no --out", moto.Env(), nil, exitUsage, "--out is required"},
			{"bad format", moto.Env(), []string{"--out", out, "--format", "yaml"}, exitUsage, `unknown format "yaml"`},
			{"unknown group", moto.Env(), []string{"--out", out, "--group", "no-such-group-xyz"}, exitUsage, "--group"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := runValuefrom(t, tt.env, append([]string{"render"}, tt.args...)...)
				if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
					t.Errorf("exit %d, want %d with %q; stderr:\n%s", r.code, tt.code, tt.want, r.stderr)
				}
				assertNoCanary(t, "stderr", r.stderr)
				if data, _ := os.ReadFile(out); string(data) != "previous" {
					t.Error("the existing file was changed")
				}
				if got := listDir(t, dir); !slices.Equal(got, []string{"app.env", "secrets"}) {
					t.Errorf("directory holds %v, want app.env and secrets only", got)
				}
				if got := listDir(t, files); !slices.Equal(got, []string{".valuefrom-files", "A"}) {
					t.Errorf("secrets holds %v, want .valuefrom-files and A only", got)
				}
			})
		}
	})
}

func TestLocalUsageErrors(t *testing.T) {
	tds := taskDefs(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte("{\n  \"containerDefinitions\": [\n    {\"name\": \"app\",, }\n  ]\n}\n"), 0o644)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"several containers", []string{"run", "--task-def", tds["register"], "true"}, "the task definition has 2 containers (app, sidecar): choose one with --container"},
		{"several containers, describe", []string{"env", "--task-def", tds["describe"]}, "(app, sidecar)"},
		{"missing container", []string{"run", "--task-def", tds["describe"], "--container", "web", "true"}, `no container named "web": the task definition has app, sidecar`},
		{"bad JSON", []string{"run", "--task-def", bad, "true"}, bad + ": line 3, column 20: invalid character ','"},
		{"missing file", []string{"render", "--out", filepath.Join(dir, "x"), "--task-def", filepath.Join(dir, "none.json")}, "none.json: no such file"},
		{"no command", []string{"run", "--task-def", tds["container"]}, "no command given"},
		{"container without task def", []string{"run", "--container", "app", "true"}, "--container needs --task-def"},
		{"env arguments", []string{"env", "extra"}, `valuefrom env takes no arguments, got "extra"`},
		{"env format", []string{"env", "--format", "yaml"}, `--format: unknown format "yaml"`},
		{"subcommand flag", []string{"env", "--nope"}, "flag provided but not defined: -nope"},
		{"settings flag", []string{"run", "--timeout", "0s", "true"}, "VALUEFROM_TIMEOUT (--timeout)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runValuefrom(t, nil, tt.args...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, want 2 with %q; stderr:\n%s", r.code, tt.want, r.stderr)
			}
		})
	}
}

func TestSubcommandHelp(t *testing.T) {
	for cmd, must := range map[string][]string{
		"run":    {"--task-def", "--container", "--profile", "--region", "secret wins", "Exit codes"},
		"env":    {"--format", "--force", "terminal", "'\\''", `\\ \" \$ \n \r`, "--env-file", "Exit codes", "  5 "},
		"render": {"--out", "--format", "--group", "0400", "0440", ".valuefrom-files", "Exit codes", "  5 "},
	} {
		r := runValuefrom(t, nil, cmd, "-h")
		if r.code != 0 {
			t.Errorf("%s -h: exit %d", cmd, r.code)
		}
		for _, m := range must {
			if !strings.Contains(r.stdout, m) {
				t.Errorf("%s -h does not mention %q", cmd, m)
			}
		}
	}
	// After --, a subcommand's name is a program's.
	if r := runValuefrom(t, []string{"X=1"}, "--", "env"); r.code != 0 || !strings.Contains(r.stdout, "X=1") {
		t.Errorf("valuefrom -- env: exit %d, stdout %q", r.code, r.stdout)
	}
}

func assertMode(t *testing.T, path string, perm os.FileMode, gid int) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != perm {
		t.Errorf("%s: mode %v, want %v", path, fi.Mode().Perm(), perm)
	}
	if got := int(fi.Sys().(*syscall.Stat_t).Gid); gid >= 0 && got != gid {
		t.Errorf("%s: group %d, want %d", path, got, gid)
	}
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

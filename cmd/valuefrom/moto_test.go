package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/testkit/dotenvtest"
	"github.com/valuefrom/valuefrom/internal/testkit/faultproxy"
	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/testfs"
)

// TestMoto runs valuefrom in-process against moto: the entrypoint, run,
// env, render, check and policy.
func TestMoto(t *testing.T) {
	moto := startMoto(t)
	prev := seed(t, moto)
	t.Run("entrypoint", func(t *testing.T) { testEntrypoint(t, prev) })
	t.Run("task definitions", testTaskDefs)
	t.Run("check and policy", func(t *testing.T) { testCheck(t, moto) })
	t.Run("top-level --region and --profile", testTopLevelIdentity)
	t.Run("slash hint", testSlashHint)
}

func testEntrypoint(t *testing.T, prev string) {
	arn := func(service, resource string) string {
		return fmt.Sprintf("arn:aws:%s:us-east-1:%s:%s", service, account, resource)
	}

	t.Run("every reference form", func(t *testing.T) {
		env := []string{
			"FIRST=untouched",
			"DB_USER=" + arn("secretsmanager", "secret:app/db:user::"),
			"DB_PASSWORD=secretsmanager:app/db:password::",
			"DB_PORT=secretsmanager:app/db:port::",
			"DB_BIG=secretsmanager:app/db:big::",
			"DB_RATIO=secretsmanager:app/db:ratio::",
			"DB_ON=secretsmanager:app/db:on::",
			"DB_NONE=secretsmanager:app/db:none::",
			"DB_NESTED=secretsmanager:app/db:nested::",
			"DB_WHOLE=" + arn("secretsmanager", "secret:app/db"),
			"PLAIN=secretsmanager:plain",
			"OLD=secretsmanager:rotated::AWSPREVIOUS:",
			"OLD_BY_ID=secretsmanager:rotated:::" + prev,
			"CURRENT=" + arn("secretsmanager", "secret:rotated::AWSCURRENT:"),
			"WEST=arn:aws:secretsmanager:us-west-2:" + account + ":secret:regional",
			"URL=ssm:/app/url",
			"HOSTS=" + arn("ssm", "parameter/app/hosts"),
			"TOKEN=ssm:/app/token",
			"TOKEN_V1=ssm:/app/token:1",
			"TOKEN_STABLE=" + arn("ssm", "parameter/app/token:stable"),
			"TOP=" + arn("ssm", "parameter/toplevel"),
			"KMS_KEY=arn:aws:kms:us-east-1:" + account + ":key/1234",
			"WEIRD=a=b\nc ☃",
			"VALUEFROM_LOG_LEVEL=debug",
			"LAST=untouched too",
		}
		r := runIn(t, env, "--", "env", "-0")
		if r.code != 0 || !slices.Equal(r.exec, []string{"env", "-0"}) {
			t.Fatalf("exit code %d, exec %q, stderr:\n%s", r.code, r.exec, r.stderr)
		}
		got := environOf(r.env)
		want := map[string]string{
			"FIRST":        "untouched",
			"DB_USER":      "admin",
			"DB_PASSWORD":  canaryJSON,
			"DB_PORT":      "5432",
			"DB_BIG":       "1000000",
			"DB_RATIO":     "1.50",
			"DB_ON":        "true",
			"DB_NONE":      "",
			"DB_NESTED":    `{"a":[1,"two"]}`,
			"DB_WHOLE":     `{"user":"admin","password":"` + canaryJSON + `","port":5432,"big":1000000,"ratio":1.50,"on":true,"none":null,"nested":{"a": [1, "two"]}}`,
			"PLAIN":        "line1\nline2=" + canaryString + " ünïcødé ☃",
			"OLD":          canaryOld,
			"OLD_BY_ID":    canaryOld,
			"CURRENT":      "new-value",
			"WEST":         canaryWest,
			"URL":          "https://example.com/?a=b&c=d",
			"HOSTS":        "a,b,c",
			"TOKEN":        "v2-" + canaryParam,
			"TOKEN_V1":     "v1-" + canaryParam,
			"TOKEN_STABLE": "v1-" + canaryParam,
			"TOP":          "top",
			"KMS_KEY":      "arn:aws:kms:us-east-1:" + account + ":key/1234",
			"WEIRD":        "a=b\nc ☃",
			"LAST":         "untouched too",
		}
		checkVars(t, got, want)
		if _, ok := got["VALUEFROM_LOG_LEVEL"]; ok {
			t.Error("VALUEFROM_LOG_LEVEL reached the command")
		}
		// The original order is kept.
		var order []string
		for _, kv := range r.env {
			if k, _, _ := strings.Cut(kv, "="); k == "FIRST" || k == "TOKEN" || k == "LAST" {
				order = append(order, k)
			}
		}
		if !slices.Equal(order, []string{"FIRST", "TOKEN", "LAST"}) {
			t.Errorf("order = %v, want FIRST TOKEN LAST", order)
		}
		assertNoCanary(t, "stderr at debug level", r.stderr)
		if !strings.Contains(r.stderr, `msg="resolved references" ok=true secretsmanager=14 ssm=6`) {
			t.Errorf("no summary line in stderr:\n%s", r.stderr)
		}
		if strings.Count(r.stderr, "msg=resolved ") != 20 {
			t.Errorf("want one debug line per reference (20), stderr:\n%s", r.stderr)
		}
	})

	t.Run("_FILE values", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "secrets")
		env := []string{"DB_PASSWORD_FILE=secretsmanager:app/db:password::", "BLOB_FILE=secretsmanager:binary", "PLAIN_FILE=not a reference"}
		r := runIn(t, env, "--files-dir", dir, "--", "env", "-0")
		if r.code != 0 {
			t.Fatalf("exit code %d, stderr:\n%s", r.code, r.stderr)
		}
		got := environOf(r.env)
		for v, want := range map[string]string{"DB_PASSWORD_FILE": canaryJSON, "BLOB_FILE": "\x00\x01" + canaryBinary + "\xff"} {
			path := got[v]
			if path != filepath.Join(dir, strings.TrimSuffix(v, "_FILE")) {
				t.Errorf("%s = %q, want a path in %s", v, path, dir)
				continue
			}
			if data, err := os.ReadFile(path); err != nil || string(data) != want {
				t.Errorf("%s: file holds %d bytes, not the %d of the secret (%v)", v, len(data), len(want), err)
			}
			assertMode(t, path, 0o400, -1)
		}
		assertMode(t, dir, 0o700, -1)
		if got["PLAIN_FILE"] != "not a reference" {
			t.Errorf("PLAIN_FILE = %q, want it untouched", got["PLAIN_FILE"])
		}
	})

	tests := []struct {
		name string
		env  []string
		code int
		want []string // in stderr
	}{
		{"binary in the environment", []string{"BLOB=secretsmanager:binary"}, exitcode.Resolve, []string{"BLOB: \"secretsmanager:binary\": BinaryValue", "_FILE"}},
		{"failures name every variable", []string{
			"VALUEFROM_LOG_LEVEL=debug",
			"GOOD=secretsmanager:app/db:password::",
			"MISSING=secretsmanager:does-not-exist",
			"WRONG_REGION=arn:aws:secretsmanager:eu-west-1:" + account + ":secret:app/db",
			"NO_KEY=secretsmanager:app/db:passwd::",
			"NOT_JSON=secretsmanager:plain:key::",
			"NO_PARAM=ssm:/app/missing",
			"NO_VERSION=ssm:/app/token:9",
			// Another account's parameter of a name this account also has:
			// never the local one in its place.
			"OTHER_ACCOUNT=arn:aws:ssm:us-east-1:999999999999:parameter/app/token",
		}, exitcode.Resolve, []string{
			"valuefrom: error: MISSING: \"secretsmanager:does-not-exist\": ResourceNotFoundException",
			"valuefrom: error: WRONG_REGION: ", "looked in eu-west-1",
			"valuefrom: error: NO_KEY: ", "JSONKeyNotFound",
			"valuefrom: error: NOT_JSON: ", "NotJSONObject",
			"valuefrom: error: NO_PARAM: \"ssm:/app/missing\": NotFound",
			"valuefrom: error: NO_VERSION: \"ssm:/app/token:9\": NotFound",
			"valuefrom: error: OTHER_ACCOUNT: ",
			"7 references could not be resolved; the command was not started",
		}},
		{"json errors", []string{"VALUEFROM_LOG_FORMAT=json", "MISSING=secretsmanager:does-not-exist"}, exitcode.Resolve, []string{`"var":"MISSING"`, `"code":"ResourceNotFoundException"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runIn(t, tt.env, "--", "true")
			if r.code != tt.code || r.exec != nil {
				t.Errorf("exit code %d, want %d; exec %q", r.code, tt.code, r.exec)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			if strings.Contains(r.stderr, "error: GOOD") {
				t.Errorf("GOOD reported as failing:\n%s", r.stderr)
			}
			assertNoCanary(t, "stderr", r.stderr)
		})
	}

	t.Run("ignore", func(t *testing.T) {
		env := []string{"VALUEFROM_IGNORE=KEEP, ALSO", "KEEP=ssm:not/a/reference here", "ALSO=secretsmanager:x:y", "URL=ssm:/app/url"}
		r := runIn(t, env, "--", "true")
		got := environOf(r.env)
		if r.code != 0 || got["KEEP"] != "ssm:not/a/reference here" || got["ALSO"] != "secretsmanager:x:y" || got["URL"] != "https://example.com/?a=b&c=d" {
			t.Errorf("exit %d, KEEP=%q ALSO=%q URL=%q, stderr:\n%s", r.code, got["KEEP"], got["ALSO"], got["URL"], r.stderr)
		}
	})
}

// checkVars compares variables, showing no canary.
func checkVars(t *testing.T, got, want map[string]string) {
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

// taskDefs returns the three shapes of a task definition holding app and
// sidecar (the single container shape holds app alone).
func taskDefs(t *testing.T) map[string]string {
	register := map[string]any{"family": "app", "containerDefinitions": []any{app, sidecar}}
	tds := map[string]string{}
	for shape, v := range map[string]any{"describe": map[string]any{"taskDefinition": register}, "register": register, "container": app} {
		data, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		tds[shape] = testfs.WriteFile(t, "td.json", string(data))
	}
	return tds
}

// process is the environment the task-definition tests start from.
var process = []string{"OVER_PROCESS=process loses", "PROCESS_ONLY=kept", "PROC_REF=ssm:/app/url"}

// wantRun is what run gives the command, with the task definition.
var wantRun = map[string]string{
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

func testTaskDefs(t *testing.T) {
	tds := taskDefs(t)
	// What env and render write: all of wantRun but PROCESS_ONLY.
	wantPrinted := maps.Clone(wantRun)
	delete(wantPrinted, "PROCESS_ONLY")

	t.Run("run: three shapes, precedence", func(t *testing.T) {
		for shape, td := range tds {
			t.Run(shape, func(t *testing.T) {
				args := []string{"run", "--task-def", td}
				if shape != "container" {
					args = append(args, "--container", "app")
				}
				r := runIn(t, process, append(args, "--", "env", "-0")...)
				if r.code != 0 || !slices.Equal(r.exec, []string{"env", "-0"}) {
					t.Fatalf("exit code %d, exec %q, stderr:\n%s", r.code, r.exec, r.stderr)
				}
				got := environOf(r.env)
				checkVars(t, got, wantRun)
				for _, v := range []string{"VALUEFROM_IGNORE", "X"} {
					if _, ok := got[v]; ok {
						t.Errorf("%s reached the command", v)
					}
				}
				assertNoCanary(t, "stderr", r.stderr)
			})
		}
	})

	t.Run("run without a task definition is the entrypoint", func(t *testing.T) {
		r := runIn(t, []string{"A=ssm:/app/url", "B=plain"}, "run", "--", "env", "-0")
		got := environOf(r.env)
		if r.code != 0 || got["A"] != "https://example.com/?a=b&c=d" || got["B"] != "plain" {
			t.Errorf("exit %d, A=%q B=%q, stderr:\n%s", r.code, got["A"], got["B"], r.stderr)
		}
	})

	t.Run("env json: which variables", func(t *testing.T) {
		r := runIn(t, append(slices.Clone(process), "VALUEFROM_LOG_LEVEL=warn"), "env", "--task-def", tds["describe"], "--container", "app", "--format", "json")
		var got map[string]string
		if err := json.Unmarshal([]byte(r.stdout), &got); r.code != 0 || err != nil {
			t.Fatalf("exit code %d, output not a JSON object (%v); stderr:\n%s", r.code, err, r.stderr)
		}
		checkVars(t, got, wantPrinted)
		// The task definition's variables and the references; nothing else.
		names := slices.Sorted(maps.Keys(got))
		if want := []string{"FROM_ENV", "LITERAL", "OVER_PROCESS", "PROC_REF", "SHADOWED", "TOKEN", "TRICKY", "URL"}; !slices.Equal(names, want) {
			t.Errorf("printed %v, want %v", names, want)
		}
		if r.stderr != "" {
			t.Errorf("stderr at warn level: %s", r.stderr)
		}
	})

	t.Run("env dotenv through a parser", func(t *testing.T) {
		r := runIn(t, process, "env", "--task-def", tds["container"], "--format", "dotenv")
		got, err := dotenvtest.Parse(r.stdout)
		if r.code != 0 || err != nil {
			t.Fatalf("exit code %d, output does not parse as documented (%v); stderr:\n%s", r.code, err, r.stderr)
		}
		checkVars(t, got, wantPrinted)
		if len(got) != len(wantPrinted) {
			t.Errorf("printed %d variables, want %d", len(got), len(wantPrinted))
		}
	})

	t.Run("env _FILE prints the file's path", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "files")
		r := runIn(t, []string{"DB_PASSWORD_FILE=secretsmanager:app/db:password::", "VALUEFROM_FILES_DIR=" + dir}, "env", "--format", "json")
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

	t.Run("render formats and modes", func(t *testing.T) {
		dir := t.TempDir()
		dotenv := filepath.Join(dir, "app.env")
		r := runIn(t, process, "render", "--out", dotenv, "--task-def", tds["container"])
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
		r = runIn(t, []string{"PASSWORD=secretsmanager:app/db:password::", "PLAIN=not printed"}, "render", "--out", js, "--format", "json", "--group", fmt.Sprint(gid))
		var obj map[string]string
		data, _ = os.ReadFile(js)
		if err := json.Unmarshal(data, &obj); r.code != 0 || err != nil || len(obj) != 1 || obj["PASSWORD"] != canaryJSON {
			t.Errorf("exit %d; json file: %v, %d keys, want only PASSWORD with the secret", r.code, err, len(obj))
		}
		assertMode(t, js, 0o440, gid)

		// One file per variable; a binary secret byte for byte; _FILE
		// means nothing.
		files := filepath.Join(dir, "secrets")
		r = runIn(t, []string{"PASSWORD_FILE=secretsmanager:app/db:password::", "BLOB=secretsmanager:binary"}, "render", "--out", files, "--format", "files")
		if r.code != 0 {
			t.Fatalf("exit code %d, stderr:\n%s", r.code, r.stderr)
		}
		for name, want := range map[string]string{"PASSWORD_FILE": canaryJSON, "BLOB": "\x00\x01" + canaryBinary + "\xff"} {
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
		if r := runIn(t, []string{"A=ssm:/app/url"}, "render", "--out", files, "--format", "files"); r.code != 0 {
			t.Fatalf("first render: exit %d, stderr:\n%s", r.code, r.stderr)
		}
		failing := []string{"A=ssm:/app/url", "GOOD=secretsmanager:app/db:password::", "MISSING=secretsmanager:does-not-exist"}
		tests := []struct {
			name string
			env  []string
			args []string
			code int
			want string
		}{
			{"failing reference", failing, []string{"--out", out}, exitcode.Resolve, "1 reference could not be resolved; nothing was written"},
			{"failing reference, files", failing, []string{"--out", files, "--format", "files"}, exitcode.Resolve, `MISSING: "secretsmanager:does-not-exist"`},
			{"binary secret as dotenv, even _FILE", []string{"BLOB_FILE=secretsmanager:binary"}, []string{"--out", out}, exitcode.Resolve, "BLOB_FILE"},
			{"out is a directory", []string{"A=ssm:/app/url"}, []string{"--out", dir}, exitcode.Output, "is a directory"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := runIn(t, tt.env, append([]string{"render"}, tt.args...)...)
				if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
					t.Errorf("exit %d, want %d with %q; stderr:\n%s", r.code, tt.code, tt.want, r.stderr)
				}
				assertNoCanary(t, "stderr", r.stderr)
				if data, _ := os.ReadFile(out); string(data) != "previous" {
					t.Error("the existing file was changed")
				}
				if got := testfs.Names(t, dir); !slices.Equal(got, []string{"app.env", "secrets"}) {
					t.Errorf("directory holds %v, want app.env and secrets only", got)
				}
				if got := testfs.Names(t, files); !slices.Equal(got, []string{".valuefrom-files", "A"}) {
					t.Errorf("secrets holds %v, want .valuefrom-files and A only", got)
				}
			})
		}
	})
}

// testCheck runs valuefrom check and policy as operators do.
func testCheck(t *testing.T, moto *mototest.Server) {
	// Every KMS call answers HTTP 500: DescribeKey cannot be checked.
	backend, _ := url.Parse(moto.URL)
	proxy := faultproxy.New(backend, faultproxy.Config{Ops: map[string]faultproxy.Rule{"TrentService.*": {Internal: 1}}})
	if err := proxy.Start(); err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	// Every BatchGetSecretValue is denied, as for a role without it.
	front := httptest.NewServer(&denyBatches{backend: httputil.NewSingleHostReverseProxy(backend)})
	defer front.Close()

	tests := []struct {
		name    string
		env     []string
		args    []string
		kms     bool   // KMS through the failing proxy
		batches bool   // Secrets Manager through the front that denies BatchGetSecretValue
		code    int    // the exit code
		stdout  string // a piece of stdout
		stderr  string // a piece of stderr
	}{
		{"ok", []string{"DB=secretsmanager:app/db:password::"}, []string{"check"}, false, false, exitcode.OK, "1 reference: 1 ok, 0 warning, 0 fail", ""},
		{"warning", []string{"DB=secretsmanager:app/db:password::"}, []string{"check"}, true, false, exitcode.Warnings, "kms:DescribeKey (InternalServiceError", "valuefrom: warning: 1 reference with warnings"},
		{"fail", []string{"DB=secretsmanager:app/db:password::", "GONE=secretsmanager:gone"}, []string{"check"}, false, false, exitcode.Failures, "ResourceNotFoundException", "valuefrom: error: 1 reference would not resolve"},
		{"json", []string{"DB=secretsmanager:app/db:nokey::"}, []string{"check", "--format", "json"}, false, false, exitcode.Failures, `"json_key": "no"`, ""},
		{"batch denied", []string{"DB=secretsmanager:app/db:password::", "PLAIN=secretsmanager:plain"}, []string{"check"}, false, true, exitcode.Warnings,
			`DB: warning: "secretsmanager:app/db:password::" BatchGetSecretValueDenied: secretsmanager:BatchGetSecretValue is denied in us-east-1`, "valuefrom: warning: 2 references with warnings"},
		{"batch denied, batching off", []string{"DB=secretsmanager:app/db:password::", "PLAIN=secretsmanager:plain", "VALUEFROM_BATCH_SECRETS=false"}, []string{"check"}, false, true, exitcode.OK,
			"2 references: 2 ok, 0 warning, 0 fail", ""},
		{"policy", []string{"DB=secretsmanager:app/db:password::"}, []string{"policy"}, false, false, exitcode.OK,
			`"arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-`, ""}, // the ARN DescribeSecret returns
		{"policy json, missing parameter", []string{"DB=secretsmanager:app/db:password::", "URL=ssm:/app/gone"}, []string{"policy"}, false, false, exitcode.Warnings,
			`"arn:aws:ssm:us-east-1:123456789012:parameter/app/gone"`, `valuefrom: warning: URL: "ssm:/app/gone" does not exist in us-east-1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.kms {
				t.Setenv("AWS_ENDPOINT_URL_KMS", proxy.URL())
			}
			if tt.batches {
				t.Setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", front.URL)
			}
			r := runIn(t, append(tt.env, "VALUEFROM_MAX_ATTEMPTS=1"), tt.args...)
			if r.code != tt.code {
				t.Errorf("exit code %d, want %d; stderr:\n%s", r.code, tt.code, r.stderr)
			}
			if !strings.Contains(r.stdout, tt.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.stdout, r.stdout)
			}
			if !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, r.stderr)
			}
			assertNoCanary(t, "stdout", r.stdout)
			assertNoCanary(t, "stderr", r.stderr)
			if strings.Contains(tt.name, "json") || strings.HasPrefix(tt.name, "policy") {
				var v any
				if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
					t.Errorf("stdout is not JSON: %v", err)
				}
			}
		})
	}
}

// denyBatches stands in front of backend as a role without
// secretsmanager:BatchGetSecretValue: it answers every such call
// AccessDeniedException, as AWS does, and forwards every other call.
type denyBatches struct{ backend http.Handler }

func (d *denyBatches) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Amz-Target") != "secretsmanager.BatchGetSecretValue" {
		d.backend.ServeHTTP(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(http.StatusBadRequest)
	w.Write([]byte(`{"__type":"AccessDeniedException","message":"User: arn:aws:sts::123456789012:assumed-role/task/x is not authorized to perform: secretsmanager:BatchGetSecretValue"}`))
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

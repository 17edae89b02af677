package entrypoint

// Every reference form through the entrypoint, as operators write them,
// against the forms fixture in moto (was cmd/valuefrom's TestMoto, run in
// process; now the binary, exec'ing env -0 to show what the program
// gets).

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/valuefrom/valuefrom/internal/envlist"
	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/testkit/forms"
	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/testfs"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

// printEnv is a program that prints its environment, NUL-separated; in
// entrypoint mode valuefrom itself prints nothing on stdout, so an empty
// stdout means the program was not started.
var printEnv = []string{"env", "-0"}

// entries returns the NAME=VALUE entries of env -0's output, in order.
func entries(out string) []string {
	return strings.Split(strings.TrimSuffix(out, "\x00"), "\x00")
}

// TestForms runs the entrypoint against the forms fixture, in one moto.
func TestForms(t *testing.T) {
	vfbin.Need(t)
	moto := mototest.Start(t)
	prev := forms.Seed(t, moto)
	t.Run("entrypoint", func(t *testing.T) { testForms(t, moto, prev) })
	t.Run("top-level --region and --profile", func(t *testing.T) { testTopLevelIdentity(t, moto) })
	t.Run("slash hint", func(t *testing.T) { testSlashHint(t, moto) })
	t.Run("exec", func(t *testing.T) { testBinaryExec(t, moto) })
	t.Run("quiet at warn", func(t *testing.T) { testQuietAtWarn(t, moto) })
}

func testForms(t *testing.T, moto *mototest.Server, prev string) {
	arn := func(service, resource string) string {
		return fmt.Sprintf("arn:aws:%s:us-east-1:%s:%s", service, forms.Account, resource)
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
			"WEST=arn:aws:secretsmanager:us-west-2:" + forms.Account + ":secret:regional",
			"URL=ssm:/app/url",
			"HOSTS=" + arn("ssm", "parameter/app/hosts"),
			"TOKEN=ssm:/app/token",
			"TOKEN_V1=ssm:/app/token:1",
			"TOKEN_STABLE=" + arn("ssm", "parameter/app/token:stable"),
			"TOP=" + arn("ssm", "parameter/toplevel"),
			"KMS_KEY=arn:aws:kms:us-east-1:" + forms.Account + ":key/1234",
			"WEIRD=a=b\nc ☃",
			"VALUEFROM_LOG_LEVEL=debug",
			"LAST=untouched too",
		}
		r := forms.Run(t, moto, env, append([]string{"--"}, printEnv...)...)
		if r.Code != 0 || r.Stdout == "" {
			t.Fatalf("exit code %d, %d bytes from the program; stderr:\n%s", r.Code, len(r.Stdout), r.Stderr)
		}
		got := vfbin.Environ(r.Stdout)
		want := map[string]string{
			"FIRST":        "untouched",
			"DB_USER":      "admin",
			"DB_PASSWORD":  forms.CanaryJSON,
			"DB_PORT":      "5432",
			"DB_BIG":       "1000000",
			"DB_RATIO":     "1.50",
			"DB_ON":        "true",
			"DB_NONE":      "",
			"DB_NESTED":    `{"a":[1,"two"]}`,
			"DB_WHOLE":     forms.DBJSON,
			"PLAIN":        "line1\nline2=" + forms.CanaryString + " ünïcødé ☃",
			"OLD":          forms.CanaryOld,
			"OLD_BY_ID":    forms.CanaryOld,
			"CURRENT":      "new-value",
			"WEST":         forms.CanaryWest,
			"URL":          "https://example.com/?a=b&c=d",
			"HOSTS":        "a,b,c",
			"TOKEN":        "v2-" + forms.CanaryParam,
			"TOKEN_V1":     "v1-" + forms.CanaryParam,
			"TOKEN_STABLE": "v1-" + forms.CanaryParam,
			"TOP":          "top",
			"KMS_KEY":      "arn:aws:kms:us-east-1:" + forms.Account + ":key/1234",
			"WEIRD":        "a=b\nc ☃",
			"LAST":         "untouched too",
		}
		forms.CheckVars(t, got, want)
		if _, ok := got["VALUEFROM_LOG_LEVEL"]; ok {
			t.Error("VALUEFROM_LOG_LEVEL reached the command")
		}
		// The original order is kept.
		var order []string
		for _, kv := range entries(r.Stdout) {
			if k, _, _ := envlist.Split(kv); k == "FIRST" || k == "TOKEN" || k == "LAST" {
				order = append(order, k)
			}
		}
		if !slices.Equal(order, []string{"FIRST", "TOKEN", "LAST"}) {
			t.Errorf("order = %v, want FIRST TOKEN LAST", order)
		}
		forms.NoCanary(t, "stderr at debug level", r.Stderr)
		if !strings.Contains(r.Stderr, `msg="resolved references" ok=true secretsmanager=14 ssm=6`) {
			t.Errorf("no summary line in stderr:\n%s", r.Stderr)
		}
		if strings.Count(r.Stderr, "msg=resolved ") != 20 {
			t.Errorf("want one debug line per reference (20), stderr:\n%s", r.Stderr)
		}
	})

	t.Run("_FILE values", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "secrets")
		env := []string{"DB_PASSWORD_FILE=secretsmanager:app/db:password::", "BLOB_FILE=secretsmanager:binary", "PLAIN_FILE=not a reference"}
		r := forms.Run(t, moto, env, append([]string{"--files-dir", dir, "--"}, printEnv...)...)
		if r.Code != 0 {
			t.Fatalf("exit code %d, stderr:\n%s", r.Code, r.Stderr)
		}
		got := vfbin.Environ(r.Stdout)
		for v, want := range map[string]string{"DB_PASSWORD_FILE": forms.CanaryJSON, "BLOB_FILE": "\x00\x01" + forms.CanaryBinary + "\xff"} {
			path := got[v]
			if path != filepath.Join(dir, strings.TrimSuffix(v, "_FILE")) {
				t.Errorf("%s = %q, want a path in %s", v, path, dir)
				continue
			}
			if data, err := os.ReadFile(path); err != nil || string(data) != want {
				t.Errorf("%s: file holds %d bytes, not the %d of the secret (%v)", v, len(data), len(want), err)
			}
			testfs.CheckMode(t, path, 0o400, -1)
		}
		testfs.CheckMode(t, dir, 0o700, -1)
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
			"WRONG_REGION=arn:aws:secretsmanager:eu-west-1:" + forms.Account + ":secret:app/db",
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
			r := forms.Run(t, moto, tt.env, append([]string{"--"}, printEnv...)...)
			forms.NoCanary(t, "stderr", r.Stderr)
			if r.Code != tt.code || r.Stdout != "" {
				t.Errorf("exit code %d, want %d; the program printed %d bytes, want it not started", r.Code, tt.code, len(r.Stdout))
			}
			for _, w := range tt.want {
				if !strings.Contains(r.Stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.Stderr)
				}
			}
			if strings.Contains(r.Stderr, "error: GOOD") {
				t.Errorf("GOOD reported as failing:\n%s", r.Stderr)
			}
		})
	}

	t.Run("ignore", func(t *testing.T) {
		env := []string{"VALUEFROM_IGNORE=KEEP, ALSO", "KEEP=ssm:not/a/reference here", "ALSO=secretsmanager:x:y", "URL=ssm:/app/url"}
		r := forms.Run(t, moto, env, append([]string{"--"}, printEnv...)...)
		got := vfbin.Environ(r.Stdout)
		if r.Code != 0 || got["KEEP"] != "ssm:not/a/reference here" || got["ALSO"] != "secretsmanager:x:y" || got["URL"] != "https://example.com/?a=b&c=d" {
			t.Errorf("exit %d, KEEP=%q ALSO=%q URL=%q, stderr:\n%s", r.Code, got["KEEP"], got["ALSO"], got["URL"], r.Stderr)
		}
	})
}

// testTopLevelIdentity: --region and --profile work on the entrypoint
// itself, and carry over to a subcommand, whose own win (issue 11, item 8).
// "regional" exists only in us-west-2; the environment's region is
// us-east-1. printenv WEST, not a subcommand, is the program.
func testTopLevelIdentity(t *testing.T, moto *mototest.Server) {
	env := []string{"WEST=secretsmanager:regional"}
	t.Run("--region", func(t *testing.T) {
		r := forms.Run(t, moto, env, "--region", "us-west-2", "--", "printenv", "WEST")
		forms.NoCanary(t, "stderr", r.Stderr)
		if r.Code != 0 || r.Stdout != forms.CanaryWest+"\n" {
			t.Fatalf("valuefrom --region us-west-2 -- printenv WEST: exit %d, the program printed %d bytes, not the %d of the value; stderr:\n%s",
				r.Code, len(r.Stdout), len(forms.CanaryWest)+1, r.Stderr)
		}
	})
	t.Run("--profile", func(t *testing.T) {
		cfg := testfs.WriteFile(t, "config", "[profile west]\nregion = us-west-2\naws_access_key_id = test\naws_secret_access_key = test\n")
		var noRegion []string
		for _, kv := range forms.Env(moto, env...) {
			if k, _, _ := envlist.Split(kv); k != "AWS_REGION" && k != "AWS_DEFAULT_REGION" {
				noRegion = append(noRegion, kv)
			}
		}
		r := vfbin.RunEnv(t, append(noRegion, "AWS_CONFIG_FILE="+cfg), "--profile", "west", "printenv", "WEST")
		if r.Code != 0 || r.Stdout != forms.CanaryWest+"\n" {
			t.Fatalf("valuefrom --profile west printenv WEST: exit %d, the program printed %d bytes, not the %d of the value; stderr:\n%s",
				r.Code, len(r.Stdout), len(forms.CanaryWest)+1, r.Stderr)
		}
	})
	t.Run("carried to a subcommand", func(t *testing.T) {
		r := forms.Run(t, moto, env, "--region", "us-west-2", "env", "--format", "json")
		if r.Code != 0 || !strings.Contains(r.Stdout, forms.CanaryWest) {
			t.Fatalf("valuefrom --region us-west-2 env: exit %d; stderr:\n%s", r.Code, r.Stderr)
		}
		r = forms.Run(t, moto, env, "--region", "us-west-2", "run", "--region", "us-east-1", "printenv", "WEST")
		if r.Code != exitcode.Resolve || r.Stdout != "" || !strings.Contains(r.Stderr, "us-east-1") {
			t.Errorf("run's --region did not win over valuefrom's: exit %d, the program printed %d bytes; stderr:\n%s", r.Code, len(r.Stdout), r.Stderr)
		}
	})
}

// testSlashHint: ssm:app/url, when /app/url exists, is not found, and the
// hint suggests the leading slash; it is not resolved by itself (issue 11,
// item 15).
func testSlashHint(t *testing.T, moto *mototest.Server) {
	r := forms.Run(t, moto, []string{"URL=ssm:app/url"}, append([]string{"--"}, printEnv...)...)
	if r.Code != exitcode.Resolve || r.Stdout != "" {
		t.Fatalf("exit %d, the program printed %d bytes; want %d and nothing run; stderr:\n%s", r.Code, len(r.Stdout), exitcode.Resolve, r.Stderr)
	}
	if !strings.Contains(r.Stderr, "valuefrom: hint: check the parameter name and the region: looked in us-east-1; names are case-sensitive; a name in a hierarchy starts with /: did you mean ssm:/app/url?") {
		t.Errorf("no hint at the leading slash:\n%s", r.Stderr)
	}
}

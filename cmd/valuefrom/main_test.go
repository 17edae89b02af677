package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/valuefrom/valuefrom/internal/mototest"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// binary is valuefrom, built once for the end-to-end tests with a version
// stamped in, as a release build is.
var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "valuefrom-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "valuefrom")
	build := exec.Command("go", "build", "-ldflags", "-X main.version=v9.9.9-test -X main.commit=abc123", "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building valuefrom:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is what one run of valuefrom did.
type result struct {
	code           int
	stdout, stderr string
}

// runValuefrom runs the binary with exactly env (plus PATH) and args.
func runValuefrom(t *testing.T, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append([]string{"PATH=/usr/bin:/bin"}, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("running valuefrom: %v", err)
	}
	return result{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
}

// environOf parses the NUL-separated output of env -0.
func environOf(out string) map[string]string {
	m := map[string]string{}
	for _, kv := range strings.Split(strings.TrimSuffix(out, "\x00"), "\x00") {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

// Canary values: if any of these shows up on valuefrom's own stdout or
// stderr, a secret leaked. Failure messages never print them.
const (
	canaryJSON   = "canary-json-5d2e"
	canaryString = "canary-string-9b1f"
	canaryParam  = "canary-param-77c3"
	canaryWest   = "canary-west-0a4d"
	canaryOld    = "canary-old-31e8"
	canaryBinary = "canary-binary-c0de"
)

const account = "123456789012" // moto's default account

// seed creates the secrets and parameters the tests read, and returns the
// version id of the secret "rotated"'s previous version.
func seed(t *testing.T, moto *mototest.Server) (previousVersion string) {
	t.Helper()
	ctx := context.Background()
	east := secretsmanager.NewFromConfig(moto.Config(t, "us-east-1"))
	west := secretsmanager.NewFromConfig(moto.Config(t, "us-west-2"))
	params := ssm.NewFromConfig(moto.Config(t, "us-east-1"))
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(east.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("app/db"),
		SecretString: aws.String(`{"user":"admin","password":"` + canaryJSON + `","port":5432,"big":1000000,"ratio":1.50,"on":true,"none":null,"nested":{"a": [1, "two"]}}`)}))
	must(east.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("plain"),
		SecretString: aws.String("line1\nline2=" + canaryString + " ünïcødé ☃")}))
	must(east.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("binary"),
		SecretBinary: []byte("\x00\x01" + canaryBinary + "\xff")}))
	first, err := east.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("rotated"), SecretString: aws.String(canaryOld)})
	must(first, err)
	must(east.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("rotated"), SecretString: aws.String("new-value")}))
	must(west.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("regional"), SecretString: aws.String(canaryWest)}))

	must(params.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/url"), Type: ssmtypes.ParameterTypeString, Value: aws.String("https://example.com/?a=b&c=d")}))
	must(params.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/hosts"), Type: ssmtypes.ParameterTypeStringList, Value: aws.String("a,b,c")}))
	must(params.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/token"), Type: ssmtypes.ParameterTypeSecureString, Value: aws.String("v1-" + canaryParam)}))
	must(params.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/token"), Type: ssmtypes.ParameterTypeSecureString, Value: aws.String("v2-" + canaryParam), Overwrite: aws.Bool(true)}))
	must(params.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{Name: aws.String("/app/token"), ParameterVersion: aws.Int64(1), Labels: []string{"stable"}}))
	must(params.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("toplevel"), Type: ssmtypes.ParameterTypeString, Value: aws.String("top")}))
	return aws.ToString(first.VersionId)
}

func TestEndToEnd(t *testing.T) {
	moto := mototest.Start(t)
	prev := seed(t, moto)
	arn := func(service, resource string) string {
		return fmt.Sprintf("arn:aws:%s:us-east-1:%s:%s", service, account, resource)
	}

	t.Run("every reference form", func(t *testing.T) {
		env := append(moto.Env(),
			"FIRST=untouched",
			"DB_USER="+arn("secretsmanager", "secret:app/db:user::"),
			"DB_PASSWORD=secretsmanager:app/db:password::",
			"DB_PORT=secretsmanager:app/db:port::",
			"DB_BIG=secretsmanager:app/db:big::",
			"DB_RATIO=secretsmanager:app/db:ratio::",
			"DB_ON=secretsmanager:app/db:on::",
			"DB_NONE=secretsmanager:app/db:none::",
			"DB_NESTED=secretsmanager:app/db:nested::",
			"DB_WHOLE="+arn("secretsmanager", "secret:app/db"),
			"PLAIN=secretsmanager:plain",
			"OLD=secretsmanager:rotated::AWSPREVIOUS:",
			"OLD_BY_ID=secretsmanager:rotated:::"+prev,
			"CURRENT="+arn("secretsmanager", "secret:rotated::AWSCURRENT:"),
			"WEST=arn:aws:secretsmanager:us-west-2:"+account+":secret:regional",
			"URL=ssm:/app/url",
			"HOSTS="+arn("ssm", "parameter/app/hosts"),
			"TOKEN=ssm:/app/token",
			"TOKEN_V1=ssm:/app/token:1",
			"TOKEN_STABLE="+arn("ssm", "parameter/app/token:stable"),
			"TOP="+arn("ssm", "parameter/toplevel"),
			"KMS_KEY=arn:aws:kms:us-east-1:"+account+":key/1234",
			"WEIRD=a=b\nc ☃",
			"VALUEFROM_LOG_LEVEL=debug",
			"LAST=untouched too",
		)
		r := runValuefrom(t, env, "--", "env", "-0")
		if r.code != 0 {
			t.Fatalf("exit code %d, stderr:\n%s", r.code, r.stderr)
		}
		got := environOf(r.stdout)
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
		for k, w := range want {
			if g, ok := got[k]; !ok || g != w {
				t.Errorf("%s: got %d bytes, want %d bytes (values not shown)", k, len(g), len(w))
				if !strings.Contains(w, "canary") {
					t.Errorf("%s = %q, want %q", k, g, w)
				}
			}
		}
		if _, ok := got["VALUEFROM_LOG_LEVEL"]; ok {
			t.Error("VALUEFROM_LOG_LEVEL reached the child")
		}
		// The original order is kept.
		var order []string
		for _, kv := range strings.Split(r.stdout, "\x00") {
			if k, _, ok := strings.Cut(kv, "="); ok && (k == "FIRST" || k == "TOKEN" || k == "LAST") {
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
		env := append(moto.Env(),
			"VALUEFROM_FILES_DIR="+dir,
			"DB_PASSWORD_FILE=secretsmanager:app/db:password::",
			"BLOB_FILE=secretsmanager:binary",
			"PLAIN_FILE=not a reference",
		)
		r := runValuefrom(t, env, "--", "env", "-0")
		if r.code != 0 {
			t.Fatalf("exit code %d, stderr:\n%s", r.code, r.stderr)
		}
		got := environOf(r.stdout)
		files := map[string]string{"DB_PASSWORD_FILE": canaryJSON, "BLOB_FILE": "\x00\x01" + canaryBinary + "\xff"}
		for v, want := range files {
			path := got[v]
			if path != filepath.Join(dir, strings.TrimSuffix(v, "_FILE")) {
				t.Errorf("%s = %q, want a path in %s", v, path, dir)
				continue
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(data) != want {
				t.Errorf("%s: file holds %d bytes, not the %d of the secret", v, len(data), len(want))
			}
			if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o400 {
				t.Errorf("%s: mode %v, want 0400", v, fi.Mode().Perm())
			}
		}
		if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
			t.Errorf("directory mode %v, want 0700", fi.Mode().Perm())
		}
		if got["PLAIN_FILE"] != "not a reference" {
			t.Errorf("PLAIN_FILE = %q, want it untouched", got["PLAIN_FILE"])
		}
		assertNoCanary(t, "stdout", strings.ReplaceAll(r.stdout, dir, ""))
	})

	t.Run("binary in the environment", func(t *testing.T) {
		marker := filepath.Join(t.TempDir(), "ran")
		r := runValuefrom(t, append(moto.Env(), "BLOB=secretsmanager:binary"), "--", "touch", marker)
		if r.code != exitResolve || !strings.Contains(r.stderr, "BLOB: secretsmanager:binary: BinaryValue") || !strings.Contains(r.stderr, "_FILE") {
			t.Errorf("exit %d, stderr:\n%s\nwant exit 4 naming BLOB and suggesting _FILE", r.code, r.stderr)
		}
		assertNotRan(t, marker)
		assertNoCanary(t, "stderr", r.stderr)
	})

	t.Run("failures name every variable and start nothing", func(t *testing.T) {
		marker := filepath.Join(t.TempDir(), "ran")
		env := append(moto.Env(),
			"VALUEFROM_LOG_LEVEL=debug",
			"GOOD=secretsmanager:app/db:password::",
			"MISSING=secretsmanager:does-not-exist",
			"WRONG_REGION=arn:aws:secretsmanager:eu-west-1:"+account+":secret:app/db",
			"NO_KEY=secretsmanager:app/db:passwd::",
			"NOT_JSON=secretsmanager:plain:key::",
			"NO_PARAM=ssm:/app/missing",
			"NO_VERSION=ssm:/app/token:9",
			// Another account's parameter of a name this account also has:
			// never the local one in its place.
			"OTHER_ACCOUNT=arn:aws:ssm:us-east-1:999999999999:parameter/app/token",
		)
		r := runValuefrom(t, env, "--", "touch", marker)
		if r.code != exitResolve {
			t.Errorf("exit code %d, want %d", r.code, exitResolve)
		}
		assertNotRan(t, marker)
		for v, code := range map[string]string{
			"MISSING":       "ResourceNotFoundException",
			"WRONG_REGION":  "ResourceNotFoundException",
			"NO_KEY":        "JSONKeyNotFound",
			"NOT_JSON":      "NotJSONObject",
			"NO_PARAM":      "NotFound",
			"NO_VERSION":    "NotFound",
			"OTHER_ACCOUNT": "NotFound",
		} {
			if !strings.Contains(r.stderr, "valuefrom: error: "+v+": ") || !strings.Contains(r.stderr, code) {
				t.Errorf("stderr does not name %s with %s:\n%s", v, code, r.stderr)
			}
		}
		if strings.Contains(r.stderr, "error: GOOD") {
			t.Errorf("GOOD reported as failing:\n%s", r.stderr)
		}
		if !strings.Contains(r.stderr, "looked in eu-west-1") {
			t.Errorf("no region hint for WRONG_REGION:\n%s", r.stderr)
		}
		if !strings.Contains(r.stderr, "7 references could not be resolved; the command was not started") {
			t.Errorf("no closing line:\n%s", r.stderr)
		}
		assertNoCanary(t, "stderr", r.stderr)
	})

	t.Run("json errors", func(t *testing.T) {
		env := append(moto.Env(), "VALUEFROM_LOG_FORMAT=json", "MISSING=secretsmanager:does-not-exist")
		r := runValuefrom(t, env, "--", "true")
		if r.code != exitResolve || !strings.Contains(r.stderr, `"var":"MISSING"`) || !strings.Contains(r.stderr, `"code":"ResourceNotFoundException"`) {
			t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
		}
	})

	t.Run("ignore", func(t *testing.T) {
		env := append(moto.Env(), "VALUEFROM_IGNORE=KEEP, ALSO", "KEEP=ssm:not/a/reference here", "ALSO=secretsmanager:x:y", "URL=ssm:/app/url")
		r := runValuefrom(t, env, "--", "env", "-0")
		got := environOf(r.stdout)
		if r.code != 0 || got["KEEP"] != "ssm:not/a/reference here" || got["ALSO"] != "secretsmanager:x:y" || got["URL"] != "https://example.com/?a=b&c=d" {
			t.Errorf("exit %d, KEEP=%q ALSO=%q URL=%q, stderr:\n%s", r.code, got["KEEP"], got["ALSO"], got["URL"], r.stderr)
		}
	})
}

func assertNoCanary(t *testing.T, where, s string) {
	t.Helper()
	for _, c := range []string{canaryJSON, canaryString, canaryParam, canaryWest, canaryOld, canaryBinary} {
		if strings.Contains(s, c) {
			t.Errorf("a secret value leaked into %s", where)
		}
	}
}

func assertNotRan(t *testing.T, marker string) {
	t.Helper()
	if _, err := os.Stat(marker); err == nil {
		t.Error("the command ran although a reference failed")
	}
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	notExec := filepath.Join(dir, "script")
	os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644)
	tests := []struct {
		name   string
		env    []string
		args   []string
		code   int
		stderr string
	}{
		{"no command", nil, nil, exitUsage, "no command given"},
		{"only dashes", nil, []string{"--"}, exitUsage, "no command given"},
		{"bad flag", nil, []string{"--nope", "true"}, exitUsage, "flag provided but not defined: -nope"},
		{"bad setting hides value", []string{"VALUEFROM_TIMEOUT=canary-setting-value"}, []string{"true"}, exitUsage, "VALUEFROM_TIMEOUT: not a valid duration"},
		{"setting out of range", []string{"VALUEFROM_CONCURRENCY=0"}, []string{"true"}, exitUsage, "VALUEFROM_CONCURRENCY (--concurrency) must be from 1 to 1000"},
		{"flag out of range", nil, []string{"--max-attempts", "0", "true"}, exitUsage, "VALUEFROM_MAX_ATTEMPTS (--max-attempts)"},
		{"malformed reference", []string{"A=secretsmanager:db:key", "B=ARN:aws:ssm:us-east-1:123456789012:parameter/x"}, []string{"true"}, exitSyntax, "B: ARN:aws:ssm"},
		{"command not found", nil, []string{"--", "no-such-command-xyz"}, exitNotFound, "no-such-command-xyz: command not found"},
		{"command not executable", nil, []string{"--", notExec}, exitNotExec, "command not executable"},
		{"command is a directory", nil, []string{"--", dir}, exitNotExec, "is a directory"},
		{"no references", []string{"X=1"}, []string{"--", "sh", "-c", "exit 7"}, 7, ""},
		{"no region", []string{"AWS_EC2_METADATA_DISABLED=true", "A=ssm:/x"}, []string{"true"}, exitUsage, "no AWS region"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runValuefrom(t, tt.env, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit code %d, want %d; stderr:\n%s", r.code, tt.code, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("stderr does not contain %q:\n%s", tt.stderr, r.stderr)
			}
			if strings.Contains(r.stderr, "canary-setting-value") {
				t.Error("a setting's raw value leaked into stderr")
			}
		})
	}
}

func TestUsageGolden(t *testing.T) {
	r := runValuefrom(t, nil, "-h")
	if r.code != 0 {
		t.Fatalf("valuefrom -h exit code %d", r.code)
	}
	golden := filepath.Join("testdata", "usage.txt")
	if *update {
		os.WriteFile(golden, []byte(r.stdout), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if r.stdout != string(want) {
		t.Errorf("valuefrom -h differs from %s (run go test -run TestUsageGolden -update):\n%s", golden, r.stdout)
	}
	for _, must := range []string{"VALUEFROM_CONCURRENCY", "VALUEFROM_MAX_ATTEMPTS", "VALUEFROM_TIMEOUT", "VALUEFROM_IGNORE",
		"VALUEFROM_FILES_DIR", "VALUEFROM_LOG_FORMAT", "VALUEFROM_LOG_LEVEL", "--concurrency", "--max-attempts", "--timeout",
		"--ignore", "--files-dir", "--log-format", "--log-level", "--version", "126", "127"} {
		if !strings.Contains(r.stdout, must) {
			t.Errorf("valuefrom -h does not document %s", must)
		}
	}
}

func TestVersion(t *testing.T) {
	r := runValuefrom(t, nil, "--version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "valuefrom v9.9.9-test (commit abc123, go1.") {
		t.Errorf("--version: exit %d, stdout %q", r.code, r.stdout)
	}
}

// hangingAWS accepts connections and never answers, reporting each
// accepted connection on the returned channel.
func hangingAWS(t *testing.T) (url string, accepted <-chan struct{}) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan struct{}, 100)
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
			ch <- struct{}{}
		}
	}()
	t.Cleanup(func() {
		l.Close()
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + l.Addr().String(), ch
}

func TestTimeout(t *testing.T) {
	url, _ := hangingAWS(t)
	env := []string{"AWS_ENDPOINT_URL=" + url, "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_REGION=us-east-1",
		"VALUEFROM_TIMEOUT=1s", "A=ssm:/a", "B=secretsmanager:b"}
	start := time.Now()
	r := runValuefrom(t, env, "--", "true")
	took := time.Since(start)
	if r.code != exitResolve {
		t.Errorf("exit code %d, want %d; stderr:\n%s", r.code, exitResolve, r.stderr)
	}
	if took > 2*time.Second {
		t.Errorf("took %v with VALUEFROM_TIMEOUT=1s, want under 2s", took)
	}
	for _, v := range []string{"A: ssm:/a: Timeout", "B: secretsmanager:b: Timeout", "raise VALUEFROM_TIMEOUT"} {
		if !strings.Contains(r.stderr, v) {
			t.Errorf("stderr does not contain %q:\n%s", v, r.stderr)
		}
	}
}

// TestSignalWhileResolving checks that valuefrom, which may be PID 1 while
// it resolves, stops on SIGTERM and exits 143.
func TestSignalWhileResolving(t *testing.T) {
	url, accepted := hangingAWS(t)
	cmd := exec.Command(binary, "--", "true")
	cmd.Env = []string{"PATH=/usr/bin:/bin", "AWS_ENDPOINT_URL=" + url, "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_REGION=us-east-1", "A=ssm:/a"}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	select {
	case <-accepted: // valuefrom is waiting on AWS
	case <-exited:
		t.Fatalf("valuefrom exited before calling AWS: exit code %d; stderr:\n%s", cmd.ProcessState.ExitCode(), stderr.String())
	}
	cmd.Process.Signal(syscall.SIGTERM)
	<-exited
	if code := cmd.ProcessState.ExitCode(); code != 128+int(syscall.SIGTERM) {
		t.Errorf("exit code %d, want %d; stderr:\n%s", code, 128+int(syscall.SIGTERM), stderr.String())
	}
}

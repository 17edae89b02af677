package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// binary is valuefrom built as `make build` builds it, for the end-to-end
// tests; empty under -short, which builds nothing and starts no moto.
var binary string

func TestMain(m *testing.M) { vfbin.Main(m, &binary) }

// startMoto starts moto_server, except under -short, and points the SDK
// of this process at it: the SDK reads its endpoint and credentials from
// the process environment, not from run's environ.
func startMoto(t *testing.T) *mototest.Server {
	t.Helper()
	if testing.Short() {
		t.Skip("moto: not in -short")
	}
	moto := mototest.Start(t)
	isolateAWS(t, moto.Env()...)
	return moto
}

// isolateAWS clears the process's AWS settings for the test, so that the
// SDK finds no region, profile or endpoint but those in env.
func isolateAWS(t *testing.T, env ...string) {
	t.Helper()
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "AWS_") || strings.HasPrefix(name, "ECS_") {
			t.Setenv(name, "")
			os.Unsetenv(name)
		}
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

// result is what one run of valuefrom did. exec is the command it would
// have replaced itself with, and env that command's environment.
type result struct {
	code           int
	stdout, stderr string
	exec, env      []string
}

// runIn runs valuefrom in this process with exactly env (plus PATH) and
// args, as main does but for the exec, which it records.
func runIn(t *testing.T, env []string, args ...string) result {
	t.Helper()
	return runCtx(t, context.Background(), env, args...)
}

func runCtx(t *testing.T, ctx context.Context, env []string, args ...string) result {
	t.Helper()
	var r result
	execCommand = func(_ string, args, env []string) error {
		r.exec, r.env = args, env
		return nil
	}
	t.Cleanup(func() { execCommand = nil })
	var stdout, stderr bytes.Buffer
	environ := append([]string{"PATH=/usr/bin:/bin"}, env...)
	err := run(ctx, args, environ, &stdout, &stderr)
	r.code = exit(&stderr, environ, err)
	r.stdout, r.stderr = stdout.String(), stderr.String()
	return r
}

// runBinary runs the binary with exactly env (plus PATH) and args.
func runBinary(t *testing.T, env []string, args ...string) result {
	t.Helper()
	return runBinaryCmd(t, exec.Command(vfbin.Need(t), args...), env)
}

// runBinaryCmd runs cmd, the binary, with exactly env (plus PATH).
func runBinaryCmd(t *testing.T, cmd *exec.Cmd, env []string) result {
	t.Helper()
	cmd.Env = append([]string{"PATH=/usr/bin:/bin"}, env...)
	r := vfbin.RunCmd(t, cmd)
	return result{code: r.Code, stdout: r.Stdout, stderr: r.Stderr}
}

// environOf parses a list of NAME=VALUE entries.
func environOf(env []string) map[string]string {
	m := map[string]string{}
	for _, kv := range env {
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

// tricky is a secret value that breaks naive quoting. It is no canary:
// failure messages may show it.
const tricky = "it's \"quoted\" $HOME ${HOME} `id` $(id) \\n \\ back\\slash\nline2\r\n\tünïcødé ☃ 𝄞 # end\n"

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
	must(east.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("tricky"), SecretString: aws.String(tricky)}))
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

func assertNoCanary(t *testing.T, where, s string) {
	t.Helper()
	for _, c := range []string{canaryJSON, canaryString, canaryParam, canaryWest, canaryOld, canaryBinary} {
		if strings.Contains(s, c) {
			t.Errorf("a secret value leaked into %s", where)
		}
	}
}

// Package lambda runs valuefrom as a Lambda container image's entrypoint
// would run, in front of a custom runtime (test/lambda/runtime), under
// the AWS Lambda Runtime Interface Emulator, against moto: the values
// arrive; a start that fails answers the invoke with the init error,
// naming the variable and never a value; a hanging endpoint ends within
// Lambda's init phase; a _FILE secret is written under /tmp where
// /dev/shm is read-only; hints name the function's execution role
// (issue 26).
package lambda

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/valuefrom/valuefrom/internal/platform"
	"github.com/valuefrom/valuefrom/internal/testkit/faultproxy"
	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

// binary is valuefrom, built as a release build is.
var binary string

func TestMain(m *testing.M) { vfbin.Main(m, &binary) }

// Canaries: every value of the tests holds one. None may be printed; a
// failure message says "leaked" instead of showing one.
const (
	canary   = "canary-lambda-"
	dbValue  = canary + "db-9f3a"
	keyValue = canary + "key-c51e"
	apiValue = canary + "api-07b2"
)

// lab is what the tests share: the programs, and moto with the secrets
// and parameters.
type lab struct {
	tools
	moto *mototest.Server
}

func newLab(t *testing.T) *lab {
	t.Helper()
	tl := buildTools(t, t.TempDir())
	moto := mototest.Start(t)
	sd := moto.Seeder(t, "us-east-1")
	sd.Secret("prod/db", dbValue)
	sd.Secret("prod/tls-key", keyValue)
	sd.Parameter("/prod/api-key", ssmtypes.ParameterTypeSecureString, apiValue)
	sd.Secret("prod/session", canary+"session-3d18")
	sd.Parameter("/prod/queue-url", ssmtypes.ParameterTypeString, canary+"queue-6a2c")
	return &lab{tools: tl, moto: moto}
}

// env is the environment Lambda gives a function, as the emulator passes
// its own on: the execution role's credentials as Lambda hands them out
// (a session token with the keys), the region, AWS at endpoint, and the
// function's variables, vars.
func (l *lab) env(t *testing.T, endpoint string, vars ...string) []string {
	dir := t.TempDir()
	env := []string{"PATH=/usr/bin:/bin", "HOME=" + dir,
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "credentials"),
		"AWS_SESSION_TOKEN=token", "AWS_LAMBDA_FUNCTION_NAME=orders", "AWS_LAMBDA_FUNCTION_TIMEOUT=30"}
	env = append(env, mototest.EndpointEnv(endpoint)...)
	return append(env, vars...)
}

// references are the function's variables of the tests that resolve.
var references = []string{
	"DB_PASSWORD=secretsmanager:prod/db",
	"API_KEY=ssm:/prod/api-key",
	"TLS_KEY_FILE=secretsmanager:prod/tls-key",
	"PLAIN=as-is",
	"VALUEFROM_LOG_LEVEL=warn",
}

// everything asks the runtime for every variable of the tests.
var everything = event{
	Env:   []string{"DB_PASSWORD", "API_KEY", "PLAIN", "VALUEFROM_LOG_LEVEL", "AWS_LAMBDA_RUNTIME_API", "AWS_LAMBDA_FUNCTION_NAME", "AWS_SESSION_TOKEN"},
	Files: []string{"TLS_KEY_FILE"},
}

func TestLambda(t *testing.T) {
	l := newLab(t)

	t.Run("values arrive", func(t *testing.T) {
		em := startEmulator(t, l.tools, l.env(t, l.moto.URL, references...), nil, l.valuefrom, "--", l.runtime)
		a := em.invoke(t, everything).decode(t, em)
		for name, want := range map[string]string{"DB_PASSWORD": dbValue, "API_KEY": apiValue, "PLAIN": "as-is",
			"AWS_LAMBDA_FUNCTION_NAME": "orders", "AWS_SESSION_TOKEN": "token"} {
			if got, ok := a.Env[name]; !ok || got != want {
				t.Errorf("%s: set %v, %d bytes; want the %d-byte value (values not shown)", name, ok, len(got), len(want))
			}
		}
		if a.Env["AWS_LAMBDA_RUNTIME_API"] == "" {
			t.Errorf("AWS_LAMBDA_RUNTIME_API did not reach the runtime")
		}
		if _, ok := a.Env["VALUEFROM_LOG_LEVEL"]; ok {
			t.Errorf("VALUEFROM_LOG_LEVEL reached the runtime")
		}
		f := a.Files["TLS_KEY_FILE"]
		if f.Error != "" || f.Content != keyValue || f.Mode != "0400" || !strings.HasPrefix(f.Path, "/tmp/valuefrom-") {
			t.Errorf("TLS_KEY_FILE: path %q, mode %s, error %q, right content %v; want a 0400 file under /tmp/valuefrom-*",
				f.Path, f.Mode, f.Error, f.Content == keyValue)
		}
		// A second invoke finds the environment initialised once.
		if b := em.invoke(t, everything).decode(t, em); b.Env["DB_PASSWORD"] != dbValue {
			t.Errorf("the second invoke's DB_PASSWORD differs")
		}
		vfbin.NoValue(t, "the emulator's output", em.proc.Output(), canary)
	})

	t.Run("the init error names the variable", func(t *testing.T) {
		em := startEmulator(t, l.tools, l.env(t, l.moto.URL, append(references, "ORDERS_URL=ssm:/prod/orders-url")...), nil,
			l.valuefrom, "--", l.runtime)
		inv := em.invoke(t, everything)
		vfbin.NoValue(t, "the invoke's answer", inv.body, canary)
		vfbin.NoValue(t, "the emulator's output", em.proc.Output(), canary)
		e := inv.failed(t, em)
		t.Logf("the invoke answered HTTP %d:\n%s", inv.status, inv.body)
		if e.ErrorType != "Valuefrom.ResolveError" {
			t.Errorf("errorType %q, want Valuefrom.ResolveError", e.ErrorType)
		}
		for _, w := range []string{"valuefrom: error: ORDERS_URL: \"ssm:/prod/orders-url\": NotFound", "valuefrom: hint: check the parameter name",
			"1 reference could not be resolved; the command was not started"} {
			if !strings.Contains(e.ErrorMessage, w) {
				t.Errorf("errorMessage lacks %q: %q", w, e.ErrorMessage)
			}
		}
		if strings.Contains(e.ErrorMessage, "DB_PASSWORD") {
			t.Errorf("errorMessage names DB_PASSWORD, which resolved: %q", e.ErrorMessage)
		}
		// The log has it too: the emulator passes the function's output on.
		if len(em.proc.Lines(`^valuefrom: error: ORDERS_URL: `)) != 1 {
			t.Errorf("the log lacks the error line of ORDERS_URL:\n%s", em.proc.Log())
		}
		vfbin.NoValue(t, "the emulator's output", em.proc.Output(), canary)
	})

	t.Run("a hanging endpoint ends within the init phase", func(t *testing.T) {
		stalled, accepted := mototest.Stalled(t)
		em := startEmulator(t, l.tools, l.env(t, "http://"+stalled, references...), nil, l.valuefrom, "--", l.runtime)
		inv := em.invoke(t, everything)
		vfbin.NoValue(t, "the invoke's answer", inv.body, canary)
		vfbin.NoValue(t, "the emulator's output", em.proc.Output(), canary)
		select {
		case <-accepted:
		default:
			t.Errorf("valuefrom never reached the stalled endpoint")
		}
		e := inv.failed(t, em)
		t.Logf("after %v the invoke answered HTTP %d:\n%s", inv.took.Round(time.Millisecond), inv.status, inv.body)
		if inv.took >= platform.InitPhase {
			t.Errorf("the invoke took %v, not within Lambda's init phase (%v)", inv.took, platform.InitPhase)
		}
		if deadline := platform.Of([]string{platform.RuntimeAPIVar + "=x"}).Deadline(time.Hour); inv.took < deadline {
			t.Errorf("the invoke took %v, less than the deadline (%v) a stalled endpoint runs into", inv.took, deadline)
		}
		if e.ErrorType != "Valuefrom.ResolveError" || !strings.Contains(e.ErrorMessage, "VALUEFROM_TIMEOUT") {
			t.Errorf("init error %s; want Valuefrom.ResolveError naming VALUEFROM_TIMEOUT", e)
		}
		vfbin.NoValue(t, "the emulator's output", em.proc.Output(), canary)
	})

	t.Run("a _FILE secret with /dev/shm read-only", func(t *testing.T) {
		wrap := readOnlyShm(t)
		em := startEmulator(t, l.tools, l.env(t, l.moto.URL, references...), wrap, l.valuefrom, "--", l.runtime)
		a := em.invoke(t, everything).decode(t, em)
		if a.ShmWritable {
			t.Fatalf("/dev/shm is writable in the mount namespace: the test tests nothing")
		}
		f := a.Files["TLS_KEY_FILE"]
		if f.Error != "" || f.Content != keyValue || !strings.HasPrefix(f.Path, "/tmp/valuefrom-") {
			t.Errorf("TLS_KEY_FILE: path %q, error %q, right content %v; want it under /tmp/valuefrom-*", f.Path, f.Error, f.Content == keyValue)
		}
		vfbin.NoValue(t, "the emulator's output", em.proc.Output(), canary)
	})

	t.Run("hints name the execution role", func(t *testing.T) {
		proxy := faultproxy.Serve(t, l.moto.URL, faultproxy.Config{Seed: 1, Deny: map[string]faultproxy.Denial{"prod/db": faultproxy.AccessDenied}})
		for _, tt := range []struct {
			name     string
			env      []string
			code     string
			variable string
			hint     string
		}{
			{"denied", l.env(t, proxy.URL(), references...), "Valuefrom.ResolveError", "DB_PASSWORD",
				"valuefrom: hint: the function's execution role needs secretsmanager:GetSecretValue on arn:aws:secretsmanager:us-east-1:"},
			{"no credentials", withoutKeys(l.env(t, l.moto.URL, references...)), "Valuefrom.UsageError", "",
				"valuefrom: hint: on Lambda keep the credentials of the function's execution role, which Lambda sets in AWS_ACCESS_KEY_ID"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				em := startEmulator(t, l.tools, tt.env, nil, l.valuefrom, "--", l.runtime)
				inv := em.invoke(t, everything)
				vfbin.NoValue(t, "the invoke's answer", inv.body, canary)
				vfbin.NoValue(t, "the emulator's output", em.proc.Output(), canary)
				e := inv.failed(t, em)
				t.Logf("the invoke answered HTTP %d:\n%s", inv.status, inv.body)
				if e.ErrorType != tt.code || !strings.Contains(e.ErrorMessage, tt.variable) || !strings.Contains(e.ErrorMessage, tt.hint) {
					t.Errorf("init error %s\nwant %s naming %q and the hint %q", e, tt.code, tt.variable, tt.hint)
				}
				if tt.name == "denied" {
					if doc := strings.TrimSuffix(docBlock(t, "text hint-denied"), "\n"); !strings.Contains(e.ErrorMessage, doc+"\n") {
						t.Errorf("docs/lambda.md shows the hint\n%s\nwhich the init error lacks", doc)
					}
				}
				for _, ecs := range []string{"task role", "task definition", "ECS"} {
					if strings.Contains(e.ErrorMessage, ecs) {
						t.Errorf("the init error names %q on Lambda", ecs)
					}
				}
				vfbin.NoValue(t, "the emulator's output", em.proc.Output(), canary)
			})
		}
	})
}

// withoutKeys is env without the execution role's credentials.
func withoutKeys(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "AWS_ACCESS_KEY_ID=") && !strings.HasPrefix(kv, "AWS_SECRET_ACCESS_KEY=") && !strings.HasPrefix(kv, "AWS_SESSION_TOKEN=") {
			out = append(out, kv)
		}
	}
	return out
}

// readOnlyShm returns the command that runs what follows it in a mount
// namespace of its own where /dev/shm is read-only, as a Lambda image may
// have it. Where that is not permitted (no root, no unshare), it skips.
func readOnlyShm(t *testing.T) []string {
	t.Helper()
	wrap := []string{"unshare", "--mount", "--propagation", "private", "sh", "-c",
		`mount --bind /dev/shm /dev/shm && mount -o remount,bind,ro /dev/shm && exec "$@"`, "sh"}
	probe := exec.Command(wrap[0], append(wrap[1:], "sh", "-c", "! touch /dev/shm/valuefrom-probe 2>/dev/null")...)
	if out, err := probe.CombinedOutput(); err != nil {
		t.Skipf("cannot make /dev/shm read-only in a mount namespace here (root and unshare are needed): %v\n%s", err, out)
	}
	return wrap
}

// Package failover runs the valuefrom binary against moto behind a
// faultproxy that takes us-east-1 down by the SigV4 signing region (moto
// picks the region the same way), with a replica of each secret and a
// mirror of each parameter in us-west-2: the task must start from the
// replicas with VALUEFROM_FALLBACK_REGIONS, and fail closed without it, or
// when the primary's answer is definitive.
package failover

import (
	"context"
	"encoding/json"
	"net/http"
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
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/valuefrom/valuefrom/internal/testkit/faultproxy"
	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

var binary string

func TestMain(m *testing.M) { vfbin.Main(m, &binary) }

// Canary values: failure messages never print one.
const (
	dbValue  = "canary-db-7f3a"
	apiValue = "canary-api-51c0"
	urlValue = "canary-url-d2e9"
)

// world is moto with the fixture, behind a proxy that can take regions
// down, and the valuefrom binary.
type world struct {
	bin    string
	moto   *mototest.Server
	proxy  *faultproxy.Proxy
	apiARN string // fo/api's ARN in us-east-1
}

// replicated creates the secret name in us-east-1 with a replica in
// us-west-2 (moto supports AddReplicaRegions: the replica keeps the ARN's
// name and suffix) and returns its ARN.
func replicated(t *testing.T, moto *mototest.Server, name, value string) string {
	t.Helper()
	sm := secretsmanager.NewFromConfig(moto.Config(t, "us-east-1"))
	out, err := sm.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{
		Name: aws.String(name), SecretString: aws.String(value),
		AddReplicaRegions: []smtypes.ReplicaRegionType{{Region: aws.String("us-west-2")}},
	})
	if err != nil {
		t.Fatalf("CreateSecret %s with a replica: %v", name, err)
	}
	return aws.ToString(out.ARN)
}

func newWorld(t *testing.T) *world {
	t.Helper()
	bin := vfbin.Need(t)
	moto := mototest.Start(t)
	w := &world{bin: bin, moto: moto, proxy: faultproxy.Serve(t, moto.URL, faultproxy.Config{})}
	replicated(t, moto, "fo/db", dbValue)
	w.apiARN = replicated(t, moto, "fo/api", apiValue)
	// SSM does not replicate: the parameter is mirrored by hand.
	moto.Seeder(t, "us-east-1").Parameter("/fo/url", ssmtypes.ParameterTypeSecureString, urlValue)
	moto.Seeder(t, "us-west-2").Parameter("/fo/url", ssmtypes.ParameterTypeSecureString, urlValue)
	// Deleted in us-east-1, a copy left in us-west-2.
	moto.Seeder(t, "us-west-2").Secret("fo/gone", "canary-gone-0b1d")
	return w
}

// env is the environment of a run through the proxy: the three
// references, and settings.
func (w *world) env(settings ...string) []string {
	return w.environ(append([]string{
		"DB=secretsmanager:fo/db",
		"API=" + w.apiARN,
		"URL=ssm:/fo/url",
		"VALUEFROM_TIMEOUT=30s"}, settings...)...)
}

// environ is the environment of a run through the proxy with vars.
func (w *world) environ(vars ...string) []string {
	return append(append(mototest.EndpointEnv(w.proxy.URL()), "PATH="+os.Getenv("PATH")), vars...)
}

// checkWest checks that us-west-2 saw want requests since the proxy's
// last Reset; why says when.
func (w *world) checkWest(t *testing.T, want int, why string) {
	t.Helper()
	if got := w.proxy.Regions()["us-west-2"]; got != want {
		t.Errorf("us-west-2 saw %d requests %s, want %d", got, why, want)
	}
}

// checkValues checks the program's environment, naming no value.
func checkValues(t *testing.T, stdout string) {
	t.Helper()
	got := vfbin.Environ(stdout)
	for k, want := range map[string]string{"DB": dbValue, "API": apiValue, "URL": urlValue} {
		if got[k] != want {
			t.Errorf("%s: wrong value (%d bytes, want %d)", k, len(got[k]), len(want))
		}
	}
}

func TestStartsWithPrimaryDown(t *testing.T) {
	w := newWorld(t)
	for _, tt := range []struct {
		name   string
		outage faultproxy.Outage
	}{
		{"reset", faultproxy.DownReset},
		{"hang", faultproxy.DownHang},
		{"503", faultproxy.Down503},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w.proxy.SetDown("us-east-1", tt.outage)
			defer w.proxy.SetDown("us-east-1", faultproxy.Up)
			w.proxy.Reset()
			res := vfbin.Run(t, w.bin, w.env("VALUEFROM_FALLBACK_REGIONS=us-west-2", "VALUEFROM_HEDGE_DELAY=1s"), "--", "env", "-0")
			vfbin.NoValue(t, "stderr", res.Stderr, "canary")
			if res.Code != 0 {
				t.Fatalf("exit %d, want 0; stderr:\n%s", res.Code, res.Stderr)
			}
			checkValues(t, res.Stdout)
			if res.Took > 15*time.Second {
				t.Errorf("took %v with us-east-1 down, want seconds", res.Took)
			}
			for _, v := range []string{"DB", "API", "URL"} {
				if n := strings.Count(res.Stderr, "var="+v+" "); n != 1 {
					t.Errorf("stderr names %s %d times, want one warning:\n%s", v, n, res.Stderr)
				}
			}
			if !strings.Contains(res.Stderr, "fallback_region=us-west-2") || !strings.Contains(res.Stderr, "fallback=3") {
				t.Errorf("no warning naming us-west-2, or no fallback=3 in the summary:\n%s", res.Stderr)
			}
			// One call per batch in us-west-2: the two secrets' batch,
			// the parameter's: 1 + 1.
			w.checkWest(t, 2, "with us-east-1 down")
		})
	}
}

func TestEnvAndRenderWithPrimaryDown(t *testing.T) {
	w := newWorld(t)
	w.proxy.SetDown("us-east-1", faultproxy.DownReset)
	settings := []string{"VALUEFROM_FALLBACK_REGIONS=us-west-2", "VALUEFROM_HEDGE_DELAY=1s"}

	res := vfbin.Run(t, w.bin, w.env(settings...), "env", "--format", "json")
	vfbin.NoValue(t, "env: stderr", res.Stderr, "canary")
	if res.Code != 0 {
		t.Fatalf("env: exit %d, want 0; stderr:\n%s", res.Code, res.Stderr)
	}
	for _, v := range []string{dbValue, apiValue, urlValue} {
		if !strings.Contains(res.Stdout, v) {
			t.Errorf("env's output lacks a value (%d bytes)", len(v))
		}
	}

	out := filepath.Join(t.TempDir(), "app.env")
	res = vfbin.Run(t, w.bin, w.env(settings...), "render", "--out", out)
	vfbin.NoValue(t, "render: stderr", res.Stderr, "canary")
	if res.Code != 0 {
		t.Fatalf("render: exit %d, want 0; stderr:\n%s", res.Code, res.Stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), urlValue) || !strings.Contains(res.Stderr, "fallback=3") {
		t.Errorf("render wrote no fallback value, or logged no fallback=3:\n%s", res.Stderr)
	}
}

func TestWithoutFallbackFailsClosed(t *testing.T) {
	w := newWorld(t)
	w.proxy.SetDown("us-east-1", faultproxy.Down503)
	w.runFailsClosed(t, append(w.env(), "VALUEFROM_TIMEOUT=3s"))
	w.checkWest(t, 0, "without the setting")
}

// runFailsClosed runs valuefrom with env, and checks that it exits 4
// without starting the program or showing a value.
func (w *world) runFailsClosed(t *testing.T, env []string) vfbin.Result {
	t.Helper()
	marker := filepath.Join(t.TempDir(), "ran")
	res := vfbin.Run(t, w.bin, env, "--", "sh", "-c", "touch "+marker)
	vfbin.NoValue(t, "stderr", res.Stderr, "canary")
	if res.Code != 4 {
		t.Fatalf("exit %d, want 4; stderr:\n%s", res.Code, res.Stderr)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the program ran")
	}
	return res
}

func TestNotFoundDoesNotFailOver(t *testing.T) {
	w := newWorld(t)
	res := w.runFailsClosed(t, w.environ("GONE=secretsmanager:fo/gone", "VALUEFROM_FALLBACK_REGIONS=us-west-2", "VALUEFROM_HEDGE_DELAY=1s"))
	if !strings.Contains(res.Stderr, "ResourceNotFoundException") || !strings.Contains(res.Stderr, "GONE") {
		t.Errorf("stderr does not name GONE and ResourceNotFoundException:\n%s", res.Stderr)
	}
	w.checkWest(t, 0, "for a not-found: it failed over")
}

// TestPrimaryUpNoHedge: with us-east-1 up, the fallback region is never
// asked, and the summary counts no fallback.
func TestPrimaryUpNoHedge(t *testing.T) {
	w := newWorld(t)
	res := vfbin.Run(t, w.bin, w.env("VALUEFROM_FALLBACK_REGIONS=us-west-2"), "--", "env", "-0")
	if res.Code != 0 {
		t.Fatalf("exit %d, want 0; stderr:\n%s", res.Code, res.Stderr)
	}
	checkValues(t, res.Stdout)
	if got := w.proxy.Regions()["us-west-2"]; got != 0 || !strings.Contains(res.Stderr, "fallback=0") {
		t.Errorf("us-west-2 saw %d requests with us-east-1 up, want 0 and fallback=0:\n%s", got, res.Stderr)
	}
}

// TestCheckAndPolicy: check lists each secret's replicas; a fallback
// region without one is a warning naming it. policy names the replicas.
func TestCheckAndPolicy(t *testing.T) {
	w := newWorld(t)
	env := w.environ("DB=secretsmanager:fo/db", "VALUEFROM_FALLBACK_REGIONS=us-west-2,eu-west-1")
	res := vfbin.Run(t, w.bin, env, "check")
	vfbin.NoValue(t, "check: stdout and stderr", res.Stdout+res.Stderr, "canary")
	if res.Code != 6 {
		t.Fatalf("check: exit %d, want 6 (warnings); stdout:\n%s\nstderr:\n%s", res.Code, res.Stdout, res.Stderr)
	}
	if !strings.Contains(res.Stdout, "us-west-2 InSync") || !strings.Contains(res.Stdout, "eu-west-1 no replica") ||
		!strings.Contains(res.Stdout, "NoReplicaInFallbackRegion: no replica in the fallback region eu-west-1") {
		t.Errorf("check does not list us-west-2's replica and warn of eu-west-1's missing one:\n%s", res.Stdout)
	}

	res = vfbin.Run(t, w.bin, append(env, "VALUEFROM_FALLBACK_REGIONS=us-west-2"), "policy", "--account", "123456789012")
	if res.Code != 0 {
		t.Fatalf("policy: exit %d; stderr:\n%s", res.Code, res.Stderr)
	}
	for _, region := range []string{"us-east-1", "us-west-2"} {
		if !strings.Contains(res.Stdout, "arn:aws:secretsmanager:"+region+":123456789012:secret:fo/db-") {
			t.Errorf("the policy does not name fo/db in %s:\n%s", region, res.Stdout)
		}
	}
}

// TestPerfFailover measures, with VALUEFROM_PERF=1, the time to start with
// us-east-1 up and down (reset, hang) at the default hedge delay, and the
// API calls each region saw: BENCHMARKS.md quotes it.
func TestPerfFailover(t *testing.T) {
	if os.Getenv("VALUEFROM_PERF") == "" {
		t.Skip("set VALUEFROM_PERF=1 to measure")
	}
	w := newWorld(t)
	const runs = 5
	for _, tt := range []struct {
		name   string
		outage faultproxy.Outage
	}{{"up", faultproxy.Up}, {"reset", faultproxy.DownReset}, {"503", faultproxy.Down503}, {"hang", faultproxy.DownHang}} {
		w.proxy.SetDown("us-east-1", tt.outage)
		var took []time.Duration
		for range runs {
			w.proxy.Reset()
			res := vfbin.Run(t, w.bin, w.env("VALUEFROM_FALLBACK_REGIONS=us-west-2"), "--", "true")
			if res.Code != 0 {
				t.Fatalf("%s: exit %d; stderr:\n%s", tt.name, res.Code, res.Stderr)
			}
			took = append(took, res.Took)
		}
		slices.Sort(took)
		regions := w.proxy.Regions()
		t.Logf("%-5s median %v, range %v-%v; requests of the last run: us-east-1 %d, us-west-2 %d",
			tt.name, took[runs/2].Round(time.Millisecond), took[0].Round(time.Millisecond), took[runs-1].Round(time.Millisecond),
			regions["us-east-1"], regions["us-west-2"])
	}
}

// TestServeFailsOver: serve answers a request from the us-west-2 replica
// while us-east-1 resets every connection, and logs a warning naming the
// secret and the region.
func TestServeFailsOver(t *testing.T) {
	w := newWorld(t)
	w.proxy.SetDown("us-east-1", faultproxy.DownReset)
	const token = "failover-token-8d1c"
	cmd := exec.Command(w.bin, "serve", "--listen", "127.0.0.1:0", "--fallback-regions", "us-west-2", "--hedge-delay", "1s")
	cmd.Env = append(mototest.EndpointEnv(w.proxy.URL()), "VALUEFROM_TOKEN="+token)
	p := vfbin.Start(t, cmd)
	t.Cleanup(func() { p.Kill() })
	addr := p.Expect(vfbin.Stderr, `msg=listening addr=(\S+)`)[1]

	req, err := http.NewRequest("GET", "http://"+addr+"/secretsmanager/get?secretId=fo/db", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Aws-Parameters-Secrets-Token", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ ARN, SecretString string }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != 200 {
		t.Fatalf("status %d, decoding: %v", resp.StatusCode, err)
	}
	if body.SecretString != dbValue || !strings.Contains(body.ARN, ":us-west-2:") {
		t.Errorf("answered with the ARN %s (value right: %v), want the us-west-2 replica", body.ARN, body.SecretString == dbValue)
	}
	p.Expect(vfbin.Stderr, `level=WARN .*secret_id=fo/db .*fallback_region=us-west-2`)
	vfbin.NoValue(t, "the server's log", p.Output(), "canary")
}

// TestSuperviseFailsOverWithoutRestart: in supervise mode, a cycle that
// reads the same values from us-west-2 while us-east-1 is down does not
// restart the program, and the fallback is warned about once per
// variable, not at every cycle.
func TestSuperviseFailsOverWithoutRestart(t *testing.T) {
	w := newWorld(t)
	cmd := exec.Command(w.bin, "--", "sh", "-c", "echo program started; exec sleep 60")
	cmd.Env = w.env("VALUEFROM_WATCH=300ms", "VALUEFROM_FALLBACK_REGIONS=us-west-2", "VALUEFROM_HEDGE_DELAY=1s",
		"VALUEFROM_LOG_LEVEL=debug")
	p := vfbin.Start(t, cmd)
	p.Expect(vfbin.Stdout, `^program started$`)
	w.proxy.SetDown("us-east-1", faultproxy.DownReset)
	// Two cycles that failed over wholly after the warning: the second
	// began after the first ended.
	p.Expect(vfbin.Stderr, `level=WARN .*var=URL .*fallback_region=us-west-2`)
	p.Expect(vfbin.Stderr, `resolved references" ok=true .*fallback=3`)
	p.Expect(vfbin.Stderr, `resolved references" ok=true .*fallback=3`)
	if n := len(p.Lines(`^program started$`)); n != 1 {
		t.Errorf("the program started %d times, want once: the values did not change", n)
	}
	if n := len(p.Lines(`level=WARN .*var=URL .*fallback_region=us-west-2`)); n != 1 {
		t.Errorf("%d warnings for URL's fallback, want 1 for the whole outage", n)
	}
	w.proxy.SetDown("us-east-1", faultproxy.Up)
	p.Expect(vfbin.Stderr, `level=INFO .*own region again" var=URL`)
	p.Signal(syscall.SIGTERM) // valuefrom stops the program, and exits
	if code := p.Wait(); code != 143 {
		t.Errorf("exit %d after SIGTERM, want 143", code)
	}
	vfbin.NoValue(t, "the output", p.Output(), "canary")
}

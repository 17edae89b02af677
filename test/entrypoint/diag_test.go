package entrypoint

// What a start says when it cannot resolve: the cause, where, once, in the
// format asked for (issue 11); the deadline; a signal while resolving.
// The binary against endpoints that fail: a closed port, one that never
// answers, a proxy, instance metadata that falls back to IMDSv1.

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/testkit/forms"
	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

// endpointAt is the environment of a run whose AWS is at addr, with test
// keys in us-east-1 and none of the machine's configuration files.
func endpointAt(addr string) []string {
	return []string{"AWS_ENDPOINT_URL=http://" + addr, "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_REGION=us-east-1",
		"AWS_CONFIG_FILE=/nonexistent", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent"}
}

// TestConnectionRefused: a closed port under a 3 s deadline is reported
// as refused, at that address, not as a timeout at AWS's. (A unit test
// until the short lane lost its real-time deadlines: cmd/valuefrom.)
func TestConnectionRefused(t *testing.T) {
	addr := mototest.Closed(t)
	r := vfbin.RunEnv(t, append(endpointAt(addr), "X=ssm:/x", "Y=secretsmanager:y"), "--timeout", "3s", "--", "true")
	if r.Code != exitcode.Resolve {
		t.Errorf("exit code %d, want %d; stderr:\n%s", r.Code, exitcode.Resolve, r.Stderr)
	}
	// One cause, one hint, for both services.
	if n := strings.Count(r.Stderr, "valuefrom: hint: "); n != 1 {
		t.Errorf("%d hints, want 1:\n%s", n, r.Stderr)
	}
	for _, want := range []string{"X: \"ssm:/x\": NetworkError", "Y: \"secretsmanager:y\": NetworkError", "stopped at the deadline after",
		"connection refused", "valuefrom: hint: " + addr} {
		if !strings.Contains(r.Stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.Stderr)
		}
	}
	if strings.Contains(r.Stderr, "amazonaws.com") || strings.Contains(r.Stderr, "Timeout") {
		t.Errorf("stderr names AWS's endpoint or a timeout:\n%s", r.Stderr)
	}
}

// TestTimeout: AWS that never answers costs VALUEFROM_TIMEOUT, and every
// reference, each of the two, is named as a Timeout with a hint; the
// program is not started. (It was cmd/valuefrom's, in process, and
// internal/pipeline's TestResolveDeadline, Resolve's two errors: a real
// deadline, which the resolver and the cache carry over to their fetches
// as a time, so no fake one can stand in for it.)
func TestTimeout(t *testing.T) {
	addr, _ := mototest.Stalled(t)
	r := vfbin.RunEnv(t, append(endpointAt(addr), "VALUEFROM_TIMEOUT=1s", "A=ssm:/a", "B=secretsmanager:b"), append([]string{"--"}, printEnv...)...)
	if r.Took > 3*time.Second {
		t.Errorf("took %v with VALUEFROM_TIMEOUT=1s", r.Took)
	}
	if r.Code != exitcode.Resolve || r.Stdout != "" {
		t.Errorf("exit code %d, want %d; the program printed %d bytes, want it not started; stderr:\n%s", r.Code, exitcode.Resolve, len(r.Stdout), r.Stderr)
	}
	for _, v := range []string{"A: \"ssm:/a\": Timeout", "B: \"secretsmanager:b\": Timeout", "raise VALUEFROM_TIMEOUT"} {
		if !strings.Contains(r.Stderr, v) {
			t.Errorf("stderr does not contain %q:\n%s", v, r.Stderr)
		}
	}
	if n := strings.Count(r.Stderr, "valuefrom: error: "); n != 3 { // A, B and the summary line
		t.Errorf("%d error lines, want one for A, one for B and the summary:\n%s", n, r.Stderr)
	}
}

// TestSignalWhileResolving checks that valuefrom, which may be PID 1 while
// it resolves, stops on SIGTERM and exits 143.
func TestSignalWhileResolving(t *testing.T) {
	addr, accepted := mototest.Stalled(t)
	cmd := vfbin.Command(t, append(endpointAt(addr), "A=ssm:/a"), "--", "true")
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
	if code := cmd.ProcessState.ExitCode(); code != 128+int(syscall.SIGTERM) || !strings.Contains(stderr.String(), "interrupted by SIGTERM") {
		t.Errorf("exit code %d, want %d; stderr:\n%s", code, 128+int(syscall.SIGTERM), stderr.String())
	}
}

// TestBinaryJSONOnly: in JSON mode every line on stderr is one JSON
// object, the SDK's own warnings included: here the instance metadata
// client falls back to IMDSv1 while valuefrom looks for the region.
func TestBinaryJSONOnly(t *testing.T) {
	imds := mototest.IMDSv1(t, "us-east-1")
	env := []string{"VALUEFROM_LOG_FORMAT=json", "VALUEFROM_MAX_ATTEMPTS=1", "AWS_EC2_METADATA_SERVICE_ENDPOINT=" + imds.URL,
		"AWS_ENDPOINT_URL=http://" + mototest.Closed(t), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "X=ssm:/x"}
	r := vfbin.RunEnv(t, env, "--", "true")
	warned := false
	for _, obj := range vfbin.JSONLines(t, r.Stderr) {
		msg, _ := obj["msg"].(string)
		warned = warned || strings.Contains(msg, "falling back to IMDSv1") && obj["level"] == "WARN"
	}
	if r.Code != exitcode.Resolve || !warned {
		t.Errorf("exit %d, IMDS warning %v; stderr:\n%s", r.Code, warned, r.Stderr)
	}
}

// TestBinaryProxyRefuses: a proxy that asks for credentials is named as
// such, not as a network failure.
func TestBinaryProxyRefuses(t *testing.T) {
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusProxyAuthRequired)
	}))
	defer proxy.Close()
	env := []string{"HTTPS_PROXY=" + proxy.URL, "AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"AWS_EC2_METADATA_DISABLED=true", "X=ssm:/x"}
	r := vfbin.RunEnv(t, env, "--timeout", "5s", "--", "true")
	host := strings.TrimPrefix(proxy.URL, "http://")
	for _, want := range []string{"X: \"ssm:/x\": ProxyAuthenticationRequired", "the proxy " + host + " refused a tunnel to ssm.us-east-1.amazonaws.com:443: HTTP 407",
		"valuefrom: hint: the HTTP proxy at " + host + " wants credentials"} {
		if !strings.Contains(r.Stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.Stderr)
		}
	}
	if r.Code != exitcode.Resolve {
		t.Errorf("exit %d, want %d", r.Code, exitcode.Resolve)
	}
}

// testQuietAtWarn: a success is silent at warn. (policy's JSON warnings,
// once in the same test: test/checkpolicy's TestCheckAndPolicy.)
func testQuietAtWarn(t *testing.T, moto *mototest.Server) {
	r := forms.Run(t, moto, []string{"VALUEFROM_LOG_LEVEL=warn", "PW=secretsmanager:app/db:password::", "TOKEN=ssm:/app/token"}, "--", "true")
	if r.Code != 0 || r.Stderr != "" {
		t.Errorf("exit %d, stderr %q; want a silent success", r.Code, r.Stderr)
	}
}

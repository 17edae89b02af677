package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

// The tests of what valuefrom says when something is wrong: the cause,
// where, once, in the format asked for (issue 11).

// closedAddr returns a loopback address where nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestConnectionRefused: a closed port under a 3 s deadline is reported
// as refused, at that address, not as a timeout at AWS's.
func TestConnectionRefused(t *testing.T) {
	addr := closedAddr(t)
	isolateAWS(t, "AWS_ENDPOINT_URL=http://"+addr, "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_REGION=us-east-1")
	r := runIn(t, []string{"X=ssm:/x", "Y=secretsmanager:y"}, "--timeout", "3s", "--", "true")
	if r.code != exitcode.Resolve {
		t.Errorf("exit code %d, want %d; stderr:\n%s", r.code, exitcode.Resolve, r.stderr)
	}
	// One cause, one hint, for both services.
	if n := strings.Count(r.stderr, "valuefrom: hint: "); n != 1 {
		t.Errorf("%d hints, want 1:\n%s", n, r.stderr)
	}
	for _, want := range []string{"X: \"ssm:/x\": NetworkError", "Y: \"secretsmanager:y\": NetworkError", "stopped at the deadline after",
		"connection refused", "valuefrom: hint: " + addr} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "amazonaws.com") || strings.Contains(r.stderr, "Timeout") {
		t.Errorf("stderr names AWS's endpoint or a timeout:\n%s", r.stderr)
	}
}

// TestUnknownProfile: an unknown profile is a usage error naming the
// profile and the file.
func TestUnknownProfile(t *testing.T) {
	isolateAWS(t, "AWS_PROFILE=nosuch", "AWS_REGION=us-east-1")
	r := runIn(t, []string{"X=ssm:/x"}, "--", "true")
	if r.code != exitcode.Usage {
		t.Errorf("exit code %d, want %d; stderr:\n%s", r.code, exitcode.Usage, r.stderr)
	}
	for _, want := range []string{`valuefrom: hint: no profile "nosuch" in `, "(AWS_CONFIG_FILE)"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	// And through run's --profile.
	r = runIn(t, []string{"X=ssm:/x"}, "run", "--profile", "other", "true")
	if r.code != exitcode.Usage || !strings.Contains(r.stderr, `no profile "other"`) {
		t.Errorf("run --profile other: exit code %d; stderr:\n%s", r.code, r.stderr)
	}
}

// TestOneHintPerCause: fifty failures of one cause are fifty error lines
// and one hint, in text and in JSON.
func TestOneHintPerCause(t *testing.T) {
	addr := closedAddr(t)
	isolateAWS(t, "AWS_ENDPOINT_URL=http://"+addr, "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_REGION=us-east-1")
	env := []string{"VALUEFROM_MAX_ATTEMPTS=1"}
	for i := range 50 {
		env = append(env, fmt.Sprintf("V%02d=ssm:/app/v%02d", i, i))
	}
	r := runIn(t, env, "--", "true")
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	var errs, hints int
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "valuefrom: error: V"):
			errs++
		case strings.HasPrefix(l, "valuefrom: hint: "):
			hints++
		}
	}
	if r.code != exitcode.Resolve || errs != 50 || hints != 1 || lines[len(lines)-1] != "valuefrom: error: 50 references could not be resolved; the command was not started" {
		t.Errorf("exit %d, %d error lines, %d hints; want 50 and 1:\n%s", r.code, errs, hints, r.stderr)
	}

	r = runIn(t, append(env, "VALUEFROM_LOG_FORMAT=json", "VALUEFROM_LOG_LEVEL=warn"), "--", "true")
	errs, hints = 0, 0
	for _, obj := range vfbin.JSONLines(t, r.stderr) {
		switch obj["msg"] {
		case "reference failed":
			errs++
			if _, ok := obj["hint"]; ok {
				t.Errorf("a hint on an error object: %v", obj)
			}
			if _, ok := obj["request_id"]; ok {
				t.Errorf("a request_id where AWS never answered: %v", obj)
			}
		case "hint":
			hints++
			if vars, _ := obj["vars"].([]any); len(vars) != 50 {
				t.Errorf("the hint names %d variables, want 50", len(vars))
			}
		}
	}
	if errs != 50 || hints != 1 {
		t.Errorf("%d error objects, %d hints; want 50 and 1:\n%s", errs, hints, r.stderr)
	}
}

// TestBinaryJSONOnly: in JSON mode every line on stderr is one JSON
// object, the SDK's own warnings included: here the instance metadata
// client falls back to IMDSv1 while valuefrom looks for the region.
func TestBinaryJSONOnly(t *testing.T) {
	imds := mototest.IMDSv1(t, "us-east-1")
	env := []string{"VALUEFROM_LOG_FORMAT=json", "VALUEFROM_MAX_ATTEMPTS=1", "AWS_EC2_METADATA_SERVICE_ENDPOINT=" + imds.URL,
		"AWS_ENDPOINT_URL=http://" + closedAddr(t), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "X=ssm:/x"}
	r := runBinary(t, env, "--", "true")
	warned := false
	for _, obj := range vfbin.JSONLines(t, r.stderr) {
		msg, _ := obj["msg"].(string)
		warned = warned || strings.Contains(msg, "falling back to IMDSv1") && obj["level"] == "WARN"
	}
	if r.code != exitcode.Resolve || !warned {
		t.Errorf("exit %d, IMDS warning %v; stderr:\n%s", r.code, warned, r.stderr)
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
	r := runBinary(t, env, "--timeout", "5s", "--", "true")
	host := strings.TrimPrefix(proxy.URL, "http://")
	for _, want := range []string{"X: \"ssm:/x\": ProxyAuthenticationRequired", "the proxy " + host + " refused a tunnel to ssm.us-east-1.amazonaws.com:443: HTTP 407",
		"valuefrom: hint: the HTTP proxy at " + host + " wants credentials"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if r.code != exitcode.Resolve {
		t.Errorf("exit %d, want %d", r.code, exitcode.Resolve)
	}
}

// TestQuietAndJSONWithMoto: a success is silent at warn; policy's
// warnings are JSON in JSON mode; no value anywhere.
func TestQuietAndJSONWithMoto(t *testing.T) {
	moto := startMoto(t)
	seed(t, moto)
	r := runIn(t, []string{"VALUEFROM_LOG_LEVEL=warn", "PW=secretsmanager:app/db:password::", "TOKEN=ssm:/app/token"}, "--", "true")
	if r.code != 0 || r.stderr != "" {
		t.Errorf("exit %d, stderr %q; want a silent success", r.code, r.stderr)
	}
	r = runIn(t, []string{"VALUEFROM_LOG_FORMAT=json", "VALUEFROM_MAX_ATTEMPTS=1", "DB=secretsmanager:app/db:password::", "URL=ssm:/app/gone"}, "policy")
	objs := vfbin.JSONLines(t, r.stderr)
	if r.code != exitcode.Warnings || len(objs) != 2 || !strings.Contains(fmt.Sprint(objs[0]["msg"]), `URL: "ssm:/app/gone" does not exist`) {
		t.Errorf("exit %d; stderr:\n%s", r.code, r.stderr)
	}
	assertNoCanary(t, "stderr", r.stderr)
}

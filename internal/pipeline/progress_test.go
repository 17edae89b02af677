package pipeline

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/valuefrom/valuefrom/internal/awsapi"
	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/settings"
	"github.com/valuefrom/valuefrom/internal/testkit/fakeclock"
	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/resolver"
)

// awsAt points the SDK of this process at endpoint with test keys, and
// nothing else of the machine's AWS setup.
func awsAt(t *testing.T, endpoint string) {
	t.Helper()
	for _, kv := range []string{"AWS_ENDPOINT_URL=" + endpoint, "AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test", "AWS_EC2_METADATA_DISABLED=true", "AWS_PROFILE=", "AWS_SESSION_TOKEN=",
		"AWS_CONFIG_FILE=" + filepath.Join(t.TempDir(), "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(t.TempDir(), "none")} {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

// records is a slog handler that sends every record's message and
// attributes to a channel, for tests to wait on log lines.
type records chan map[string]any

func (records) Enabled(context.Context, slog.Level) bool { return true }
func (r records) Handle(_ context.Context, rec slog.Record) error {
	m := map[string]any{"msg": rec.Message, "level": rec.Level}
	rec.Attrs(func(a slog.Attr) bool { m[a.Key] = a.Value.Any(); return true })
	r <- m
	return nil
}
func (r records) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r records) WithGroup(string) slog.Handler      { return r }

// shortProgress makes progress lines come every few milliseconds.
func shortProgress(t *testing.T) {
	delay, every := progressDelay, progressEvery
	progressDelay, progressEvery = 20*time.Millisecond, 20*time.Millisecond
	t.Cleanup(func() { progressDelay, progressEvery = delay, every })
}

// fakeDeadline makes every run's deadline, until the test ends, pass when
// the returned Deadlines expire, not at o.Settings.Timeout: the test ends
// it on the event it waits for. (A real deadline, through the binary:
// test/entrypoint's TestTimeout.)
func fakeDeadline(t *testing.T) *fakeclock.Deadlines {
	f := new(fakeclock.Deadlines)
	saved := withTimeout
	withTimeout = f.WithTimeout
	t.Cleanup(func() { withTimeout = saved })
	return f
}

// resolveInBackground runs Resolve on environ until ctx ends, and returns
// its log records and a channel closed when it has returned.
func resolveInBackground(t *testing.T, ctx context.Context, environ []string) (records, <-chan error) {
	t.Helper()
	s, err := settings.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Timeout = time.Minute
	log := make(records, 1000)
	done := make(chan error, 1)
	go func() {
		_, _, _, err := Start(ctx, Options{Settings: s, Logger: slog.New(log)}, nil, environ)
		done <- err
	}()
	return log, done
}

// waitFor returns the first "still resolving" record that ok accepts.
func waitFor(t *testing.T, log records, done <-chan error, ok func(map[string]any) bool) map[string]any {
	t.Helper()
	for {
		select {
		case rec := <-log:
			if rec["msg"] == "still resolving" && ok(rec) {
				return rec
			}
		case err := <-done:
			t.Fatalf("Resolve returned %v before the progress line", err)
		}
	}
}

// TestProgressStalled: an endpoint that accepts and never answers gets
// progress lines naming what is pending, where, and the attempts, until
// Resolve returns; none after.
func TestProgressStalled(t *testing.T) {
	addr, _ := mototest.Stalled(t)
	awsAt(t, "http://"+addr)
	shortProgress(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log, done := resolveInBackground(t, ctx, []string{"A=ssm:/a", "B=ssm:/b", "C=secretsmanager:c", "D=arn:aws:ssm:eu-west-1:123456789012:parameter/d"})
	rec := waitFor(t, log, done, func(rec map[string]any) bool { return rec["attempts"].(int64) >= 3 })
	want := map[string]any{"pending": int64(4), "references": int64(4), "endpoint": addr,
		"waiting_on": "secretsmanager us-east-1: 1, ssm eu-west-1: 1, ssm us-east-1: 2"}
	for k, v := range want {
		if rec[k] != v {
			t.Errorf("progress %s = %v, want %v (line %v)", k, rec[k], v, rec)
		}
	}
	if _, ok := rec["last_error"]; ok {
		t.Errorf("a last error while every attempt waits: %v", rec)
	}
	cancel()
	if err := <-done; err == nil {
		t.Fatal("Resolve succeeded")
	}
	// Progress stops before the summary line: nothing follows it.
	var last map[string]any
	for len(log) > 0 {
		last = <-log
	}
	if last["msg"] != "resolved references" {
		t.Errorf("the last log line is %v, want the summary", last)
	}
}

// TestProgressRefused: the progress line carries the last error an
// attempt met.
func TestProgressRefused(t *testing.T) {
	addr := mototest.Closed(t)
	awsAt(t, "http://"+addr)
	shortProgress(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log, done := resolveInBackground(t, ctx, []string{"A=ssm:/a"})
	rec := waitFor(t, log, done, func(rec map[string]any) bool { return rec["last_error"] != nil })
	if msg := rec["last_error"].(string); !strings.Contains(msg, "connection refused") || !strings.Contains(msg, addr) {
		t.Errorf("last_error = %q, want connection refused at %s", msg, addr)
	}
	cancel()
	<-done
}

// TestUserAgentAndLogFields: every request names valuefrom and its
// version; the debug and summary lines give durations in duration_ms and
// no empty request_id, and no value.
func TestUserAgentAndLogFields(t *testing.T) {
	const canary = "canary-ua-8e21"
	agents := make(chan string, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		agents <- r.Header.Get("User-Agent")
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		io.WriteString(w, `{"Parameters":[{"Name":"/a","Value":"`+canary+`","Version":1,"ARN":"arn:aws:ssm:us-east-1:123456789012:parameter/a"}],"InvalidParameters":[]}`)
	}))
	defer srv.Close()
	awsAt(t, srv.URL)
	s, _ := settings.Load(nil)
	var buf bytes.Buffer
	o := Options{Settings: s, Version: "v9.9.9", Logger: slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	_, _, res, err := Start(context.Background(), o, nil, []string{"A=ssm:/a"})
	if err != nil || string(res.Values[0].Value) != canary {
		t.Fatalf("Resolve = %v", err)
	}
	if ua := <-agents; !strings.Contains(ua, "app/valuefrom-v9.9.9") {
		t.Errorf("User-Agent %q lacks app/valuefrom-v9.9.9", ua)
	}
	log := buf.String()
	if strings.Contains(log, canary) {
		t.Error("a value reached the log")
	}
	if strings.Count(log, `"duration_ms":`) != 2 || strings.Contains(log, `"duration":`) || strings.Contains(log, `"request_id":""`) {
		t.Errorf("want duration_ms on the debug and summary lines, and no empty request_id:\n%s", log)
	}
}

// TestSilentAtWarn: a success logs nothing at VALUEFROM_LOG_LEVEL=warn.
func TestSilentAtWarn(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		io.WriteString(w, `{"Parameters":[{"Name":"/a","Value":"v","Version":1}],"InvalidParameters":[]}`)
	}))
	defer srv.Close()
	awsAt(t, srv.URL)
	s, _ := settings.Load([]string{"VALUEFROM_LOG_LEVEL=warn"})
	var buf bytes.Buffer
	if _, _, _, err := Start(context.Background(), Options{Settings: s, Logger: s.Logger(&buf)}, nil, []string{"A=ssm:/a"}); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 0 {
		t.Errorf("a success logged at warn:\n%s", buf.String())
	}
}

// TestCredentialsUsageError: credentials that cannot be loaded stop
// Resolve once, as a usage error naming the profile.
func TestCredentialsUsageError(t *testing.T) {
	awsAt(t, "http://127.0.0.1:1")
	path := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(path, []byte("[profile broken]\ncredential_process = false\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CONFIG_FILE", path)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	s, _ := settings.Load(nil)
	_, _, _, err := Start(context.Background(), Options{Settings: s, Profile: "broken"}, nil, []string{"A=ssm:/a", "B=ssm:/b"})
	var usage *exitcode.UsageError
	var errs resolver.Errors
	if !errors.As(err, &usage) || errors.As(err, &errs) || !strings.Contains(usage.Hint, `profile "broken"`) || !strings.Contains(usage.Hint, path) {
		t.Errorf("Resolve = %v; want one exitcode.UsageError whose hint names the profile and %s", err, path)
	}
}

// TestProgressLevel: a watch cycle's progress lines are at the level asked
// for (debug), so that a failing cycle does not repeat at info what the
// watch warns about once; and they count only the cycle's own attempts.
func TestProgressLevel(t *testing.T) {
	shortProgress(t)
	log := make(records, 100)
	r := resolver.New(resolver.Config{})
	stop := reportProgress(slog.New(log), slog.LevelDebug, r, new(awsapi.Tracker), 3, time.Now())
	rec := <-log
	stop()
	if rec["msg"] != "still resolving" || rec["level"] != slog.LevelDebug {
		t.Errorf("progress record %v, want a debug-level still resolving", rec)
	}
	if rec["attempts"] != int64(0) || rec["last_error"] != nil {
		t.Errorf("progress record %v: want no attempts and no last error for a resolve that made none", rec)
	}
}

// TestCredentialsStalled: a credential source that never answers is named
// when the deadline ends, with progress lines meanwhile, instead of a
// silent wait and a timeout blamed on the service.
func TestCredentialsStalled(t *testing.T) {
	shortProgress(t)
	addr, _ := mototest.Stalled(t)
	containerCredentialsAt(t, addr)
	s, err := settings.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Timeout = 2 * time.Second
	// The deadline passes once the progress line says the credentials
	// hang: no test waits on the clock for it.
	deadline := fakeDeadline(t)
	log := make(records, 1000)
	done := make(chan error, 1)
	go func() {
		_, _, _, err := Start(context.Background(), Options{Settings: s, Logger: slog.New(log)}, nil, []string{"A=ssm:/a"})
		done <- err
	}()
	seen := false
	for !seen {
		select {
		case rec := <-log:
			seen = rec["msg"] == "still loading AWS credentials"
		case err = <-done:
			t.Fatalf("Resolve returned %v before a progress line while the credentials hung", err)
		}
	}
	deadline.Expire()
	err = <-done
	var usage *exitcode.UsageError
	if !errors.As(err, &usage) || !strings.Contains(err.Error(), "container credentials endpoint http://"+addr+"/creds") ||
		!strings.Contains(err.Error(), "before the deadline") || !strings.Contains(usage.Hint, "did not answer") ||
		strings.Contains(err.Error()+usage.Hint, "ssm.us-east-1") {
		t.Fatalf("Resolve = %v (hint %q); want a usage error naming the credential source, not SSM", err, usageHint(usage))
	}
}

func usageHint(u *exitcode.UsageError) string {
	if u == nil {
		return ""
	}
	return u.Hint
}

// containerCredentialsAt points the SDK's credentials at the container
// credentials endpoint http://addr/creds, and AWS at a closed port.
func containerCredentialsAt(t *testing.T, addr string) {
	t.Helper()
	awsAt(t, "http://127.0.0.1:1")
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://"+addr+"/creds")
}

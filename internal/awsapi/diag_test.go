package awsapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"

	"github.com/valuefrom/valuefrom/internal/platform"
	"github.com/valuefrom/valuefrom/internal/testkit/fakeclock"
	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
	"github.com/valuefrom/valuefrom/resolver/reference"
)

// canary stands for a secret value: it must reach no message.
const canary = "canary-diag-4f1a"

// getParameter makes one GetParameters call with a configuration from
// LoadConfig, pointed at endpoint, under ctx; with retryAtOnce, its
// retries do not wait (fakeclock.RetryAtOnce).
func getParameter(t *testing.T, ctx context.Context, endpoint string, maxAttempts int, retryAtOnce bool) error {
	t.Helper()
	mototest.Isolate(t, "AWS_ENDPOINT_URL="+endpoint, "AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test")
	cfg, err := LoadConfig(context.Background(), Options{MaxAttempts: maxAttempts, attemptTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if retryAtOnce {
		cfg = fakeclock.RetryAtOnce(cfg)
	}
	_, err = ssm.NewFromConfig(cfg).GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"/x"}})
	if err == nil {
		t.Fatal("GetParameters succeeded")
	}
	return err
}

// expireAfterFailures returns a context, with a deadline of 500 ms, that
// passes instead when n attempts of the calls made with it have failed.
func expireAfterFailures(t *testing.T, n int32) context.Context {
	t.Helper()
	var clock fakeclock.Deadlines
	ctx, cancel := clock.WithTimeout(context.Background(), 500*time.Millisecond)
	t.Cleanup(cancel)
	var failed atomic.Int32
	return OnAttemptFailed(ctx, func(error) {
		if failed.Add(1) == n {
			clock.Expire()
		}
	})
}

// TestConnectionRefusedAtDeadline: a call retried against a closed port
// until the deadline is reported as refused, at that address, not as a
// bare timeout at AWS's.
func TestConnectionRefusedAtDeadline(t *testing.T) {
	addr := mototest.Closed(t)
	// The deadline passes when the second attempt has failed.
	ctx := expireAfterFailures(t, 2)
	err := getParameter(t, ctx, "http://"+addr, 100, false)
	c := Classify(err)
	if c.Code != CodeNetwork || c.Network != NetRefused || !c.GaveUp || !c.Transient || c.Endpoint != addr || c.Attempts < 2 {
		t.Errorf("Classify = %+v; want NetworkError, refused, gave up, at %s, after several attempts", c, addr)
	}
	for _, want := range []string{"stopped at the deadline", "connection refused", addr} {
		if !strings.Contains(c.Message, want) {
			t.Errorf("message %q lacks %q", c.Message, want)
		}
	}
	ref, _ := reference.Parse("ssm:/x")
	hint := Hint(platform.Platform{}, c, ref, "us-east-1", "")
	if !strings.Contains(hint, addr+" (a custom endpoint") || !strings.Contains(hint, "refused") || strings.Contains(hint, "amazonaws.com") {
		t.Errorf("hint %q: want it to name %s as a custom endpoint that refused, and no AWS host", hint, addr)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v does not wrap the deadline", err)
	}
}

// TestNoAnswerAtDeadline: an endpoint that accepts and never answers is a
// timeout, naming the endpoint.
func TestNoAnswerAtDeadline(t *testing.T) {
	addr, accepted := mototest.Stalled(t)
	// The deadline passes while the first attempt waits on the endpoint.
	var clock fakeclock.Deadlines
	ctx, cancel := clock.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	go func() {
		<-accepted
		clock.Expire()
	}()
	err := getParameter(t, ctx, "http://"+addr, 3, false)
	c := Classify(err)
	if c.Code != CodeTimeout || c.Endpoint != addr || !strings.Contains(c.Message, "no answer from "+addr) {
		t.Errorf("Classify = %+v; want a timeout naming %s", c, addr)
	}
}

// TestNotAWSAnswers: an answer whose body is no AWS error is classified
// by its HTTP status, says it did not come from AWS, and repeats nothing
// of its body.
func TestNotAWSAnswers(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		ctype     string
		body      string
		code      string
		denied    bool
		transient bool
		hint      string
	}{
		{"403 XML from an emulator", 403, "text/xml", "<ErrorResponse><Message>" + canary + "</Message></ErrorResponse>",
			CodeForbidden, true, false, "HTTP 403 and a body that is not from AWS"},
		{"403 empty", 403, "", "", CodeForbidden, true, false, "ssm:GetParameters"},
		{"407 from a proxy", 407, "text/html", "<html>" + canary + "</html>", CodeProxyAuth, false, false, "HTTPS_PROXY"},
		{"502 from a proxy", 502, "text/html", "<html>" + canary + "</html>", CodeNotAWS, false, true, "AWS is not down"},
		{"404 from a web server", 404, "text/html", "<html>" + canary + "</html>", CodeNotAWS, false, false, "as AWS never does"},
		{"200 HTML from a captive portal", 200, "text/html", "<html>" + canary + "</html>", CodeNotAWS, false, false, "as AWS never does"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.ctype != "" {
					w.Header().Set("Content-Type", tt.ctype)
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err := getParameter(t, ctx, srv.URL, 2, true)
			c := Classify(err)
			host := strings.TrimPrefix(srv.URL, "http://")
			if c.Code != tt.code || c.Denied != tt.denied || c.Transient != tt.transient || c.AWS || c.HTTPStatus != tt.status {
				t.Errorf("Classify = %+v; want code %s, denied %v, transient %v, status %d, not AWS", c, tt.code, tt.denied, tt.transient, tt.status)
			}
			if !strings.Contains(c.Message, host) || (tt.status != 407 && !strings.Contains(c.Message, "not as AWS does")) {
				t.Errorf("message %q: want it to name %s and say the answer is not AWS's", c.Message, host)
			}
			ref, _ := reference.Parse("ssm:/x")
			hint := Hint(platform.Platform{}, c, ref, "us-east-1", "arn")
			if !strings.Contains(hint, tt.hint) || strings.Contains(hint, "DNS") {
				t.Errorf("hint %q: want %q, and no DNS", hint, tt.hint)
			}
			for what, s := range map[string]string{"error": err.Error(), "message": c.Message, "hint": hint, "cause": Cause(err)} {
				if strings.Contains(s, canary) {
					t.Errorf("the body reached the %s", what)
				}
			}
		})
	}
}

// TestProxyRefusal: a proxy that refuses the CONNECT tunnel is reported as
// the proxy's answer, through the transport LoadConfig sets up.
func TestProxyRefusal(t *testing.T) {
	for _, tt := range []struct {
		status    int
		code      string
		transient bool
		hint      string
	}{
		{407, CodeProxyAuth, false, "wants credentials (HTTP 407)"},
		{502, CodeNotAWS, true, "AWS is not down"},
	} {
		proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(tt.status)
		}))
		defer proxy.Close()
		proxyURL, _ := url.Parse(proxy.URL)
		client := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
			tr.Proxy = http.ProxyURL(proxyURL)
			tr.OnProxyConnectResponse = proxyRefusal
		})
		cfg := fakeclock.RetryAtOnce(aws.Config{Region: "us-east-1", Credentials: aws.AnonymousCredentials{}, HTTPClient: client,
			Retryer: func() aws.Retryer { return NewRetryer(2) }, APIOptions: []func(*middleware.Stack) error{trackCalls{}.addTo}})
		_, err := ssm.NewFromConfig(cfg).GetParameters(context.Background(), &ssm.GetParametersInput{Names: []string{"/x"}})
		c := Classify(err)
		if c.Code != tt.code || c.Proxy != proxyURL.Host || c.Transient != tt.transient || c.Attempts != map[bool]int{true: 2, false: 1}[tt.transient] {
			t.Errorf("%d: Classify = %+v; want %s from the proxy %s, transient %v", tt.status, c, tt.code, proxyURL.Host, tt.transient)
		}
		if h := Hint(platform.Platform{}, c, reference.Ref{Service: reference.SSM}, "us-east-1", ""); !strings.Contains(h, tt.hint) || !strings.Contains(h, proxyURL.Host) {
			t.Errorf("%d: hint %q: want %q and the proxy's address", tt.status, h, tt.hint)
		}
	}
}

// TestSDKLoggerJSON: the SDK's own warnings, here the instance metadata
// client's fallback to IMDSv1, come out through slog, as JSON lines.
func TestSDKLoggerJSON(t *testing.T) {
	imds := mototest.IMDSv1(t, "eu-west-3")
	mototest.Isolate(t, "AWS_EC2_METADATA_DISABLED=false", "AWS_EC2_METADATA_SERVICE_ENDPOINT="+imds.URL)
	var buf bytes.Buffer
	cfg, err := LoadConfig(context.Background(), Options{Logger: slog.New(slog.NewJSONHandler(&buf, nil))})
	if err != nil {
		t.Fatal(err)
	}
	region, err := FindRegion(context.Background(), cfg, func(string) string { return "" })
	if err != nil || region != "eu-west-3" {
		t.Fatalf("FindRegion = %q, %v; log:\n%s", region, err, buf.String())
	}
	found := false
	for _, obj := range vfbin.JSONLines(t, buf.String()) {
		msg, _ := obj["msg"].(string)
		found = found || obj["level"] == "WARN" && strings.Contains(msg, "falling back to IMDSv1") && obj["source"] == "aws-sdk"
	}
	if !found {
		t.Errorf("no JSON warning about the IMDSv1 fallback in:\n%s", buf.String())
	}

	// Debug lines are debug lines; nil discards.
	buf.Reset()
	NewLogger(slog.New(slog.NewJSONHandler(&buf, nil))).Logf(logging.Debug, "retrying %d", 2)
	NewLogger(nil).Logf(logging.Warn, "dropped")
	if buf.Len() != 0 {
		t.Errorf("a debug line at info level: %s", buf.String())
	}
}

// TestConfigErrors: an unknown profile, and credentials that cannot be
// loaded, are ConfigErrors whose hint names the profile and the files.
func TestConfigErrors(t *testing.T) {
	mototest.Isolate(t, "AWS_PROFILE=nosuch")
	_, err := LoadConfig(context.Background(), Options{})
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Credentials {
		t.Fatalf("LoadConfig with AWS_PROFILE=nosuch = %v, want a ConfigError", err)
	}
	for _, want := range []string{`no profile "nosuch"`, ce.ConfigFile, ce.CredentialsFile, "AWS_CONFIG_FILE"} {
		if !strings.Contains(ce.Hint(), want) {
			t.Errorf("hint %q lacks %q", ce.Hint(), want)
		}
	}
	if ce.ConfigFile != filepath.Clean(ce.ConfigFile) || !strings.HasSuffix(ce.ConfigFile, "config") {
		t.Errorf("ConfigFile = %q, want AWS_CONFIG_FILE's", ce.ConfigFile)
	}

	// A profile whose credential_process fails: the configuration loads,
	// the credentials do not.
	mototest.Isolate(t, "AWS_PROFILE=broken", "AWS_REGION=us-east-1")
	writeConfig(t, "[profile broken]\ncredential_process = false\n")
	cfg, err := LoadConfig(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = CheckCredentials(context.Background(), cfg, "")
	if !errors.As(err, &ce) || !ce.Credentials || ce.Profile != "broken" || !strings.Contains(ce.Hint(), `profile "broken"`) {
		t.Errorf("CheckCredentials = %v; want a credentials ConfigError naming the profile", err)
	}

	// Static credentials are fine.
	mototest.Isolate(t, "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test")
	cfg, _ = LoadConfig(context.Background(), Options{})
	if err := CheckCredentials(context.Background(), cfg, ""); err != nil {
		t.Errorf("CheckCredentials with keys = %v", err)
	}
}

func writeConfig(t *testing.T, text string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CONFIG_FILE", path)
}

// TestAppID: every request names the application in its User-Agent.
func TestAppID(t *testing.T) {
	agents := make(chan string, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		agents <- r.Header.Get("User-Agent")
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		io.WriteString(w, `{"Parameters":[],"InvalidParameters":["/x"]}`)
	}))
	defer srv.Close()
	mototest.Isolate(t, "AWS_ENDPOINT_URL="+srv.URL, "AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test")
	cfg, err := LoadConfig(context.Background(), Options{Version: "v1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ssm.NewFromConfig(cfg).GetParameters(context.Background(), &ssm.GetParametersInput{Names: []string{"/x"}}); err != nil {
		t.Fatal(err)
	}
	if ua := <-agents; !strings.Contains(ua, "app/valuefrom-v1.2.3") {
		t.Errorf("User-Agent %q lacks app/valuefrom-v1.2.3", ua)
	}
}

package server

import (
	"github.com/valuefrom/valuefrom/internal/awsapi"
	"github.com/valuefrom/valuefrom/internal/testkit/syncbuf"

	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/valuefrom/valuefrom/internal/testkit/faultproxy"
	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
)

const token = "test-token-6b1e0c2f9a7d4e3b"

// fixture is moto seeded with mototest's Fixture, which the tests read.
type fixture struct {
	moto *mototest.Server
	sm   *secretsmanager.Client
	mototest.Fixture
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	moto := mototest.Start(t)
	return &fixture{moto: moto, sm: secretsmanager.NewFromConfig(moto.Config(t, "us-east-1")), Fixture: mototest.Seed(t, moto)}
}

// awsConfig points the SDK at url, with one attempt per call so that an
// injected failure is not retried away.
func awsConfig(t testing.TB, url string) aws.Config {
	cfg := (&mototest.Server{URL: url}).Config(t, "us-east-1")
	cfg.Retryer = func() aws.Retryer { return awsapi.NewRetryer(1) }
	return cfg
}

// clock is a settable time for the cache, in Unix nanoseconds.
type clock struct{ ns atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// testServer is a Server behind a real HTTP listener.
type testServer struct {
	*Server
	url   string
	clock *clock
	log   *syncbuf.Buffer
}

func startServer(t *testing.T, cfg Config) *testServer {
	t.Helper()
	ts := &testServer{clock: new(clock), log: &syncbuf.Buffer{}}
	ts.clock.ns.Store(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	cfg.Token = token
	cfg.Now = ts.clock.Now
	cfg.Logger = slog.New(slog.NewTextHandler(ts.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts.Server = s
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	ts.url = hs.URL
	t.Cleanup(func() { assertNoCanary(t, "the server's log", ts.log.String()) })
	return ts
}

func assertNoCanary(t *testing.T, where, s string) {
	t.Helper()
	if strings.Contains(s, mototest.Canary) || strings.Contains(s, token) {
		t.Errorf("a secret value or the token leaked into %s", where)
	}
}

// response is one answer of the server.
type response struct {
	status int
	body   string
	header http.Header
}

// do sends a request with the token, unless header says otherwise.
func (ts *testServer) do(t *testing.T, method, path string, header map[string]string) response {
	t.Helper()
	req, err := http.NewRequest(method, ts.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Aws-Parameters-Secrets-Token", token)
	// Deletions first, then the headers, as written: a key that is not in
	// canonical form goes on the wire as it is.
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
		}
	}
	for k, v := range header {
		if v != "" {
			req.Header[k] = []string{v}
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, body: string(b), header: resp.Header}
}

func (ts *testServer) get(t *testing.T, path string) response {
	t.Helper()
	return ts.do(t, http.MethodGet, path, nil)
}

// decode decodes a JSON object answer, failing without printing it.
func decode(t *testing.T, r response) map[string]any {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d, want 200; body: %s", r.status, redact(r.body))
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("answer is not a JSON object: %v", err)
	}
	return m
}

var canaryRE = regexp.MustCompile(mototest.Canary + `[-0-9a-z]*`)

// redact hides canaries in a body that goes into a failure message.
func redact(s string) string { return canaryRE.ReplaceAllString(s, "<value>") }

func keysOf(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

var epochFrac = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)

// TestServer runs the end-to-end tests against one moto, in an order
// where no test changes what a later one reads.
func TestServer(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct {
		name string
		test func(*testing.T, *fixture)
	}{
		{"SecretShape", testSecretShape},
		{"ParameterShape", testParameterShape},
		{"StatusCodes", testStatusCodes},
		{"Singleflight", testSingleflight},
		{"RequestLimit", testRequestLimit},
		{"TTL", testTTL},
		{"TTLZeroAndMaxEntries", testTTLZeroAndMaxEntries},
		{"StaleOnError", testStaleOnError},
		{"GoneEvicts", testGoneEvicts},
		{"StaleAtOnce", testStaleAtOnce},
	} {
		t.Run(tt.name, func(t *testing.T) { tt.test(t, f) })
	}
}

func testSecretShape(t *testing.T, f *fixture) {
	ts := startServer(t, Config{AWS: awsConfig(t, f.moto.URL), TTL: time.Minute})
	want, err := f.sm.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(f.DB.Name)})
	if err != nil {
		t.Fatal(err)
	}

	r := ts.get(t, "/secretsmanager/get?secretId=app%2Fdb")
	m := decode(t, r)
	if got := strings.Join(keysOf(m), ","); len(m) != 6 {
		t.Errorf("keys %s, want ARN, Name, VersionId, SecretString, VersionStages, CreatedDate", got)
	}
	order := []string{`"ARN"`, `"Name"`, `"VersionId"`, `"SecretString"`, `"VersionStages"`, `"CreatedDate"`}
	for i := 1; i < len(order); i++ {
		if strings.Index(r.body, order[i-1]) > strings.Index(r.body, order[i]) {
			t.Errorf("%s comes after %s; the agent writes %v", order[i-1], order[i], order)
		}
	}
	checks := []struct {
		key  string
		want any
	}{
		{"ARN", aws.ToString(want.ARN)},
		{"Name", f.DB.Name},
		{"VersionId", aws.ToString(want.VersionId)},
		{"VersionStages", []any{"AWSCURRENT"}},
	}
	for _, c := range checks {
		if got := m[c.key]; fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s = %v, want %v", c.key, got, c.want)
		}
	}
	if m["SecretString"] != f.DB.Value {
		t.Error("SecretString is not the secret's value (value not shown)")
	}
	created, ok := m["CreatedDate"].(string)
	if !ok || !epochFrac.MatchString(created) {
		t.Errorf("CreatedDate = %#v, want a string of epoch seconds such as \"1569534789.046\"", m["CreatedDate"])
	}
	if wantCreated := *epochSeconds(aws.ToTime(want.CreatedDate)); created != wantCreated {
		t.Errorf("CreatedDate = %q, want %q", created, wantCreated)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}

	if path := ts.get(t, "/v1/app/db"); path.body != r.body {
		t.Errorf("the path form answers %s, the query form %s", redact(path.body), redact(r.body))
	}

	bin := decode(t, ts.get(t, "/secretsmanager/get?secretId="+f.Binary.Name))
	if _, ok := bin["SecretString"]; ok {
		t.Error("a binary secret's answer has a SecretString key; the agent leaves it out")
	}
	if b, err := base64.StdEncoding.DecodeString(fmt.Sprint(bin["SecretBinary"])); err != nil || string(b) != f.Binary.Value {
		t.Errorf("SecretBinary is not the secret's bytes in standard base64 (err %v; value not shown)", err)
	}

	versions := []struct{ path, want string }{
		{"/secretsmanager/get?secretId=rotated", f.Rotated.Value},
		{"/secretsmanager/get?secretId=rotated&versionStage=AWSPREVIOUS", f.RotatedPrevious.Value},
		{"/secretsmanager/get?secretId=rotated&versionId=" + f.RotatedPrevious.VersionID, f.RotatedPrevious.Value},
		{"/v1/rotated?versionStage=AWSPREVIOUS", f.RotatedPrevious.Value},
		{"/secretsmanager/get?secretId=" + url.QueryEscape(f.DB.ARN), f.DB.Value},
	}
	for _, v := range versions {
		if got := decode(t, ts.get(t, v.path)); got["SecretString"] != v.want {
			t.Errorf("%s: wrong SecretString (values not shown)", v.path)
		}
	}
}

func TestEpochSeconds(t *testing.T) {
	tests := []struct {
		t    time.Time
		want string
	}{
		{time.UnixMilli(1569534789046), "1569534789.046"},
		{time.Unix(1569534789, 0), "1569534789"},
		{time.UnixMilli(1569534789500), "1569534789.5"},
	}
	for _, tt := range tests {
		if got := *epochSeconds(tt.t); got != tt.want {
			t.Errorf("epochSeconds(%v) = %q, want %q", tt.t, got, tt.want)
		}
	}
	if got := epochSeconds(time.Time{}); got != nil {
		t.Errorf("epochSeconds(zero) = %q, want nil (null)", *got)
	}
}

func testParameterShape(t *testing.T, f *fixture) {
	ts := startServer(t, Config{AWS: awsConfig(t, f.moto.URL), TTL: time.Minute})

	r := ts.get(t, "/systemsmanager/parameters/get?name=%2Fapp%2Furl")
	m := decode(t, r)
	if _, ok := m["ResultMetadata"].(map[string]any); !ok || len(m) != 2 {
		t.Errorf("top-level keys %v, want Parameter and ResultMetadata ({})", keysOf(m))
	}
	p, _ := m["Parameter"].(map[string]any)
	wantKeys := []string{"ARN", "DataType", "LastModifiedDate", "Name", "Selector", "SourceResult", "Type", "Value", "Version"}
	for _, k := range wantKeys {
		if _, ok := p[k]; !ok {
			t.Errorf("Parameter has no %s key; the extension writes absent fields as null", k)
		}
	}
	if p["Selector"] != nil || p["SourceResult"] != nil {
		t.Errorf("Selector %v, SourceResult %v, want null", p["Selector"], p["SourceResult"])
	}
	// The extension's answer is the SDK's output; so it must decode into it.
	var out ssm.GetParameterOutput
	if err := json.Unmarshal([]byte(r.body), &out); err != nil || out.Parameter == nil {
		t.Fatalf("decoding into ssm.GetParameterOutput: %v", err)
	}
	got := out.Parameter
	if aws.ToString(got.Name) != f.URL.Name || aws.ToString(got.Value) != f.URL.Value ||
		got.Type != ssmtypes.ParameterTypeString || got.Version != f.URL.Version ||
		aws.ToString(got.ARN) != f.URL.ARN || got.LastModifiedDate == nil {
		t.Errorf("Parameter = %s", redact(r.body))
	}
	if lm, _ := p["LastModifiedDate"].(string); !strings.HasSuffix(lm, "Z") || !strings.Contains(lm, "T") {
		t.Errorf("LastModifiedDate = %q, want ISO 8601 in UTC", lm)
	}

	values := []struct{ path, want string }{
		{"/systemsmanager/parameters/get?name=/app/token&withDecryption=true", f.Token.Value},
		{"/systemsmanager/parameters/get/?name=/app/token&withDecryption=TRUE", f.Token.Value},
		{"/systemsmanager/parameters/get?name=/app/token&withDecryption=true&version=1", f.TokenV1.Value},
		{"/systemsmanager/parameters/get?name=/app/token&withDecryption=true&label=" + mototest.StableLabel, f.TokenV1.Value},
	}
	for _, v := range values {
		p, _ := decode(t, ts.get(t, v.path))["Parameter"].(map[string]any)
		if p["Value"] != v.want {
			t.Errorf("%s: wrong Value (values not shown)", v.path)
		}
	}
	enc, _ := decode(t, ts.get(t, "/systemsmanager/parameters/get?name=/app/token"))["Parameter"].(map[string]any)
	if v, _ := enc["Value"].(string); v == f.Token.Value {
		t.Error("without withDecryption=true a SecureString came back decrypted")
	}
}

func testStatusCodes(t *testing.T, f *fixture) {
	// AccessDenied comes from the proxy: moto's denials are not JSON.
	proxy := faultproxy.Serve(t, f.moto.URL, faultproxy.Config{Deny: map[string]faultproxy.Denial{"denied": faultproxy.AccessDenied}})
	ts := startServer(t, Config{AWS: awsConfig(t, proxy.URL()), TTL: time.Minute})

	const ok = "/secretsmanager/get?secretId=app/db"
	tests := []struct {
		name   string
		method string
		path   string
		header map[string]string
		status int
		body   string // exact, or for JSON the __type
	}{
		{"no token", "GET", ok, map[string]string{"X-Aws-Parameters-Secrets-Token": ""}, 403, "Bad Token"},
		{"wrong token", "GET", ok, map[string]string{"X-Aws-Parameters-Secrets-Token": "nope"}, 403, "Bad Token"},
		{"token prefix", "GET", ok, map[string]string{"X-Aws-Parameters-Secrets-Token": token[:10]}, 403, "Bad Token"},
		{"token plus more", "GET", ok, map[string]string{"X-Aws-Parameters-Secrets-Token": token + "x"}, 403, "Bad Token"},
		{"token lower-case header", "GET", ok, map[string]string{"X-Aws-Parameters-Secrets-Token": "", "x-aws-parameters-secrets-token": token}, 200, ""},
		{"X-Vault-Token", "GET", ok, map[string]string{"X-Aws-Parameters-Secrets-Token": "", "X-Vault-Token": token}, 200, ""},
		{"X-Forwarded-For", "GET", ok, map[string]string{"X-Forwarded-For": "10.0.0.1"}, 400, "Forwarded"},
		{"X-Forwarded-For without token", "GET", ok, map[string]string{"X-Forwarded-For": "10.0.0.1", "X-Aws-Parameters-Secrets-Token": ""}, 400, "Forwarded"},
		{"unknown path without token", "GET", "/nope", map[string]string{"X-Aws-Parameters-Secrets-Token": ""}, 403, "Bad Token"},
		{"unknown path", "GET", "/nope", nil, 404, "Not found"},
		{"POST", "POST", ok, nil, 405, "Not allowed"},
		{"POST without token", "POST", ok, map[string]string{"X-Aws-Parameters-Secrets-Token": ""}, 403, "Bad Token"},
		{"ping", "GET", "/ping", map[string]string{"X-Aws-Parameters-Secrets-Token": ""}, 200, "healthy"},
		{"healthz", "GET", "/healthz", map[string]string{"X-Aws-Parameters-Secrets-Token": ""}, 200, "healthy"},
		{"POST ping", "POST", "/ping", nil, 405, "Not allowed"},
		{"missing secretId", "GET", "/secretsmanager/get", nil, 400, "missing parameter secretId"},
		{"empty secretId", "GET", "/secretsmanager/get?secretId=", nil, 400, "missing parameter secretId"},
		{"unknown parameter", "GET", ok + "&foo=1", nil, 400, "unknown parameter: foo"},
		{"bad refreshNow", "GET", ok + "&refreshNow=maybe", nil, 400, "invalid refreshNow value"},
		{"malformed query", "GET", ok + "&a=%zz", nil, 400, "malformed query"},
		{"missing name", "GET", "/systemsmanager/parameters/get", nil, 400, "missing parameter name"},
		{"version and label", "GET", "/systemsmanager/parameters/get?name=/app/token&version=1&label=stable", nil, 400, "version and label are exclusive: give one"},
		{"bad withDecryption", "GET", "/systemsmanager/parameters/get?name=/app/url&withDecryption=yes", nil, 400, "invalid withDecryption value"},
		{"secret not found", "GET", "/secretsmanager/get?secretId=missing", nil, 0, "ResourceNotFoundException"},
		{"version not found", "GET", "/secretsmanager/get?secretId=app/db&versionStage=NOPE", nil, 0, "ResourceNotFoundException"},
		{"parameter not found", "GET", "/systemsmanager/parameters/get?name=/missing", nil, 0, "ParameterNotFound"},
		{"access denied", "GET", "/secretsmanager/get?secretId=denied", nil, 400, "AccessDeniedException"},
		{"bad region in secret ARN", "GET", "/secretsmanager/get?secretId=arn:aws:secretsmanager:evil.example:123456789012:secret:x", nil, 400, `the ARN's region "evil.example" is not a region such as us-east-1`},
		{"bad region in parameter ARN", "GET", "/systemsmanager/parameters/get?name=arn:aws:ssm:x-y:123456789012:parameter/x", nil, 400, `the ARN's region "x-y" is not a region such as us-east-1`},
		{"region that does not exist", "GET", "/secretsmanager/get?secretId=arn:aws:secretsmanager:us-east-9:123456789012:secret:x", nil, 400, `the ARN's region us-east-9 does not exist: valuefrom knows the regions of the AWS SDK it was built with`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.do(t, tt.method, tt.path, tt.header)
			if tt.status == 0 { // AWS's own status: moto's differ from AWS's 400
				if r.status < 400 || r.status > 499 {
					t.Errorf("status %d, want AWS's 4xx", r.status)
				}
			} else if r.status != tt.status {
				t.Errorf("status %d, want %d; body %s", r.status, tt.status, redact(r.body))
			}
			switch {
			case tt.body == "":
			case strings.HasSuffix(tt.body, "Exception") || tt.body == "ParameterNotFound":
				var e struct {
					Type    string `json:"__type"`
					Message string `json:"message"`
				}
				if err := json.Unmarshal([]byte(r.body), &e); err != nil || e.Type != tt.body || e.Message == "" {
					t.Errorf("body %s, want {\"__type\":%q,\"message\":...}", redact(r.body), tt.body)
				}
			case r.body != tt.body:
				t.Errorf("body %q, want %q", redact(r.body), tt.body)
			}
		})
	}
	if !strings.Contains(ts.log.String(), "AccessDeniedException") {
		t.Error("the log does not say why a request failed")
	}
}

// gateProxy forwards to moto, counts the calls per X-Amz-Target, and can
// hold calls until released or answer an error instead.
type gateProxy struct {
	url   string
	mu    sync.Mutex
	calls map[string]int
	hold  chan struct{} // when not nil, calls wait until it is closed
	fault atomic.Value  // string: "", "unavailable" or "denied"
}

func startGateProxy(t *testing.T, backend string) *gateProxy {
	t.Helper()
	u, _ := url.Parse(backend)
	rp := httputil.NewSingleHostReverseProxy(u)
	g := &gateProxy{calls: map[string]int{}}
	g.fault.Store("")
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		g.calls[r.Header.Get("X-Amz-Target")]++
		hold := g.hold
		g.mu.Unlock()
		if hold != nil {
			<-hold
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		switch g.fault.Load() {
		case "unavailable":
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `{"__type":"ServiceUnavailable","message":"The service is unavailable."}`)
		case "denied":
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"__type":"AccessDeniedException","message":"not authorized to perform: secretsmanager:GetSecretValue"}`)
		default:
			rp.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(hs.Close)
	g.url = hs.URL
	return g
}

func (g *gateProxy) count(target string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.calls[target]
}

const getSecretValue = "secretsmanager.GetSecretValue"

func testSingleflight(t *testing.T, f *fixture) {
	g := startGateProxy(t, f.moto.URL)
	ts := startServer(t, Config{AWS: awsConfig(t, g.url), TTL: time.Minute})
	release := make(chan struct{})
	g.hold = release

	const clients = 100
	var wg sync.WaitGroup
	answers := make([]response, clients)
	tr := &http.Transport{MaxIdleConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	for i := range clients {
		wg.Go(func() {
			req, _ := http.NewRequest("GET", ts.url+"/secretsmanager/get?secretId=app/db", nil)
			req.Header.Set("X-Aws-Parameters-Secrets-Token", token)
			resp, err := client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			answers[i] = response{status: resp.StatusCode, body: string(b)}
		})
	}
	// Release AWS only once every request is waiting in the server.
	deadline := time.After(10 * time.Second)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for ts.inflight.Load() < clients {
		select {
		case <-deadline:
			t.Fatalf("only %d of %d requests reached the server", ts.inflight.Load(), clients)
		case <-tick.C:
		}
	}
	close(release)
	wg.Wait()

	if got := g.count(getSecretValue); got != 1 {
		t.Errorf("%d concurrent requests made %d GetSecretValue calls, want 1", clients, got)
	}
	for i, a := range answers {
		if a.status != 200 || a.body != answers[0].body {
			t.Errorf("request %d: status %d, or a body unlike the others", i, a.status)
		}
	}
}

// testRequestLimit: with MaxConns requests in flight, one more gets 429
// before its token is even looked at, a health check still passes, and
// the requests in flight finish.
func testRequestLimit(t *testing.T, f *fixture) {
	g := startGateProxy(t, f.moto.URL)
	ts := startServer(t, Config{AWS: awsConfig(t, g.url), TTL: time.Minute, MaxConns: 2})
	release := make(chan struct{})
	g.hold = release

	var wg sync.WaitGroup
	statuses := make([]int, 2)
	for i := range statuses {
		wg.Go(func() {
			req, _ := http.NewRequest("GET", ts.url+"/secretsmanager/get?secretId=app/db", nil)
			req.Header.Set("X-Aws-Parameters-Secrets-Token", token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		})
	}
	deadline := time.After(10 * time.Second)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for ts.inflight.Load() < 2 {
		select {
		case <-deadline:
			close(release)
			t.Fatalf("only %d of 2 requests reached the server", ts.inflight.Load())
		case <-tick.C:
		}
	}
	over := ts.do(t, "GET", "/secretsmanager/get?secretId=app/db", map[string]string{"X-Aws-Parameters-Secrets-Token": ""})
	ping := ts.do(t, "GET", "/ping", nil)
	close(release)
	wg.Wait()

	if over.status != http.StatusTooManyRequests || over.body != "Connection limit exceeded" {
		t.Errorf("request over the limit: status %d body %q, want 429 Connection limit exceeded", over.status, redact(over.body))
	}
	if ping.status != http.StatusOK {
		t.Errorf("health check at the limit: status %d, want 200", ping.status)
	}
	for i, st := range statuses {
		if st != http.StatusOK {
			t.Errorf("request %d in flight: status %d, want 200", i, st)
		}
	}
}

func testTTL(t *testing.T, f *fixture) {
	g := startGateProxy(t, f.moto.URL)
	ts := startServer(t, Config{AWS: awsConfig(t, g.url), TTL: 300 * time.Second})
	const path = "/secretsmanager/get?secretId=rotated"
	step := func(wantCalls int, wantValue string) {
		t.Helper()
		if got := decode(t, ts.get(t, path)); got["SecretString"] != wantValue {
			t.Errorf("after %d calls: wrong value (values not shown)", wantCalls)
		}
		if got := g.count(getSecretValue); got != wantCalls {
			t.Errorf("GetSecretValue calls %d, want %d", got, wantCalls)
		}
	}
	step(1, f.Rotated.Value)
	newer := f.moto.Seeder(t, "us-east-1").NewVersion(f.Rotated.Name, "canary-serve-newer-2b7e")
	ts.clock.Advance(299 * time.Second)
	step(1, f.Rotated.Value) // still fresh: served from the cache
	ts.clock.Advance(time.Second)
	step(2, newer.Value) // expired: fetched again
	step(2, newer.Value)
	if r := decode(t, ts.get(t, path+"&refreshNow=true")); r["SecretString"] != newer.Value || g.count(getSecretValue) != 3 {
		t.Errorf("refreshNow=true made %d calls in all, want 3", g.count(getSecretValue))
	}
}

func testTTLZeroAndMaxEntries(t *testing.T, f *fixture) {
	g := startGateProxy(t, f.moto.URL)
	ts := startServer(t, Config{AWS: awsConfig(t, g.url), TTL: time.Hour, MaxEntries: 1})
	for _, id := range []string{"app/db", "rotated", "app/db"} {
		ts.get(t, "/secretsmanager/get?secretId="+id)
	}
	if got := g.count(getSecretValue); got != 3 {
		t.Errorf("MaxEntries 1, three requests for A, B, A: %d calls, want 3 (A evicted by B)", got)
	}

	g0 := startGateProxy(t, f.moto.URL)
	s, err := New(Config{AWS: awsConfig(t, g0.url), Token: token, TTL: 0}) // the real clock
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s)
	defer hs.Close()
	zero := &testServer{Server: s, url: hs.URL}
	zero.get(t, "/secretsmanager/get?secretId=app/db")
	zero.get(t, "/secretsmanager/get?secretId=app/db")
	if got := g0.count(getSecretValue); got != 2 {
		t.Errorf("TTL 0, two requests: %d calls, want 2", got)
	}
}

func testStaleOnError(t *testing.T, f *fixture) {
	g := startGateProxy(t, f.moto.URL)
	ts := startServer(t, Config{AWS: awsConfig(t, g.url), TTL: 10 * time.Second, Stale: time.Minute})
	const path = "/secretsmanager/get?secretId=app/db"
	if got := decode(t, ts.get(t, path)); got["SecretString"] != f.DB.Value {
		t.Fatal("wrong first value (not shown)")
	}

	g.fault.Store("unavailable")
	ts.clock.Advance(11 * time.Second) // expired, within the grace
	if got := decode(t, ts.get(t, path)); got["SecretString"] != f.DB.Value {
		t.Error("a transient failure within the grace did not serve the cached value")
	}
	if calls := g.count(getSecretValue); calls != 2 {
		t.Errorf("%d calls, want 2: the expired entry must be refreshed", calls)
	}
	if log := ts.log.String(); !strings.Contains(log, "serving the cached value") || !strings.Contains(log, "ServiceUnavailable") {
		t.Errorf("serving a stale value was not logged with its cause:\n%s", redact(log))
	}

	ts.clock.Advance(60 * time.Second) // 71 s: past TTL + grace
	r := ts.get(t, path)
	if r.status != http.StatusServiceUnavailable || !strings.Contains(r.body, `"__type":"ServiceUnavailable"`) {
		t.Errorf("past the grace: status %d body %s, want AWS's 503 ServiceUnavailable", r.status, redact(r.body))
	}

	// A denial is no transient failure: the cached value must not cover it.
	g.fault.Store("")
	decode(t, ts.get(t, path))
	g.fault.Store("denied")
	ts.clock.Advance(11 * time.Second)
	r = ts.get(t, path)
	if r.status != http.StatusBadRequest || !strings.Contains(r.body, "AccessDeniedException") {
		t.Errorf("denied within the grace: status %d body %s, want 400 AccessDeniedException", r.status, redact(r.body))
	}
}

func TestLoadToken(t *testing.T) {
	dir := t.TempDir()
	file := dir + "/token"
	if err := os.WriteFile(file, []byte("  "+token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := dir + "/empty"
	os.WriteFile(empty, []byte("\n"), 0o600)
	short := dir + "/short"
	os.WriteFile(short, []byte("canary-short\n"), 0o600)
	twoLines := dir + "/two-lines"
	os.WriteFile(twoLines, []byte("canary-line-one-0123\ncanary-line-two-4567\n"), 0o600)
	tests := []struct {
		name                  string
		value, file, awsToken string
		want, errWant         string
	}{
		{"value", token, "", "other", token, ""},
		{"value file://", "file://" + file, "", "", token, ""},
		{"file", "", file, "other", token, ""},
		{"AWS_TOKEN", "", "", token, token, ""},
		{"AWS_TOKEN file://", "", "", "file://" + file, token, ""},
		{"none", "", "", "", "", "no token: set VALUEFROM_TOKEN"},
		{"missing file", "", dir + "/nope", "", "", "VALUEFROM_TOKEN_FILE: reading the token file"},
		{"empty file", "", empty, "", "", "VALUEFROM_TOKEN_FILE: the token file " + empty + " is empty"},
		{"reference", "secretsmanager:sidecar-token", "", "", "", "VALUEFROM_TOKEN holds a reference, not a token"},
		{"ARN in AWS_TOKEN", "", "", "arn:aws:ssm:us-east-1:123456789012:parameter/t", "", "AWS_TOKEN holds a reference"},
		// Item 6: every source is trimmed alike, since a header's value
		// arrives trimmed; what is left must be long enough and printable.
		{"value with a newline", token + "\n", "", "", token, ""},
		{"value with spaces", "  " + token + " \t", "", "", token, ""},
		{"AWS_TOKEN with a newline", "", "", token + "\r\n", token, ""},
		{"value file:// with a newline", "file://" + file + "\n", "", "", token, ""},
		{"short value", "abc123", "", "", "", "VALUEFROM_TOKEN holds a token shorter than 16 bytes"},
		{"short after trimming", "   canary-short  \n   ", "", "", "", "VALUEFROM_TOKEN holds a token shorter than 16 bytes"},
		{"short AWS_TOKEN", "", "", "0123456789abcde", "", "AWS_TOKEN holds a token shorter than 16 bytes"},
		{"short file", "", short, "", "", "VALUEFROM_TOKEN_FILE: the token file " + short + " holds a token shorter"},
		{"blank value", " \n", "", "", "", "VALUEFROM_TOKEN holds a token shorter"},
		{"control character", "canary-token-" + "\x00" + "0123456789", "", "", "", "VALUEFROM_TOKEN holds a control character"},
		{"inner newline in a file", "", twoLines, "", "", "VALUEFROM_TOKEN_FILE: the token file " + twoLines + " holds a control character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadToken(context.Background(), tt.value, tt.file, tt.awsToken)
			if got != tt.want {
				t.Errorf("token of %d bytes, want %d bytes (not printed: it may be a canary)", len(got), len(tt.want))
			}
			if tt.errWant == "" && err != nil || tt.errWant != "" && (err == nil || !strings.Contains(err.Error(), tt.errWant)) {
				t.Errorf("error %v, want one containing %q", err, tt.errWant)
			}
			if err != nil && (strings.Contains(err.Error(), "canary") || strings.Contains(err.Error(), token)) {
				t.Error("the error holds the token")
			}
		})
	}
	if _, err := New(Config{}); err != ErrNoToken {
		t.Errorf("New without a token: %v, want ErrNoToken", err)
	}
}

// testGoneEvicts: once AWS says a secret is gone (deleted) or no longer
// readable (denied), its cached value is never served again, neither
// fresh after refreshNow=true nor stale within the grace (item 13).
func testGoneEvicts(t *testing.T, f *fixture) {
	g := startGateProxy(t, f.moto.URL)
	ts := startServer(t, Config{AWS: awsConfig(t, g.url), TTL: 5 * time.Minute, Stale: 15 * time.Minute})
	seed := f.moto.Seeder(t, "us-east-1")
	deleteSecret := func(name string) {
		t.Helper()
		_, err := f.sm.DeleteSecret(context.Background(), &secretsmanager.DeleteSecretInput{
			SecretId: aws.String(name), ForceDeleteWithoutRecovery: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
	}
	// wantError asserts an error answer of the given __type: the cached
	// value must not come back.
	wantError := func(step, path string, status int, code string) {
		t.Helper()
		r := ts.get(t, path)
		if r.status < 400 || status != 0 && r.status != status || !strings.Contains(r.body, `"__type":"`+code+`"`) {
			t.Errorf("%s: status %d body %s, want %s", step, r.status, redact(r.body), code)
		}
		if strings.Contains(r.body, mototest.Canary) {
			t.Errorf("%s: the answer holds the cached value", step)
		}
	}

	// wantNoStale asserts that, with AWS unavailable, path is answered
	// with ServiceUnavailable rather than the value kept within the grace.
	wantNoStale := func(step, path string) {
		t.Helper()
		g.fault.Store("unavailable")
		defer g.fault.Store("")
		wantError(step, path, http.StatusServiceUnavailable, "ServiceUnavailable")
	}
	// cached seeds the secret gone/name and reads it once through the
	// server, which keeps it; it returns the secret and its path.
	cached := func(t *testing.T, name string) (mototest.Secret, string) {
		t.Helper()
		s := seed.Secret("gone/"+name, mototest.Canary+"-gone-"+name)
		path := "/secretsmanager/get?secretId=" + s.Name
		if decode(t, ts.get(t, path))["SecretString"] != s.Value {
			t.Fatal("wrong first value (not shown)")
		}
		return s, path
	}

	t.Run("refreshNow finds it deleted", func(t *testing.T) {
		s, path := cached(t, "refreshed")
		deleteSecret(s.Name)
		wantError("refreshNow=true after the deletion", path+"&refreshNow=true", 0, "ResourceNotFoundException")
		calls := g.count(getSecretValue)
		wantError("a plain request after it", path, 0, "ResourceNotFoundException")
		if g.count(getSecretValue) != calls+1 {
			t.Error("the plain request was answered from the cache, not from AWS")
		}
	})

	t.Run("past the TTL, then AWS fails", func(t *testing.T) {
		s, path := cached(t, "expired")
		deleteSecret(s.Name)
		ts.clock.Advance(6 * time.Minute) // expired, well within the grace
		wantError("past the TTL after the deletion", path, 0, "ResourceNotFoundException")
		wantNoStale("AWS unavailable within the grace, after a not-found", path)
	})

	t.Run("refreshNow is denied", func(t *testing.T) {
		_, path := cached(t, "denied")
		g.fault.Store("denied")
		wantError("refreshNow=true denied", path+"&refreshNow=true", http.StatusBadRequest, "AccessDeniedException")
		wantNoStale("AWS unavailable after the denial", path)
	})

	t.Run("refreshNow fails transiently", func(t *testing.T) {
		s, path := cached(t, "kept")
		g.fault.Store("unavailable")
		wantError("refreshNow=true unavailable", path+"&refreshNow=true", http.StatusServiceUnavailable, "ServiceUnavailable")
		if decode(t, ts.get(t, path))["SecretString"] != s.Value {
			t.Error("a transient failure of refreshNow=true dropped the fresh cached value")
		}
		g.fault.Store("")
	})
}

package server

import (
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// testStaleAtOnce: while AWS hangs, a request past the TTL is answered
// with the cached value within the stale wait, not at --timeout, and the
// requests that follow share the one background refresh (issue 11, item
// 16). The hold is released only after the answers, so they cannot have
// come from the refresh.
func testStaleAtOnce(t *testing.T, f *fixture) {
	g := startGateProxy(t, f.moto.URL)
	ts := startServer(t, Config{AWS: awsConfig(t, g.url), TTL: 10 * time.Second, Stale: time.Minute, Timeout: 20 * time.Second})
	const path = "/secretsmanager/get?secretId=app/db"
	if got := decode(t, ts.get(t, path)); got["SecretString"] != f.DB.Value {
		t.Fatal("wrong first value (not shown)")
	}

	hold := make(chan struct{})
	g.mu.Lock()
	g.hold = hold
	g.mu.Unlock()
	released := false
	release := func() {
		if !released {
			released = true
			close(hold)
		}
	}
	t.Cleanup(release)
	ts.clock.Advance(11 * time.Second) // expired, within the grace
	for i := range 3 {
		start := time.Now()
		r := ts.get(t, path)
		took := time.Since(start)
		if r.status != http.StatusOK || decode(t, r)["SecretString"] != f.DB.Value {
			t.Fatalf("request %d while AWS hangs: status %d, want 200 with the cached value", i, r.status)
		}
		if took > DefaultStaleWait+5*time.Second {
			t.Errorf("request %d took %v, want about the stale wait, %v", i, took, DefaultStaleWait)
		}
	}
	release()
	if calls := g.count(getSecretValue); calls != 2 {
		t.Errorf("%d GetSecretValue calls, want 2: the first, and one refresh shared by three requests", calls)
	}
}

// TestUnreachable: AWS that cannot be reached is a 504, whether the
// attempts run out before the deadline or the deadline first.
func TestUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	for _, tt := range []struct {
		name    string
		timeout time.Duration
		body    string
	}{
		{"attempts ran out", time.Minute, `{"__type":"ConnectionError","message":"Read Error"}`},
		{"deadline passed", time.Nanosecond, `{"__type":"TimeoutError","message":"Timeout"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t, Config{AWS: awsConfig(t, closed), Timeout: tt.timeout})
			r := ts.get(t, "/secretsmanager/get?secretId=app/db")
			if r.status != http.StatusGatewayTimeout || strings.TrimSpace(r.body) != tt.body {
				t.Errorf("status %d body %s, want 504 %s", r.status, r.body, tt.body)
			}
		})
	}
}

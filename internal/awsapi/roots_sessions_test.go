package awsapi

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/valuefrom/valuefrom/internal/testkit/awsstub"
	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
)

// handshakes serves TLS on loopback with chain until the test ends,
// telling each handshake's end: "full", "resumed" or "failed"; each
// connection stays open until the client closes it. refuse, when set,
// refuses a handshake when it returns true, before the server answers
// the ClientHello.
type handshakes struct {
	addr string
	ends chan string
}

// count reads the ends of n handshakes and counts them by kind.
func (h *handshakes) count(t *testing.T, n int) map[string]int {
	t.Helper()
	got := map[string]int{}
	timeout := time.After(30 * time.Second)
	for range n {
		select {
		case e := <-h.ends:
			got[e]++
		case <-timeout:
			t.Fatalf("the server saw %v, not %d handshakes", got, n)
		}
	}
	return got
}

func serveHandshakes(t *testing.T, chain []*testCert, tickets bool, refuse func() bool) *handshakes {
	t.Helper()
	cert := tls.Certificate{PrivateKey: chain[0].key}
	for _, c := range chain {
		cert.Certificate = append(cert.Certificate, c.der)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, SessionTicketsDisabled: !tickets}
	if refuse != nil {
		cfg.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
			if refuse() {
				return nil, errors.New("refused")
			}
			return nil, nil
		}
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	h := &handshakes{addr: ln.Addr().String(), ends: make(chan string, 64)}
	var conns sync.WaitGroup
	t.Cleanup(func() { ln.Close(); conns.Wait() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Go(func() {
				defer c.Close()
				tc := c.(*tls.Conn)
				switch {
				case tc.Handshake() != nil:
					h.ends <- "failed"
					return
				case tc.ConnectionState().DidResume:
					h.ends <- "resumed"
				default:
					h.ends <- "full"
				}
				tc.Read(make([]byte, 1)) // until the client closes
			})
		}
	}()
	return h
}

// sessionsWorld is a CA, a leaf for 127.0.0.1 it issued, and the CA in
// SSL_CERT_FILE.
func sessionsWorld(t *testing.T) []*testCert {
	root := issue(t, caTemplate("sessions root"), nil)
	dir := t.TempDir()
	file := filepath.Join(dir, "bundle.pem")
	if err := os.WriteFile(file, pemOf(root.der), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SSL_CERT_FILE", file)
	t.Setenv("SSL_CERT_DIR", filepath.Join(dir, "none"))
	return []*testCert{issue(t, leafTemplate(time.Now()), root)}
}

// dialAll dials addr n times at once, as a start's calls do, and reads
// from each connection that opens, as http.Transport's readLoop does
// (which is when crypto/tls takes a session ticket in). It returns the
// connections and the errors.
func dialAll(t *testing.T, dial func(context.Context, string, string) (net.Conn, error), addr string, n int) (conns []net.Conn, errs []error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			c, err := dial(ctx, "tcp", addr)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			conns = append(conns, c)
			go c.Read(make([]byte, 1))
		})
	}
	wg.Wait()
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	return conns, errs
}

// TestResumption: of eight connections made at once to a server that
// sends tickets, the first makes a full handshake and the others wait for
// its session and resume it; a later one resumes too; once the leaf
// verified has expired, no session is offered: a full handshake again.
func TestResumption(t *testing.T) {
	chain := sessionsWorld(t)
	srv := serveHandshakes(t, chain, true, nil)
	var clock atomic.Pointer[time.Time]
	now := func() time.Time {
		if c := clock.Load(); c != nil {
			return *c
		}
		return time.Now()
	}
	l := newLazyRoots()
	l.sealed()
	sess := newSessions(now)
	sess.patience = func(time.Duration) time.Duration { return time.Minute } // the ticket comes first
	dial := l.dialer((&net.Dialer{}).DialContext, &tls.Config{RootCAs: l.pool, Time: now}, 10*time.Second, sess)

	if _, errs := dialAll(t, dial, srv.addr, 8); len(errs) > 0 {
		t.Fatal(errs)
	}
	if got := srv.count(t, 8); got["full"] != 1 || got["resumed"] != 7 || l.resumed.Load() != 7 {
		t.Errorf("8 connections at once: %v handshakes (client: %d resumed); want 1 full and 7 resumed", got, l.resumed.Load())
	}
	_, errs := dialAll(t, dial, srv.addr, 1)
	if got := srv.count(t, 1); len(errs) > 0 || got["resumed"] != 1 {
		t.Errorf("a later connection: %v, %v; want it resumed", errs, got)
	}

	// The server's certificate has expired, by the client's clock.
	expired := chain[0].cert.NotAfter.Add(time.Second)
	clock.Store(&expired)
	_, errs = dialAll(t, dial, srv.addr, 1)
	if got := srv.count(t, 1); len(errs) != 1 || got["failed"] != 1 {
		t.Errorf("after the leaf expired: %v, %v; want no session offered and the expired chain refused", errs, got)
	}
}

// TestNoTicket: from a server that sends no ticket, the connections that
// waited for one stop waiting (after as long as the first handshake took)
// and make full handshakes; later connections do not wait again.
func TestNoTicket(t *testing.T) {
	srv := serveHandshakes(t, sessionsWorld(t), false, nil)
	l := newLazyRoots()
	l.sealed()
	sess := newSessions(time.Now)
	dial := l.dialer((&net.Dialer{}).DialContext, &tls.Config{RootCAs: l.pool}, 10*time.Second, sess)
	if _, errs := dialAll(t, dial, srv.addr, 4); len(errs) > 0 {
		t.Fatal(errs)
	}
	if got := srv.count(t, 4); got["full"] != 4 {
		t.Errorf("%v handshakes; want 4 full", got)
	}
	sess.mu.Lock()
	h := sess.hosts["127.0.0.1"]
	noTicket := h != nil && h.noTicket && !h.lead
	sess.mu.Unlock()
	if !noTicket {
		t.Error("the host is not marked as sending no ticket")
	}
}

// TestLeadFails: when the full handshake the others wait for fails, they
// stop waiting at once and connect.
func TestLeadFails(t *testing.T) {
	var hellos atomic.Int32
	srv := serveHandshakes(t, sessionsWorld(t), true, func() bool { return hellos.Add(1) == 1 })
	l := newLazyRoots()
	l.sealed()
	sess := newSessions(time.Now)
	sess.patience = func(time.Duration) time.Duration { return time.Hour } // only the failure can end the wait in time
	dial := l.dialer((&net.Dialer{}).DialContext, &tls.Config{RootCAs: l.pool}, 10*time.Second, sess)
	conns, errs := dialAll(t, dial, srv.addr, 4)
	// (One may resume the session of another that finished first.)
	if got := srv.count(t, 4); len(errs) != 1 || len(conns) != 3 || got["failed"] != 1 || got["full"] < 1 || got["full"]+got["resumed"] != 3 {
		t.Errorf("%d connections and errors %v, %v handshakes; want 3 and the refused one", len(conns), errs, got)
	}
}

// TestWaitCanceled: a connection waiting for another's session stops
// when its context ends.
func TestWaitCanceled(t *testing.T) {
	sess := newSessions(time.Now)
	sess.wait(context.Background(), "h") // leads, and never ends
	ctx, cancel := context.WithCancel(context.Background())
	waited := make(chan struct{})
	go func() {
		sess.wait(ctx, "h")
		close(waited)
	}()
	cancel()
	<-waited
}

// TestSessionExpiry: a session is offered until the leaf of the chain its
// connection verified (or of the session it resumed) expires, whatever
// other connections verified; a connection that verified nothing keeps
// no session.
func TestSessionExpiry(t *testing.T) {
	t0 := time.Now()
	now := t0
	s := newSessions(func() time.Time { return now })
	csA, csB, csC, csU := new(tls.ClientSessionState), new(tls.ClientSessionState), new(tls.ClientSessionState), new(tls.ClientSessionState)
	offered := func() *tls.ClientSessionState {
		cs, _ := s.conn().Get("h")
		return cs
	}

	a, b := s.conn(), s.conn()
	a.verified(t0.Add(time.Hour))
	b.verified(t0.Add(2 * time.Hour))
	a.Put("h", csA)
	if got := offered(); got != csA {
		t.Fatalf("offered %p; want a's session %p", got, csA)
	}
	now = t0.Add(90 * time.Minute)
	if got := offered(); got != nil {
		t.Errorf("a's leaf expired, yet its session is offered")
	}
	b.Put("h", csB)
	s.conn().Put("h", csU) // verified nothing
	if got := offered(); got != csB {
		t.Errorf("offered %p; want b's session %p", got, csB)
	}

	// A connection that resumed b's session gets a new ticket: b's leaf.
	r := s.conn()
	if cs, ok := r.Get("h"); !ok || cs != csB {
		t.Fatal("b's session is not offered")
	}
	r.Put("h", csC)
	if got := offered(); got != csC {
		t.Errorf("offered %p; want the resumed connection's new session %p", got, csC)
	}
	now = t0.Add(2*time.Hour + time.Second)
	if got := offered(); got != nil {
		t.Errorf("b's leaf expired, yet the session resumed from it is offered")
	}
	now = t0
	r.Put("h", nil)
	if got := offered(); got != nil {
		t.Errorf("a dropped session is offered")
	}
}

// TestHandshakeTimeout: a server that never answers the ClientHello
// fails the handshake after the transport's TLSHandshakeTimeout with
// net/http's error, a timeout the SDK retries; the connections that
// waited for it stop waiting then.
func TestHandshakeTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var silent sync.WaitGroup
	t.Cleanup(func() { ln.Close(); silent.Wait() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			silent.Go(func() {
				c.Read(make([]byte, 1<<16)) // the ClientHello, then nothing until the client closes
				c.Read(make([]byte, 1))
				c.Close()
			})
		}
	}()
	l := newLazyRoots()
	l.sealed()
	sess := newSessions(time.Now)
	dial := l.dialer((&net.Dialer{}).DialContext, &tls.Config{RootCAs: l.pool}, 50*time.Millisecond, sess)
	_, errs := dialAll(t, dial, ln.Addr().String(), 3)
	if len(errs) != 3 {
		t.Fatalf("%d errors; want the 3 handshakes to time out", len(errs))
	}
	for _, err := range errs {
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() || err.Error() != "net/http: TLS handshake timeout" {
			t.Errorf("%v (%T); want net/http's TLS handshake timeout", err, err)
		}
	}
}

// TestServiceClientTLS: an SSM client made from LoadConfig's
// configuration, through the stub over TLS with the stub's certificate as
// the system's bundle, connects with the direct dialer, and resumes the
// first connection's session on the next ones (the stub closes each
// connection after its answer, so that every call connects); against a
// server whose certificate no root signs, the call fails as a TLS failure,
// as it did under crypto/tls's verification.
func TestServiceClientTLS(t *testing.T) {
	stub := awsstub.New(awsstub.Options{})
	stub.PutParameter("/tls/p", "String", "v")
	var resumed, full atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS.DidResume {
			resumed.Add(1)
		} else {
			full.Add(1)
		}
		w.Header().Set("Connection", "close")
		stub.ServeHTTP(w, r)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake
	srv.StartTLS()
	defer srv.Close()
	dir := t.TempDir()
	bundle := filepath.Join(dir, "bundle.pem")
	if err := os.WriteFile(bundle, pemOf(srv.Certificate().Raw), 0o600); err != nil {
		t.Fatal(err)
	}
	mototest.Isolate(t, "AWS_ENDPOINT_URL="+srv.URL, "AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"SSL_CERT_FILE="+bundle, "SSL_CERT_DIR="+filepath.Join(dir, "none"), "AWS_CA_BUNDLE=")
	get := func(client *ssm.Client) error {
		_, err := client.GetParameters(context.Background(), &ssm.GetParametersInput{Names: []string{"/tls/p"}})
		return err
	}

	cfg, err := LoadConfig(context.Background(), Options{MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	client := ssm.NewFromConfig(cfg)
	if b, ok := client.Options().HTTPClient.(*awshttp.BuildableClient); !ok || b.GetTransport().DialTLSContext == nil {
		t.Fatalf("the SSM client's HTTP client %T does not dial TLS itself", client.Options().HTTPClient)
	}
	for range 3 {
		if err := get(client); err != nil {
			t.Fatal(err)
		}
	}
	if full.Load() != 1 || resumed.Load() != 2 {
		t.Errorf("3 calls, one connection each: %d full and %d resumed handshakes; want 1 and 2", full.Load(), resumed.Load())
	}

	// The stub's certificate is no root in another configuration.
	other := filepath.Join(dir, "other.pem")
	if err := os.WriteFile(other, pemOf(issue(t, caTemplate("not the stub's"), nil).der), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SSL_CERT_FILE", other)
	if cfg, err = LoadConfig(context.Background(), Options{MaxAttempts: 1}); err != nil {
		t.Fatal(err)
	}
	err = get(ssm.NewFromConfig(cfg))
	if c := Classify(err); c.Code != CodeNetwork || c.Network != NetTLS {
		t.Errorf("untrusted server: %v classified %+v; want a TLS failure", err, c)
	}
}

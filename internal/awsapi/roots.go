package awsapi

import (
	"context"
	"crypto/fips140"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"

	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// Certificate roots. valuefrom's transport trusts one set of roots,
// read just before the first TLS connection: a start with no reference, or
// one that speaks plain HTTP to an emulator, never reads them. What it
// holds, in order:
//   - the system's CA bundle: SSL_CERT_FILE, or the first of the
//     distributions' bundle files that exists;
//   - the certificate files of the directories in SSL_CERT_DIR, when it
//     is set, or of the distributions' directories when there is no
//     bundle;
//   - when the system has no roots at all (an image FROM scratch, a slim
//     image without ca-certificates), Mozilla's roots, embedded by
//     golang.org/x/crypto/x509roots/fallback/bundle.
//
// Go's own loader reads the default directories beside the bundle too. On
// Debian and Ubuntu they hold the bundle's roots a second time, one file
// each (update-ca-certificates writes both), and reading them made the
// first TLS connection of a start 29 ms slower here (40 ms against 11 ms
// for the bundle alone); curl trusts the bundle alone too. The embedded
// roots used to be installed at init by x509roots/fallback, which parsed
// all of them on every start (3.9 ms).
//
// The roots are read into a rootIndex, unparsed, and a root is parsed when
// a server's chain names it: a start verifies AWS's chains against one or
// two roots, not the bundle's 145 (whose parsing cost 4-5 ms of CPU). The
// SDK's service clients verify that way (see direct); any other TLS
// connection (a credential provider's, or to AWS through an HTTP proxy)
// is verified by crypto/tls against the pool of all of them, parsed for it.
//
// Each configuration (LoadConfig) has its roots. When the SDK's own
// AWS_CA_BUNDLE (or a profile's ca_bundle) puts roots in the pool, those
// alone are trusted, as the SDK would, by crypto/tls.
type lazyRoots struct {
	pool     *x509.CertPool // the transports' RootCAs: every root, parsed
	poolOnce sync.Once
	custom   bool // the SDK filled pool from AWS_CA_BUNDLE: leave it

	idx       rootIndex
	idxOnce   sync.Once
	source    string                                // where the roots came from, for tests
	envProxy  func(*http.Request) (*url.URL, error) // the transport's Proxy, unwrapped
	dialCount atomic.Int64                          // TLS connections direct made, for tests
	resumed   atomic.Int64                          // of which resumed a session
}

func newLazyRoots() *lazyRoots { return &lazyRoots{pool: x509.NewCertPool()} }

// index reads the roots into the index, once.
func (l *lazyRoots) index() *rootIndex {
	l.idxOnce.Do(func() { l.source = readRoots(&l.idx) })
	return &l.idx
}

// loadPool fills the pool with every root, once.
func (l *lazyRoots) loadPool() {
	l.poolOnce.Do(func() {
		if !l.custom {
			l.index().fill(l.pool)
		}
	})
}

// sealed records, once the SDK has configured the transport and before
// any request, whether it put AWS_CA_BUNDLE's roots in the pool.
func (l *lazyRoots) sealed() {
	l.custom = !l.pool.Equal(x509.NewCertPool())
}

// certFiles and certDirs are where the distributions keep their CA
// bundle and certificate files, as crypto/x509 lists them for Linux.
var (
	certFiles = []string{
		"/etc/ssl/certs/ca-certificates.crt",                // Debian, Ubuntu, Gentoo
		"/etc/pki/tls/certs/ca-bundle.crt",                  // Fedora, RHEL 6
		"/etc/ssl/ca-bundle.pem",                            // OpenSUSE
		"/etc/pki/tls/cacert.pem",                           // OpenELEC
		"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", // CentOS, RHEL 7
		"/etc/ssl/cert.pem",                                 // Alpine
	}
	certDirs = []string{"/etc/ssl/certs", "/etc/pki/tls/certs"}
)

// readRoots indexes the system's roots, or the embedded ones, and says
// where they came from. (A bundle whose every block fails to parse as a
// certificate counts as roots here; crypto/x509 would have found none in
// it and read the directories, or the embedded roots.)
func readRoots(x *rootIndex) (source string) {
	files := certFiles
	if f := os.Getenv("SSL_CERT_FILE"); f != "" {
		files = []string{f}
	}
	bundled := false
	for _, f := range files {
		if pem, err := os.ReadFile(f); err == nil {
			bundled = x.addPEM(pem)
			source = "bundle"
			break
		}
	}
	dirs := certDirs
	if d := os.Getenv("SSL_CERT_DIR"); d != "" {
		dirs = strings.Split(d, ":") // as OpenSSL separates them
	} else if bundled {
		dirs = nil
	}
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if pem, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil && x.addPEM(pem) {
				source = "directories"
			}
		}
	}
	if len(x.all) == 0 {
		addEmbeddedRoots(x)
		source = "embedded"
	}
	return source
}

// addEmbeddedRoots indexes the embedded roots, with the constraints some
// of them carry.
func addEmbeddedRoots(x *rootIndex) {
	for r := range bundle.Roots() {
		x.addDER(r.Certificate, r.Constraint)
	}
}

// wrap makes t trust the pool, and wraps its Proxy function, which a
// Transport calls for every request before it connects, so that the pool
// is filled before the first TLS handshake, to AWS or to an https proxy.
// The SDK clones the transport (and this function with it) as it
// configures clients; the pool is shared by the clones.
func (l *lazyRoots) wrap(t *http.Transport) {
	if t.TLSClientConfig == nil {
		t.TLSClientConfig = &tls.Config{}
	}
	if t.TLSClientConfig.RootCAs != nil {
		return // roots of its own
	}
	t.TLSClientConfig.RootCAs = l.pool
	l.envProxy = t.Proxy
	t.Proxy = l.proxy(func(target, proxy *url.URL) bool {
		return target.Scheme == "https" || proxy != nil && proxy.Scheme == "https"
	})
}

// proxy returns a Proxy function that calls the transport's own and,
// when poolNeeded says crypto/tls will verify a connection for the request
// against the pool, fills it.
func (l *lazyRoots) proxy(poolNeeded func(target, proxy *url.URL) bool) func(*http.Request) (*url.URL, error) {
	return func(r *http.Request) (*url.URL, error) {
		var u *url.URL
		var err error
		if l.envProxy != nil {
			u, err = l.envProxy(r)
		}
		if poolNeeded(r.URL, u) {
			l.loadPool()
		}
		return u, err
	}
}

// direct makes the HTTP client of a service client's options, an
// SDK service's *Options, verify the servers it connects to itself
// (dialTLS) against the roots their chains name, instead of leaving that
// to crypto/tls with the pool of all of them. It is a ServiceOptions
// function, so that it sees the transport as the service client has
// configured it (dial and handshake timeouts of its defaults mode).
// Anything else than what wrap made, it leaves alone.
func (l *lazyRoots) direct(options any) {
	v := reflect.ValueOf(options)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return
	}
	f := v.Elem().FieldByName("HTTPClient")
	if !f.IsValid() || !f.CanSet() || f.Kind() != reflect.Interface || f.IsNil() {
		return
	}
	b, ok := f.Interface().(*awshttp.BuildableClient)
	if !ok || l.custom || fips140.Enabled() {
		return
	}
	if client := reflect.ValueOf(b.WithTransportOptions(l.dialTLS)); client.Type().AssignableTo(f.Type()) {
		f.Set(client)
	}
}

// dialTLS sets t to make its direct TLS connections (and those to an
// https proxy) with a DialTLSContext that verifies the server's chain as
// crypto/tls would, against the roots it names; Go's http.Transport still
// makes the TLS connection to AWS through an HTTP proxy's tunnel, with the
// pool. It leaves a transport whose TLS is configured otherwise alone.
func (l *lazyRoots) dialTLS(t *http.Transport) {
	c := t.TLSClientConfig
	//lint:ignore SA1019 a DialTLS someone set would be used before DialTLSContext
	dialsTLS := t.DialTLSContext != nil || t.DialTLS != nil
	if c == nil || c.RootCAs != l.pool || c.InsecureSkipVerify || c.VerifyConnection != nil ||
		c.VerifyPeerCertificate != nil || c.EncryptedClientHelloConfigList != nil ||
		c.ClientSessionCache != nil || c.SessionTicketsDisabled || dialsTLS {
		return
	}
	dial := t.DialContext
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	now := c.Time
	if now == nil {
		now = time.Now
	}
	t.DialTLSContext = l.dialer(dial, c, t.TLSHandshakeTimeout, newSessions(now))
	t.Proxy = l.proxy(func(target, proxy *url.URL) bool {
		return proxy != nil && target.Scheme == "https" // the tunnel's TLS: crypto/tls's
	})
}

// dialer returns a DialTLSContext function: it dials addr with dial, and
// makes a TLS client connection over it as http.Transport would (its
// addTLS: ServerName from addr unless config has one, the handshake under
// timeout), with crypto/tls's verification of the server's chain swapped
// for verify, which does the same against the roots the chain names, and
// resuming the sessions of the connections before it (sessions).
func (l *lazyRoots) dialer(dial func(context.Context, string, string) (net.Conn, error), config *tls.Config, timeout time.Duration, sess *sessions) func(context.Context, string, string) (net.Conn, error) {
	now := sess.now
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		raw, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		if raw == nil {
			return nil, errors.New("net/http: Transport.DialContext hook returned (nil, nil)")
		}
		cfg := config.Clone()
		if cfg.ServerName == "" {
			cfg.ServerName = host
		}
		serverName := cfg.ServerName
		// crypto/tls parses the chain, checks its keys, the server's
		// proof that it holds the leaf's key and the rest of the
		// handshake; it skips only the chain's verification, which
		// VerifyConnection does, before the handshake completes. A
		// resumed session's chain was verified for this name by the
		// connection that got it, and sess offers it only until that
		// chain's leaf expires, as crypto/tls checks a session before
		// it offers it.
		cfg.InsecureSkipVerify = true
		cache := sess.conn()
		cfg.ClientSessionCache = cache
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if cs.DidResume {
				return nil
			}
			if err := l.verify(cs.PeerCertificates, serverName, now()); err != nil {
				return err
			}
			cache.verified(cs.PeerCertificates[0].NotAfter)
			return nil
		}
		done := sess.wait(ctx, serverName)
		conn := tls.Client(raw, cfg)
		var timer *time.Timer
		if timeout > 0 {
			timer = time.AfterFunc(timeout, func() { raw.Close() }) // ends the handshake
		}
		start := time.Now()
		err = conn.HandshakeContext(ctx)
		if timer != nil && !timer.Stop() { // it closed the connection, even if the handshake ended first
			err = tlsHandshakeTimeoutError{}
		}
		done(err == nil, time.Since(start))
		if err != nil {
			raw.Close()
			return nil, err
		}
		l.dialCount.Add(1)
		if conn.ConnectionState().DidResume {
			l.resumed.Add(1)
		}
		return conn, nil
	}
}

// verify verifies a server's chain, leaf first, for serverName at now,
// as crypto/tls's client does (verifyServerCertificate), against the
// roots of the index the chain names: Verify would use no other.
func (l *lazyRoots) verify(chain []*x509.Certificate, serverName string, now time.Time) error {
	if len(chain) == 0 {
		return errors.New("tls: server sent no certificate")
	}
	opts := x509.VerifyOptions{
		Roots:         l.index().poolFor(chain),
		CurrentTime:   now,
		DNSName:       serverName,
		Intermediates: x509.NewCertPool(),
	}
	for _, c := range chain[1:] {
		opts.Intermediates.AddCert(c)
	}
	if _, err := chain[0].Verify(opts); err != nil {
		return &tls.CertificateVerificationError{UnverifiedCertificates: chain, Err: err}
	}
	return nil
}

// tlsHandshakeTimeoutError is net/http's error for a handshake that
// outlasted the transport's TLSHandshakeTimeout.
type tlsHandshakeTimeoutError struct{}

func (tlsHandshakeTimeoutError) Timeout() bool   { return true }
func (tlsHandshakeTimeoutError) Temporary() bool { return true }
func (tlsHandshakeTimeoutError) Error() string   { return "net/http: TLS handshake timeout" }

package awsapi

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// Certificate roots. valuefrom's transport trusts one pool, loaded just
// before the first TLS connection: a start with no reference, or one that
// speaks plain HTTP to an emulator, never pays for it. What it holds, in
// order:
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
// Each configuration (LoadConfig) has its pool. When the SDK's own
// AWS_CA_BUNDLE (or a profile's ca_bundle) puts roots in it, those alone
// are trusted, as the SDK would.
type lazyRoots struct {
	pool   *x509.CertPool // the transport's RootCAs
	once   sync.Once
	custom bool   // the SDK filled pool from AWS_CA_BUNDLE: leave it
	source string // where the roots came from, for tests
}

func newLazyRoots() *lazyRoots { return &lazyRoots{pool: x509.NewCertPool()} }

// load fills the pool, once.
func (l *lazyRoots) load() {
	l.once.Do(func() {
		if !l.custom {
			l.source = fillRoots(l.pool)
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

// fillRoots adds the system's roots to pool, or the embedded ones, and
// says where they came from.
func fillRoots(roots *x509.CertPool) (source string) {
	files := certFiles
	if f := os.Getenv("SSL_CERT_FILE"); f != "" {
		files = []string{f}
	}
	bundled := false
	for _, f := range files {
		if pem, err := os.ReadFile(f); err == nil {
			bundled = roots.AppendCertsFromPEM(pem)
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
			if pem, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil && roots.AppendCertsFromPEM(pem) {
				source = "directories"
			}
		}
	}
	if roots.Equal(x509.NewCertPool()) {
		addEmbeddedRoots(roots)
		source = "embedded"
	}
	return source
}

// addEmbeddedRoots parses the embedded roots into pool, with the
// constraints some of them carry.
func addEmbeddedRoots(pool *x509.CertPool) {
	for r := range bundle.Roots() {
		cert, err := x509.ParseCertificate(r.Certificate)
		if err != nil {
			panic("valuefrom: an embedded root certificate does not parse: " + err.Error())
		}
		if r.Constraint == nil {
			pool.AddCert(cert)
		} else {
			pool.AddCertWithConstraint(cert, r.Constraint)
		}
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
	proxy := t.Proxy
	t.Proxy = func(r *http.Request) (*url.URL, error) {
		var u *url.URL
		var err error
		if proxy != nil {
			u, err = proxy(r)
		}
		if r.URL.Scheme == "https" || u != nil && u.Scheme == "https" {
			l.load()
		}
		return u, err
	}
}

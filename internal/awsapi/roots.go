package awsapi

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/url"
	"os"
	"sync"

	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// Certificate roots, loaded once, just before the first TLS connection:
// a start with no reference, or one that speaks plain HTTP to an
// emulator, never pays for them.
//
// Where they come from, in order:
//   - the system's CA bundle: SSL_CERT_FILE, or the first of the
//     distributions' bundle files that exists, and the directories in
//     SSL_CERT_DIR when it is set;
//   - when there is no bundle file, what Go's own loader finds (the
//     certificate directories);
//   - when the system has no roots at all (an image FROM scratch, a slim
//     image without ca-certificates), Mozilla's roots, embedded by
//     golang.org/x/crypto/x509roots/fallback/bundle.
//
// Go's own loader also reads every file of the default certificate
// directories beside the bundle. On Debian and Ubuntu those are the
// bundle's roots a second time, one file each (update-ca-certificates
// writes both), and reading them made the first TLS connection 29 ms
// slower here (40 ms against 11 ms for the bundle alone); curl trusts the
// bundle alone too. The embedded roots used to be installed at init by
// x509roots/fallback, parsing all of them on every start (3.9 ms).
var roots = sync.OnceValues(loadRoots)

// rootsSource names where the roots came from, for tests.
type rootsSource string

const (
	fromBundle   rootsSource = "bundle"
	fromSystem   rootsSource = "system"
	fromEmbedded rootsSource = "embedded"
)

// certFiles are the distributions' CA bundles, as crypto/x509 lists them
// for Linux: the first that exists is the system's.
var certFiles = []string{
	"/etc/ssl/certs/ca-certificates.crt",                // Debian, Ubuntu, Gentoo
	"/etc/pki/tls/certs/ca-bundle.crt",                  // Fedora, RHEL 6
	"/etc/ssl/ca-bundle.pem",                            // OpenSUSE
	"/etc/pki/tls/cacert.pem",                           // OpenELEC
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", // CentOS, RHEL 7
	"/etc/ssl/cert.pem",                                 // Alpine
}

func loadRoots() (*x509.CertPool, rootsSource) {
	files := certFiles
	if f := os.Getenv("SSL_CERT_FILE"); f != "" {
		files = []string{f}
	}
	for _, f := range files {
		pem, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			break // not a bundle: let Go's loader decide
		}
		if os.Getenv("SSL_CERT_DIR") != "" {
			// Go's loader reads the directories too; its pool has the
			// bundle's roots and theirs.
			break
		}
		return pool, fromBundle
	}
	if pool, err := x509.SystemCertPool(); err == nil && !pool.Equal(x509.NewCertPool()) {
		return pool, fromSystem
	}
	return embeddedRoots(), fromEmbedded
}

// embeddedRoots parses the embedded roots into a pool, with the
// constraints some of them carry.
func embeddedRoots() *x509.CertPool {
	pool := x509.NewCertPool()
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
	return pool
}

// rootsOnTLS wraps t's Proxy function, which the Transport calls for
// every request before it connects, so that t trusts the roots above
// from the first TLS handshake on, to AWS or to an https proxy. A
// transport given roots of its own (AWS_CA_BUNDLE) keeps them.
//
// t's TLS configuration is set once, inside the sync.Once of roots and
// before any TLS connection: every https request passes here first, and a
// connection clones the configuration only after its request did.
func rootsOnTLS(t *http.Transport) {
	proxy := t.Proxy
	var once sync.Once
	t.Proxy = func(r *http.Request) (*url.URL, error) {
		var u *url.URL
		var err error
		if proxy != nil {
			u, err = proxy(r)
		}
		if r.URL.Scheme == "https" || u != nil && u.Scheme == "https" {
			once.Do(func() {
				if t.TLSClientConfig == nil {
					t.TLSClientConfig = &tls.Config{}
				}
				if t.TLSClientConfig.RootCAs == nil {
					t.TLSClientConfig.RootCAs, _ = roots()
				}
			})
		}
		return u, err
	}
}

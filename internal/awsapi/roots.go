package awsapi

import (
	"crypto/x509"
	"net/http"
	"net/url"
	"sync"

	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// Certificate roots. An image built FROM scratch has no CA bundle, so
// valuefrom carries Mozilla's roots (golang.org/x/crypto/x509roots). The
// package that installs them at init parses all of them on every start,
// a couple of milliseconds and half a megabyte before main, even where the
// system has its own roots and even when no TLS connection is made.
// Instead, installRoots runs just before the first https request: when the
// system pool is empty it installs the embedded roots as Go's fallback,
// otherwise it leaves the system's roots alone, and without a reference
// it never runs.

// installRoots installs the embedded roots when the system has none.
var installRoots = sync.OnceFunc(func() {
	if !systemRootsEmpty() {
		return
	}
	x509.SetFallbackRoots(embeddedRoots())
	fallbackInstalled = true
})

// fallbackInstalled records that installRoots installed the embedded
// roots, for tests.
var fallbackInstalled bool

// systemRootsEmpty reports whether the system offers no roots: no bundle
// where Go looks (SSL_CERT_FILE, SSL_CERT_DIR and the distributions'
// paths), or an empty one.
func systemRootsEmpty() bool {
	pool, err := x509.SystemCertPool()
	return err != nil || pool.Equal(x509.NewCertPool())
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

// rootsOnTLS wraps a Transport's Proxy function, which the Transport
// calls before it connects for a request, so that the roots are there
// before the first TLS handshake, to AWS or to an https proxy. A
// transport given its own roots (AWS_CA_BUNDLE) does not need them.
func rootsOnTLS(t *http.Transport) {
	proxy := t.Proxy
	t.Proxy = func(r *http.Request) (*url.URL, error) {
		var u *url.URL
		var err error
		if proxy != nil {
			u, err = proxy(r)
		}
		tls := r.URL.Scheme == "https" || u != nil && u.Scheme == "https"
		if tls && (t.TLSClientConfig == nil || t.TLSClientConfig.RootCAs == nil) {
			installRoots()
		}
		return u, err
	}
}

package awsapi

import (
	"cmp"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestEmbeddedRoots(t *testing.T) {
	pool := x509.NewCertPool()
	addEmbeddedRoots(pool)
	if pool.Equal(x509.NewCertPool()) {
		t.Fatal("the embedded roots parsed into an empty pool")
	}
}

// TestRoots runs, in a fresh process each (Go's loader keeps its roots
// for the process), requests through a transport, and reads where its
// roots came from and whether it trusted the test server: only TLS
// requests load roots; the bundle in SSL_CERT_FILE alone when there is
// one; SSL_CERT_DIR's files too when it is set; the embedded roots when
// the system has none; AWS_CA_BUNDLE's alone when it is set. "config"
// cases go through LoadConfig's client, which the SDK builds from clones
// of the transport.
func TestRoots(t *testing.T) {
	if url := os.Getenv("VALUEFROM_ROOTS_CHILD"); url != "" {
		rootsChild(url)
		return
	}
	if testing.Short() {
		t.Skip("-short: starts processes")
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
	srv.StartTLS()
	defer srv.Close()
	plain := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer plain.Close()

	dir := t.TempDir()
	none := filepath.Join(dir, "none")
	certs := filepath.Join(dir, "certs")
	write := func(name string, der []byte) string {
		t.Helper()
		if err := os.WriteFile(name, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return name
	}
	if err := os.Mkdir(certs, 0o700); err != nil {
		t.Fatal(err)
	}
	bundle := write(filepath.Join(dir, "bundle.pem"), srv.Certificate().Raw)
	write(filepath.Join(certs, "server.pem"), srv.Certificate().Raw)
	otherCA := write(filepath.Join(dir, "other.pem"), selfSigned(t))

	for _, tc := range []struct {
		name, via, url, certFile, certDir, caBundle, want string
	}{
		{"TLS with a bundle", "transport", srv.URL, bundle, "", "", "roots=bundle ok=true"},
		{"TLS with SSL_CERT_DIR", "transport", srv.URL, none, certs, "", "roots=directories ok=true"},
		{"TLS without system roots", "transport", srv.URL, none, none, "", "roots=embedded ok=false"},
		{"plain HTTP", "transport", plain.URL, none, none, "", "roots=none ok=true"},
		{"config: TLS with a bundle", "config", srv.URL, bundle, "", "", "ok=true"},
		{"config: TLS without system roots", "config", srv.URL, none, none, "", "ok=false"},
		{"config: AWS_CA_BUNDLE", "config", srv.URL, none, none, bundle, "ok=true"},
		// AWS_CA_BUNDLE's roots alone, not the system's besides.
		{"config: AWS_CA_BUNDLE of another CA", "config", srv.URL, bundle, "", otherCA, "ok=false"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestRoots$")
			cmd.Env = append(os.Environ(), "VALUEFROM_ROOTS_CHILD="+tc.url, "VALUEFROM_ROOTS_VIA="+tc.via,
				"SSL_CERT_FILE="+tc.certFile, "SSL_CERT_DIR="+tc.certDir, "AWS_CA_BUNDLE="+tc.caBundle,
				"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_EC2_METADATA_DISABLED=true")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if !strings.Contains(string(out), tc.want+"\n") {
				t.Errorf("got %q, want %q", out, tc.want)
			}
		})
	}
}

// rootsChild is TestRoots in the child process: eight requests at once,
// so that the race detector watches the pool being filled while other
// requests connect.
func rootsChild(url string) {
	var client interface {
		Do(*http.Request) (*http.Response, error)
	}
	l := newLazyRoots()
	if os.Getenv("VALUEFROM_ROOTS_VIA") == "config" {
		cfg, err := LoadConfig(context.Background(), Options{MaxAttempts: 1})
		if err != nil {
			fmt.Println("LoadConfig:", err)
			return
		}
		client = cfg.HTTPClient
	} else {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		l.wrap(tr)
		l.sealed()
		client = &http.Client{Transport: tr}
	}
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			resp, err := client.Do(req)
			if err == nil {
				resp.Body.Close()
			}
			errs <- err
		}()
	}
	var err error
	for range 8 {
		if e := <-errs; e != nil {
			err = e
		}
	}
	if os.Getenv("VALUEFROM_ROOTS_VIA") == "config" {
		fmt.Printf("ok=%v\n", err == nil)
		return
	}
	fmt.Printf("roots=%s ok=%v\n", cmp.Or(l.source, "none"), err == nil)
}

// selfSigned returns a new self-signed CA certificate, one that httptest's
// servers (which all share one) do not present.
func selfSigned(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "another CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

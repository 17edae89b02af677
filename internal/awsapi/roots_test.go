package awsapi

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestEmbeddedRoots(t *testing.T) {
	if embeddedRoots().Equal(x509.NewCertPool()) {
		t.Fatal("the embedded roots parsed into an empty pool")
	}
}

// TestRootsOnTLS runs, in a fresh process each (roots load once per
// process), a request through a transport wrapped by rootsOnTLS, and
// reads where its roots came from, if anywhere: only TLS requests load
// them; the bundle in SSL_CERT_FILE alone when there is one, else what
// Go's loader finds, else the embedded roots.
func TestRootsOnTLS(t *testing.T) {
	if url := os.Getenv("VALUEFROM_ROOTS_CHILD"); url != "" {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		rootsOnTLS(tr)
		// Eight at once: the roots are set while other requests
		// connect, which the race detector watches.
		errs := make(chan error, 8)
		for range 8 {
			go func() {
				resp, err := (&http.Client{Transport: tr}).Get(url)
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
		source := "none"
		if tr.TLSClientConfig != nil && tr.TLSClientConfig.RootCAs != nil {
			_, src := roots()
			source = string(src)
		}
		fmt.Printf("roots=%s ok=%v\n", source, err == nil)
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
	bundle := filepath.Join(dir, "bundle.pem")
	serverPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(bundle, serverPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(certs, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(certs, "server.pem"), serverPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, url, certFile, certDir, want string
	}{
		{"TLS with a bundle", srv.URL, bundle, "", "roots=bundle ok=true"},
		// SSL_CERT_DIR set: Go's loader reads the directory too.
		{"TLS with a bundle and SSL_CERT_DIR", srv.URL, bundle, certs, "roots=system ok=true"},
		{"TLS with a directory only", srv.URL, none, certs, "roots=system ok=true"},
		// No system roots: the embedded ones, which do not trust the
		// test server.
		{"TLS without system roots", srv.URL, none, none, "roots=embedded ok=false"},
		{"plain HTTP", plain.URL, none, none, "roots=none ok=true"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestRootsOnTLS$")
			cmd.Env = append(os.Environ(), "VALUEFROM_ROOTS_CHILD="+tc.url, "SSL_CERT_FILE="+tc.certFile, "SSL_CERT_DIR="+tc.certDir)
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

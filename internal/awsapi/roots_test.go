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

// TestRootsOnTLS runs, in a fresh process each (Go loads the system roots
// once per process), a request through a transport wrapped by rootsOnTLS,
// and reads whether the embedded roots were installed: only for a TLS
// request on a system without roots.
func TestRootsOnTLS(t *testing.T) {
	if url := os.Getenv("VALUEFROM_ROOTS_CHILD"); url != "" {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		rootsOnTLS(tr)
		resp, err := (&http.Client{Transport: tr}).Get(url)
		if err == nil {
			resp.Body.Close()
		}
		fmt.Printf("installed=%v ok=%v\n", fallbackInstalled, err == nil)
		return
	}
	if testing.Short() {
		t.Skip("-short: starts processes")
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake
	srv.StartTLS()
	defer srv.Close()
	plain := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer plain.Close()
	dir := t.TempDir()
	empty := filepath.Join(dir, "none")
	bundle := filepath.Join(dir, "bundle.pem")
	if err := os.WriteFile(bundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, url, certFile, want string
	}{
		// No system roots: the embedded ones are installed, and the test
		// server's certificate is still not trusted.
		{"TLS without system roots", srv.URL, empty, "installed=true ok=false"},
		// System roots that trust the server: left alone.
		{"TLS with system roots", srv.URL, bundle, "installed=false ok=true"},
		// No TLS, no roots needed.
		{"plain HTTP without system roots", plain.URL, empty, "installed=false ok=true"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestRootsOnTLS$")
			cmd.Env = append(os.Environ(), "VALUEFROM_ROOTS_CHILD="+tc.url, "SSL_CERT_FILE="+tc.certFile, "SSL_CERT_DIR="+empty)
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

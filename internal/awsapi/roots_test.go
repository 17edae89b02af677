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
	"net"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"

	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// TestEmbeddedRoots: every embedded root is indexed and parses.
func TestEmbeddedRoots(t *testing.T) {
	var x rootIndex
	addEmbeddedRoots(&x)
	n := 0
	for range bundle.Roots() {
		n++
	}
	if len(x.all) != n || n == 0 {
		t.Fatalf("%d of the %d embedded roots indexed", len(x.all), n)
	}
	for _, r := range x.all {
		if r.parsed() == nil {
			t.Errorf("an embedded root does not parse: %x", r.der[:16])
		}
	}
}

// TestRoots runs, in a fresh process each (the roots are read once per
// configuration, and the process's environment says where from),
// requests through a transport, and reads where its roots came from,
// whether it trusted the test server, whether the pool of every root was
// parsed and whether the direct dialer made the connections: only TLS
// requests read roots; the bundle in SSL_CERT_FILE alone when there is
// one; SSL_CERT_DIR's files too when it is set; the embedded roots when
// the system has none; AWS_CA_BUNDLE's alone when it is set. "transport"
// cases go through wrap's transport, which crypto/tls verifies with the
// pool; "service" cases through the transport direct makes for a service
// client, which verifies against the roots the chain names and never
// parses the pool, but for the TLS inside an HTTP proxy's tunnel
// ("service via proxy"). "config" cases go through LoadConfig's client,
// which the SDK builds from clones of the transport, and "config service"
// through that client as the configuration's ServiceOptions leave it for
// a service client.
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
	proxy := httptest.NewServer(http.HandlerFunc(tunnel))
	defer proxy.Close()

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
		{"TLS with a bundle", "transport", srv.URL, bundle, "", "", "roots=bundle ok=true pool=true direct=false"},
		{"TLS with SSL_CERT_DIR", "transport", srv.URL, none, certs, "", "roots=directories ok=true pool=true direct=false"},
		{"TLS without system roots", "transport", srv.URL, none, none, "", "roots=embedded ok=false pool=true direct=false"},
		{"plain HTTP", "transport", plain.URL, none, none, "", "roots=none ok=true pool=false direct=false"},
		{"service: TLS with a bundle", "service", srv.URL, bundle, "", "", "roots=bundle ok=true pool=false direct=true"},
		{"service: TLS with SSL_CERT_DIR", "service", srv.URL, none, certs, "", "roots=directories ok=true pool=false direct=true"},
		{"service: TLS without system roots", "service", srv.URL, none, none, "", "roots=embedded ok=false pool=false direct=false"},
		{"service: plain HTTP", "service", plain.URL, none, none, "", "roots=none ok=true pool=false direct=false"},
		{"service via proxy: TLS with a bundle", "service via proxy", srv.URL, bundle, "", "", "roots=bundle ok=true pool=true direct=false"},
		{"service via proxy: TLS without system roots", "service via proxy", srv.URL, none, none, "", "roots=embedded ok=false pool=true direct=false"},
		{"config: TLS with a bundle", "config", srv.URL, bundle, "", "", "ok=true direct=false"},
		{"config: TLS without system roots", "config", srv.URL, none, none, "", "ok=false direct=false"},
		{"config: AWS_CA_BUNDLE", "config", srv.URL, none, none, bundle, "ok=true direct=false"},
		// AWS_CA_BUNDLE's roots alone, not the system's besides.
		{"config: AWS_CA_BUNDLE of another CA", "config", srv.URL, bundle, "", otherCA, "ok=false direct=false"},
		{"config service: TLS with a bundle", "config service", srv.URL, bundle, "", "", "ok=true direct=true"},
		{"config service: TLS without system roots", "config service", srv.URL, none, none, "", "ok=false direct=true"},
		{"config service: AWS_CA_BUNDLE", "config service", srv.URL, none, none, bundle, "ok=true direct=false"},
		{"config service: AWS_CA_BUNDLE of another CA", "config service", srv.URL, bundle, "", otherCA, "ok=false direct=false"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestRoots$")
			cmd.Env = append(os.Environ(), "VALUEFROM_ROOTS_CHILD="+tc.url, "VALUEFROM_ROOTS_VIA="+tc.via, "VALUEFROM_ROOTS_PROXY="+proxy.URL,
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
// so that the race detector watches the roots being read while other
// requests connect.
func rootsChild(url string) {
	var client interface {
		Do(*http.Request) (*http.Response, error)
	}
	l := newLazyRoots()
	via := os.Getenv("VALUEFROM_ROOTS_VIA")
	switch via {
	case "config", "config service":
		cfg, err := LoadConfig(context.Background(), Options{MaxAttempts: 1})
		if err != nil {
			fmt.Println("LoadConfig:", err)
			return
		}
		client = cfg.HTTPClient
		if via == "config service" {
			// What a service client's options look like to ServiceOptions.
			options := &struct{ HTTPClient aws.HTTPClient }{cfg.HTTPClient}
			for _, f := range cfg.ServiceOptions {
				f("test", options)
			}
			client = options.HTTPClient
		}
	default:
		tr := http.DefaultTransport.(*http.Transport).Clone()
		if via == "service via proxy" {
			proxy, _ := neturl.Parse(os.Getenv("VALUEFROM_ROOTS_PROXY"))
			tr.Proxy = http.ProxyURL(proxy) // the environment's would not proxy loopback
		}
		l.wrap(tr)
		l.sealed()
		if via != "transport" {
			l.dialTLS(tr)
		}
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
	if strings.HasPrefix(via, "config") {
		direct := false
		if b, ok := client.(*awshttp.BuildableClient); ok {
			direct = b.GetTransport().DialTLSContext != nil
		}
		fmt.Printf("ok=%v direct=%v\n", err == nil, direct)
		return
	}
	fmt.Printf("roots=%s ok=%v pool=%v direct=%v\n", cmp.Or(l.source, "none"), err == nil, !l.pool.Equal(x509.NewCertPool()), l.dialCount.Load() > 0)
}

// tunnel is an HTTP proxy's CONNECT.
func tunnel(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect {
		http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
		return
	}
	upstream, err := net.Dial("tcp", r.Host)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer upstream.Close()
	w.WriteHeader(http.StatusOK)
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	go func() {
		io.Copy(upstream, buf)
		upstream.(*net.TCPConn).CloseWrite()
	}()
	io.Copy(conn, upstream)
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

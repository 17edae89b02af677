package awsapi

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// pemCorpus are PEM texts that encoding/pem.Decode treats in all its
// ways: headers, blank header keys, spaces and tabs in the base64, CRLF,
// an empty block, a BEGIN without END, repeated BEGIN lines, a BEGIN in
// the middle of a line, mismatched END types, bad base64, trailing text.
var pemCorpus = []string{
	"",
	"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
	"-----BEGIN CERTIFICATE-----\r\nAA AA\r\n\tBBBB\r\n-----END CERTIFICATE-----\r\n",
	"junk\n-----BEGIN CERTIFICATE-----\nProc-Type: 4,ENCRYPTED\n\nAAAA\n-----END CERTIFICATE-----\n",
	"-----BEGIN CERTIFICATE-----\n: blank key\n\nAAAA\n-----END CERTIFICATE-----\n",
	"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
	"-----BEGIN CERTIFICATE-----\nAAAA\n-----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----\n",
	"x-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
	"-----BEGIN CERTIFICATE-----\nAAAA\n-----END PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----",
	"-----BEGIN CERTIFICATE-----\nA!AA\n-----END CERTIFICATE-----\n-----BEGIN X-----\nBBBB\n-----END X----- \t\n",
	"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE----- trailing\n-----BEGIN CERTIFICATE-----\nCCCC\n-----END CERTIFICATE-----\n",
	"-----BEGIN TRUSTED CERTIFICATE-----\nAAAA\n-----END TRUSTED CERTIFICATE-----\n",
	"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----\n",
}

// FuzzNextPEMBlock: nextPEMBlock, called again and again, finds the
// blocks encoding/pem.Decode finds, with the same type, headers and
// bytes (once each is decoded, as a root is).
func FuzzNextPEMBlock(f *testing.F) {
	for _, s := range pemCorpus {
		f.Add([]byte(s))
	}
	if b, err := os.ReadFile(certFiles[0]); err == nil {
		f.Add(b[:min(len(b), 4096)])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		type block struct {
			typ     string
			headers bool
			bytes   string
		}
		var want, got []block
		for rest := data; ; {
			var b *pem.Block
			if b, rest = pem.Decode(rest); b == nil {
				break
			}
			want = append(want, block{b.Type, len(b.Headers) > 0, string(b.Bytes)})
		}
		for rest := data; ; {
			var p pemBlock
			if p, rest = nextPEMBlock(rest); p.text == nil {
				break
			}
			b, _ := pem.Decode(p.text)
			if b == nil {
				continue // bad base64: Decode skipped it too
			}
			if b.Type != string(p.typ) || len(b.Headers) > 0 != p.headers {
				t.Fatalf("block %q: type %q, headers %v; Decode of its text: %q, %v", p.text, p.typ, p.headers, b.Type, b.Headers)
			}
			got = append(got, block{b.Type, p.headers, string(b.Bytes)})
		}
		if !slices.Equal(got, want) {
			t.Errorf("nextPEMBlock found %+v;\nencoding/pem found %+v", got, want)
		}
	})
}

// TestRawSubject: the subject read from a certificate's first bytes is
// crypto/x509's RawSubject, for every root of the system's bundle, every
// embedded root and a version 1 certificate (no version field); any
// shorter beginning says it is short.
func TestRawSubject(t *testing.T) {
	var ders [][]byte
	if b, err := os.ReadFile(certFiles[0]); err == nil {
		for rest := b; ; {
			var blk *pem.Block
			if blk, rest = pem.Decode(rest); blk == nil {
				break
			}
			ders = append(ders, blk.Bytes)
		}
	}
	for r := range bundle.Roots() {
		ders = append(ders, r.Certificate)
	}
	ders = append(ders, version1(t, issue(t, caTemplate("v1 root"), nil).der))
	for _, der := range ders {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		if got, short := rawSubject(der); short || !bytes.Equal(got, c.RawSubject) {
			t.Errorf("%s: rawSubject = %x, short %v; want %x", c.Subject, got, short, c.RawSubject)
		}
		end := bytes.Index(der, c.RawSubject) + len(c.RawSubject)
		for _, n := range []int{0, 1, 5, end / 2, end - 1} {
			if got, short := rawSubject(der[:n]); got != nil || !short {
				t.Errorf("%s: the first %d of %d bytes: rawSubject = %x, short %v; want short", c.Subject, n, end, got, short)
			}
		}
		body := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
		var buf [subjectPrefix]byte
		if got := blockSubject(body[len("-----BEGIN CERTIFICATE-----\n"):len(body)-len("-----END CERTIFICATE-----\n")], buf[:]); !bytes.Equal(got, c.RawSubject) {
			t.Errorf("%s: blockSubject = %x; want %x", c.Subject, got, c.RawSubject)
		}
	}
	if got, short := rawSubject([]byte("not a certificate at all")); got != nil || short {
		t.Errorf("rawSubject of text = %x, short %v; want nil, not short", got, short)
	}
}

// version1 rewrites a certificate without its version field, as a
// version 1 certificate is (its signature no longer holds; parsing does
// not check it).
func version1(t *testing.T, der []byte) []byte {
	t.Helper()
	var cert struct {
		TBS      asn1.RawValue
		Alg, Sig asn1.RawValue
	}
	if _, err := asn1.Unmarshal(der, &cert); err != nil {
		t.Fatal(err)
	}
	var fields []asn1.RawValue
	for rest := cert.TBS.Bytes; len(rest) > 0; {
		var f asn1.RawValue
		var err error
		if rest, err = asn1.Unmarshal(rest, &f); err != nil {
			t.Fatal(err)
		}
		if f.Class == asn1.ClassContextSpecific && f.Tag == 0 {
			continue
		}
		fields = append(fields, f)
	}
	var tbs []byte
	for _, f := range fields {
		tbs = append(tbs, f.FullBytes...)
	}
	cert.TBS = asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: tbs}
	out, err := asn1.Marshal(cert)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(out)
	if err != nil || c.Version != 1 {
		t.Fatalf("the rewritten certificate: version %v, %v", c, err)
	}
	return out
}

// TestDirectVerification: a server's chain verified by the direct dialer,
// against the roots the chain names, gets crypto/tls's verdict (its
// standard verification against the pool of every root), error text and
// all: a good chain with an intermediate, a leaf that is itself a root, an
// unknown root, a root's impostor (its subject, another key), a missing
// intermediate, an expired leaf, names and addresses that do not match.
func TestDirectVerification(t *testing.T) {
	now := time.Now()
	root := issue(t, caTemplate("valuefrom test root"), nil)
	impostor := issue(t, caTemplate("valuefrom test root"), nil)
	other := issue(t, caTemplate("another root"), nil)
	inter := issue(t, caTemplate("valuefrom test intermediate"), root)
	leaf := issue(t, leafTemplate(now), inter)
	expiredTmpl := leafTemplate(now)
	expiredTmpl.NotBefore, expiredTmpl.NotAfter = now.Add(-48*time.Hour), now.Add(-24*time.Hour)
	expired := issue(t, expiredTmpl, inter)
	byImpostor := issue(t, leafTemplate(now), impostor)
	byOther := issue(t, leafTemplate(now), other)
	selfTmpl := leafTemplate(now)
	selfTmpl.IsCA, selfTmpl.BasicConstraintsValid = true, true
	selfSigned := issue(t, selfTmpl, nil)
	elsewhereTmpl := leafTemplate(now)
	elsewhereTmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 2)}
	elsewhere := issue(t, elsewhereTmpl, inter)

	// The trusted roots: the system's bundle, root and selfSigned.
	system, _ := os.ReadFile(certFiles[0])
	text := slices.Concat(system, pemOf(root.der), pemOf(selfSigned.der))
	dir := t.TempDir()
	file := filepath.Join(dir, "bundle.pem")
	if err := os.WriteFile(file, text, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SSL_CERT_FILE", file)
	t.Setenv("SSL_CERT_DIR", dir+"/none")
	all := x509.NewCertPool()
	all.AppendCertsFromPEM(text)
	clock := func() time.Time { return now }

	for _, tc := range []struct {
		name       string
		chain      []*testCert
		serverName string // "" for the address's
		ok         bool
	}{
		{"leaf, intermediate, root", []*testCert{leaf, inter}, "", true},
		{"by name", []*testCert{leaf, inter}, "valuefrom.test", true},
		{"a leaf that is a root", []*testCert{selfSigned}, "", true},
		{"no intermediate", []*testCert{leaf}, "", false},
		{"unknown root", []*testCert{byOther, other}, "", false},
		{"the root's impostor", []*testCert{byImpostor}, "", false},
		{"the impostor sent along", []*testCert{byImpostor, impostor}, "", false},
		{"expired", []*testCert{expired, inter}, "", false},
		{"another name", []*testCert{leaf, inter}, "other.test", false},
		{"another address", []*testCert{leaf, inter}, "127.0.0.2", false},
		{"a certificate for another address", []*testCert{elsewhere, inter}, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := serveChain(t, tc.chain)
			// crypto/tls's verdict
			std, stdErr := tls.Dial("tcp", addr, &tls.Config{RootCAs: all, ServerName: cmpOr(tc.serverName, "127.0.0.1"), Time: clock})
			if stdErr == nil {
				std.Close()
			}
			l := newLazyRoots()
			l.sealed()
			dial := l.dialer((&net.Dialer{}).DialContext, &tls.Config{RootCAs: l.pool, ServerName: tc.serverName, Time: clock}, 5*time.Second, newSessions(clock))
			conn, err := dial(context.Background(), "tcp", addr)
			if err == nil {
				conn.Close()
			}
			if (err == nil) != tc.ok || (stdErr == nil) != tc.ok {
				t.Fatalf("direct: %v; crypto/tls: %v; want ok %v", err, stdErr, tc.ok)
			}
			if err != nil && err.Error() != stdErr.Error() {
				t.Errorf("direct: %v\ncrypto/tls: %v", err, stdErr)
			}
			var cve *tls.CertificateVerificationError
			if err != nil && !errors.As(err, &cve) {
				t.Errorf("direct: %T, not a *tls.CertificateVerificationError", err)
			}
			if !l.pool.Equal(x509.NewCertPool()) {
				t.Error("the direct dialer filled the pool of every root")
			}
		})
	}
}

// TestDirectConstraint: a root's constraint (some embedded roots carry
// one) holds in a direct verification as in crypto/x509's.
func TestDirectConstraint(t *testing.T) {
	now := time.Now()
	root := issue(t, caTemplate("constrained root"), nil)
	leaf := issue(t, leafTemplate(now), root)
	refuse := func([]*x509.Certificate) error { return errors.New("distrusted after a date") }
	chain := []*x509.Certificate{leaf.cert}
	for _, c := range []struct {
		constraint func([]*x509.Certificate) error
		ok         bool
	}{{nil, true}, {refuse, false}} {
		l := newLazyRoots()
		l.idxOnce.Do(func() { l.idx.addDER(root.der, c.constraint) })
		err := l.verify(chain, "valuefrom.test", now)
		pool := x509.NewCertPool()
		pool.AddCertWithConstraint(root.cert, c.constraint)
		_, stdErr := leaf.cert.Verify(x509.VerifyOptions{Roots: pool, DNSName: "valuefrom.test", CurrentTime: now})
		if (err == nil) != c.ok || (stdErr == nil) != c.ok {
			t.Errorf("constraint %v: verify: %v; crypto/x509: %v; want ok %v", c.constraint != nil, err, stdErr, c.ok)
		}
	}
}

// A testCert is a certificate and its key.
type testCert struct {
	der  []byte
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func caTemplate(name string) *x509.Certificate {
	return &x509.Certificate{
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
}

func leafTemplate(now time.Time) *x509.Certificate {
	return &x509.Certificate{
		Subject:     pkix.Name{CommonName: "valuefrom.test"},
		DNSNames:    []string{"valuefrom.test"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:   now.Add(-time.Hour),
		NotAfter:    now.Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
}

// issue makes a certificate from tmpl, signed by parent, or self-signed.
func issue(t *testing.T, tmpl *x509.Certificate, parent *testCert) *testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl.SerialNumber = serial
	signer, signerKey := tmpl, key
	if parent != nil {
		signer, signerKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCert{der: der, cert: cert, key: key}
}

func pemOf(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// serveChain serves TLS on loopback with chain (leaf first) until the
// test ends, and returns its address.
func serveChain(t *testing.T, chain []*testCert) string {
	t.Helper()
	cert := tls.Certificate{PrivateKey: chain[0].key}
	for _, c := range chain {
		cert.Certificate = append(cert.Certificate, c.der)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.(*tls.Conn).Handshake() // the client may refuse it
			c.Close()
		}
	}()
	return ln.Addr().String()
}

func cmpOr(s, or string) string {
	if s != "" {
		return s
	}
	return or
}

// TestIndexSkips: what AppendCertsFromPEM skips, the index holds no root
// for: other types, blocks with headers, bad base64, text that is no
// certificate.
func TestIndexSkips(t *testing.T) {
	good := pemOf(issue(t, caTemplate("good"), nil).der)
	text := strings.Join([]string{
		string(good),
		"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
		strings.Replace(string(good), "-----\n", "-----\nX-Header: 1\n\n", 1),
		strings.Replace(string(good), "M", "!", 1),
		"-----BEGIN CERTIFICATE-----\nAAAAAAAA\n-----END CERTIFICATE-----\n",
	}, "")
	var x rootIndex
	x.addPEM([]byte(text))
	pool := x509.NewCertPool()
	x.fill(pool)
	want := x509.NewCertPool()
	want.AppendCertsFromPEM([]byte(text))
	if !pool.Equal(want) {
		t.Errorf("the index's roots are not AppendCertsFromPEM's: %d indexed", len(x.all))
	}
	if len(x.all) != 1 {
		t.Errorf("%d roots indexed; want the 1 good one", len(x.all))
	}
}

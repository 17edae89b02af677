package templates

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/testfs"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

// The examples of docs/templates.md as they are run: nginx and pgbouncer
// themselves, supervised by valuefrom with signal:SIGHUP, reading the
// files it renders and reading them again on rotation. Each test skips
// where its program is not installed (apt-get install nginx-light
// pgbouncer).

// need returns the path of program, or skips.
func need(t *testing.T, program string) string {
	t.Helper()
	for _, dir := range []string{"", "/usr/sbin/", "/usr/local/sbin/"} {
		if path, err := exec.LookPath(dir + program); err == nil {
			return path
		}
	}
	t.Skipf("%s is not installed", program)
	return ""
}

// freePort returns a loopback port nothing listens on, for now.
func freePort(t *testing.T) int {
	t.Helper()
	_, port, _ := net.SplitHostPort(mototest.Closed(t))
	n, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// selfSigned returns a new certificate for localhost and its key, PEM.
func selfSigned(t *testing.T, cn string) (certPEM, keyPEM string, cert *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		DNSNames: []string{"localhost"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err = x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})), cert
}

// tlsSecret is the JSON secret of docs/templates.md's nginx example: the
// certificate and the key, pasted with a newline too many.
func tlsSecret(t *testing.T, certPEM, keyPEM string) string {
	t.Helper()
	b, err := json.Marshal(map[string]string{"cert": certPEM + "\n", "key": keyPEM + "\n"})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// served returns the certificate nginx serves on port, trusting only
// want: an error unless it is want.
func served(port int, want *x509.Certificate) error {
	pool := x509.NewCertPool()
	pool.AddCert(want)
	conn, err := tls.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port), &tls.Config{RootCAs: pool, ServerName: "localhost"})
	if err != nil {
		return err
	}
	return conn.Close()
}

// TestNginxReloadsTheRenderedKey: nginx, under valuefrom in supervise
// mode with signal:SIGHUP, serves the certificate and key that the docs'
// templates render from a JSON secret; after a rotation valuefrom renders
// both again and sends SIGHUP, and nginx serves the new certificate.
func TestNginxReloadsTheRenderedKey(t *testing.T) {
	vfbin.Need(t)
	nginx := need(t, "nginx")
	moto := mototest.Start(t)
	sd := moto.Seeder(t, "us-east-1")
	cert1, key1, c1 := selfSigned(t, "valuefrom-test-one")
	cert2, key2, c2 := selfSigned(t, "valuefrom-test-two")
	sd.Secret("nginx/tls", tlsSecret(t, cert1, key1))

	dir := t.TempDir()
	crt := writeTemplate(t, dir, "tls.crt.tmpl", "{{ TLS.cert | trim }}\n")
	key := writeTemplate(t, dir, "tls.key.tmpl", "{{ TLS.key | trim }}\n")
	port := freePort(t)
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(`daemon off;
pid %[1]s/nginx.pid;
error_log stderr notice;
events {}
http {
    access_log off;
    client_body_temp_path %[1]s;
    proxy_temp_path %[1]s;
    fastcgi_temp_path %[1]s;
    server {
        listen 127.0.0.1:%[2]d ssl;
        ssl_certificate %[1]s/tls.crt;
        ssl_certificate_key %[1]s/tls.key;
        return 200 "ok\n";
    }
}
`, dir, port)), 0o600); err != nil {
		t.Fatal(err)
	}

	cmd := vfbin.Command(t, append(moto.Env(), "TLS=secretsmanager:nginx/tls"), "--watch", "300ms", "--splay", "0s", "--on-change", "signal:SIGHUP",
		"--template", crt, "--template", key, "--", nginx, "-p", dir, "-c", conf, "-e", "stderr")
	p := vfbin.Start(t, cmd)
	p.Expect(vfbin.Stderr, `start worker process`)
	if err := served(port, c1); err != nil {
		t.Fatalf("nginx does not serve the rendered certificate: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "tls.key")); string(b) != key1 {
		t.Error("tls.key is not the key with one final newline")
	}

	sd.NewVersion("nginx/tls", tlsSecret(t, cert2, key2))
	p.Expect(vfbin.Stderr, `msg="watch: files rewritten; signalling the program"`)
	p.Expect(vfbin.Stderr, `signal 1 \(SIGHUP\) received.*reconfiguring`)
	p.Expect(vfbin.Stderr, `start worker process`)
	p.Expect(vfbin.Stderr, `gracefully shutting down`)
	if err := served(port, c2); err != nil {
		t.Errorf("after the rotation nginx does not serve the new certificate: %v", err)
	}

	p.Signal(syscall.SIGTERM)
	if code := p.Wait(); code != 0 {
		t.Errorf("exit code %d, want nginx's 0", code)
	}
	for i, key := range []string{key1, key2} {
		if body := strings.Split(key, "\n")[1]; strings.Contains(p.Output(), body) {
			t.Errorf("valuefrom's or nginx's output holds key %d", i+1)
		}
	}
}

// scramVerifier is what pg_authid.rolpassword holds for password:
// SCRAM-SHA-256$ITER:SALT$STOREDKEY:SERVERKEY (RFC 5802, 7677).
func scramVerifier(t *testing.T, password string) string {
	t.Helper()
	salt := make([]byte, 16)
	rand.Read(salt)
	salted, err := pbkdf2.Key(sha256.New, password, salt, 4096, 32)
	if err != nil {
		t.Fatal(err)
	}
	clientKey := hmacSum(salted, "Client Key")
	stored := sha256.Sum256(clientKey)
	b64 := base64.StdEncoding.EncodeToString
	return "SCRAM-SHA-256$4096:" + b64(salt) + "$" + b64(stored[:]) + ":" + b64(hmacSum(salted, "Server Key"))
}

func hmacSum(key []byte, msg string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}

// scramLogin logs in to the PostgreSQL server (here pgbouncer) on port as
// user with password, by SCRAM-SHA-256, and checks the server's
// signature: it proves that the server holds the verifier of password.
// It returns nil once the server has proven it; pgbouncer then looks for
// a database server, which these tests do not run.
func scramLogin(port int, user, password string) error {
	conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 5*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	params := "user\x00" + user + "\x00database\x00app\x00\x00"
	startup := binary.BigEndian.AppendUint32(nil, uint32(8+len(params)))
	startup = binary.BigEndian.AppendUint32(startup, 196608)
	if _, err := conn.Write(append(startup, params...)); err != nil {
		return err
	}
	read := func() (byte, []byte, error) {
		hdr := make([]byte, 5)
		if _, err := io.ReadFull(conn, hdr); err != nil {
			return 0, nil, err
		}
		body := make([]byte, binary.BigEndian.Uint32(hdr[1:])-4)
		_, err := io.ReadFull(conn, body)
		return hdr[0], body, err
	}
	send := func(payload []byte) error {
		msg := binary.BigEndian.AppendUint32([]byte{'p'}, uint32(4+len(payload)))
		_, err := conn.Write(append(msg, payload...))
		return err
	}
	auth := func(want uint32) ([]byte, error) {
		typ, body, err := read()
		switch {
		case err != nil:
			return nil, err
		case typ == 'E':
			return nil, fmt.Errorf("server error: %q", strings.ReplaceAll(string(body), "\x00", " "))
		case typ != 'R' || binary.BigEndian.Uint32(body) != want:
			return nil, fmt.Errorf("message %c %d, want authentication %d", typ, binary.BigEndian.Uint32(body), want)
		}
		return body[4:], nil
	}
	if _, err := auth(10); err != nil { // AuthenticationSASL
		return err
	}
	nonce := base64.RawStdEncoding.EncodeToString([]byte(strconv.FormatInt(time.Now().UnixNano(), 36)))
	first := "n=,r=" + nonce
	msg := append([]byte("SCRAM-SHA-256\x00"), binary.BigEndian.AppendUint32(nil, uint32(len("n,,"+first)))...)
	if err := send(append(msg, "n,,"+first...)); err != nil {
		return err
	}
	serverFirst, err := auth(11) // AuthenticationSASLContinue
	if err != nil {
		return err
	}
	var rnonce, salt string
	var iter int
	for _, f := range strings.Split(string(serverFirst), ",") {
		switch {
		case strings.HasPrefix(f, "r="):
			rnonce = f[2:]
		case strings.HasPrefix(f, "s="):
			salt = f[2:]
		case strings.HasPrefix(f, "i="):
			iter, _ = strconv.Atoi(f[2:])
		}
	}
	saltBytes, err := base64.StdEncoding.DecodeString(salt)
	if err != nil || !strings.HasPrefix(rnonce, nonce) || iter == 0 {
		return fmt.Errorf("bad server-first-message")
	}
	salted, err := pbkdf2.Key(sha256.New, password, saltBytes, iter, 32)
	if err != nil {
		return err
	}
	withoutProof := "c=biws,r=" + rnonce
	authMessage := first + "," + string(serverFirst) + "," + withoutProof
	clientKey := hmacSum(salted, "Client Key")
	stored := sha256.Sum256(clientKey)
	sig := hmacSum(stored[:], authMessage)
	proof := make([]byte, len(clientKey))
	for i := range clientKey {
		proof[i] = clientKey[i] ^ sig[i]
	}
	if err := send([]byte(withoutProof + ",p=" + base64.StdEncoding.EncodeToString(proof))); err != nil {
		return err
	}
	final, err := auth(12) // AuthenticationSASLFinal
	if err != nil {
		return err
	}
	want := "v=" + base64.StdEncoding.EncodeToString(hmacSum(hmacSum(salted, "Server Key"), authMessage))
	if string(final) != want {
		return errors.New("the server's signature is wrong")
	}
	return nil
}

// TestPgbouncerReloadsTheRenderedUserlist: pgbouncer, under valuefrom in
// supervise mode with signal:SIGHUP, authenticates a client by SCRAM
// against the docs' userlist.txt, rendered from a SCRAM verifier and a
// JSON secret; after a rotation of the verifier valuefrom renders it
// again and sends SIGHUP, and pgbouncer takes the new password, not the
// old one. As root, pgbouncer runs as nobody, and the file is the group
// nogroup's (--group), mode 0440.
func TestPgbouncerReloadsTheRenderedUserlist(t *testing.T) {
	vfbin.Need(t)
	pgbouncer := need(t, "pgbouncer")
	moto := mototest.Start(t)
	sd := moto.Seeder(t, "us-east-1")
	verifiers := []string{scramVerifier(t, "canary-app-1"), scramVerifier(t, "canary-stats"), scramVerifier(t, "canary-app-2")}
	sd.Secret("pgb/app", verifiers[0])
	sd.Secret("pgb/stats", `{"username":"stats","verifier":"`+verifiers[1]+`"}`)

	dir := t.TempDir()
	target := writeTemplate(t, dir, "userlist.txt.tmpl", "\"{{ PGBOUNCER_USER }}\" \"{{ PGBOUNCER_SCRAM }}\"\n\"{{ STATS.username }}\" \"{{ STATS.verifier }}\"\n")
	port := freePort(t)
	ini := filepath.Join(dir, "pgbouncer.ini")
	if err := os.WriteFile(ini, []byte(fmt.Sprintf(`[databases]
app = host=127.0.0.1 port=%d dbname=app
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = scram-sha-256
auth_file = %s/userlist.txt
`, freePort(t), port, dir)), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"--watch", "300ms", "--splay", "0s", "--on-change", "signal:SIGHUP", "--template", target}
	program := []string{pgbouncer, ini}
	gid := -1              // the group of userlist.txt: nogroup's, as root
	if os.Geteuid() == 0 { // pgbouncer will not run as root
		g, err := user.LookupGroup("nogroup")
		if err != nil {
			t.Skip("no group nogroup for pgbouncer to run in")
		}
		if gid, err = strconv.Atoi(g.Gid); err != nil {
			t.Fatalf("group nogroup: gid %q: %v", g.Gid, err)
		}
		// nobody reads the configuration again on SIGHUP.
		for _, d := range []string{filepath.Dir(dir), dir} {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		args = append(args, "--group", g.Name)
		program = []string{pgbouncer, "-u", "nobody", ini}
	}
	env := append(moto.Env(), "PGBOUNCER_USER=app", "PGBOUNCER_SCRAM=secretsmanager:pgb/app", "STATS=secretsmanager:pgb/stats",
		"VALUEFROM_TEMPLATE_ENV=true")
	cmd := vfbin.Command(t, env, append(append(args, "--"), program...)...)
	p := vfbin.Start(t, cmd)
	p.Expect(vfbin.Stderr, `listening on 127\.0\.0\.1:`+strconv.Itoa(port))
	if os.Geteuid() == 0 {
		testfs.CheckMode(t, filepath.Join(dir, "userlist.txt"), 0o440, gid)
	}
	for _, login := range []struct{ user, password string }{{"app", "canary-app-1"}, {"stats", "canary-stats"}} {
		if err := scramLogin(port, login.user, login.password); err != nil {
			t.Fatalf("%s cannot log in with the rendered verifier: %v", login.user, err)
		}
	}

	sd.NewVersion("pgb/app", verifiers[2])
	p.Expect(vfbin.Stderr, `msg="watch: files rewritten; signalling the program"`)
	p.Expect(vfbin.Stderr, `got SIGHUP, re-reading config`)
	if err := scramLogin(port, "app", "canary-app-2"); err != nil {
		t.Errorf("after the rotation the new password does not log in: %v", err)
	}
	if err := scramLogin(port, "app", "canary-app-1"); err == nil {
		t.Error("after the rotation the old password still logs in")
	}

	p.Signal(syscall.SIGTERM)
	p.Wait()
	for i, v := range verifiers {
		if strings.Contains(p.Output(), v) {
			t.Errorf("valuefrom's or pgbouncer's output holds verifier %d", i+1)
		}
	}
}

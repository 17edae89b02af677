// Package serve runs valuefrom serve as a process against the defects of
// issue 12 that need one: a flood of idle connections under a low limit
// on open files (item 4).
package serve

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/valuefrom/valuefrom/internal/server"
	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

func TestMain(m *testing.M) { vfbin.Main(m, nil) }

const (
	token  = "serve-flood-token-5c2e9a71d4b3"
	fdMax  = 256 // the server's limit on open files
	flood  = 400 // idle connections, more than fdMax
	bound  = 3 * time.Second
	dialTO = 2 * time.Second
)

// start runs valuefrom serve under prlimit --nofile=fdMax and returns its
// address once it says it is listening, and a function that stops it
// with SIGTERM and returns its exit code.
func start(t *testing.T, env []string) (addr string, stop func() int) {
	t.Helper()
	if _, err := exec.LookPath("prlimit"); err != nil {
		t.Skip("no prlimit")
	}
	cmd := exec.Command("prlimit", fmt.Sprintf("--nofile=%d:%d", fdMax, fdMax), vfbin.Need(t), "serve", "--listen", "127.0.0.1:0")
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "VALUEFROM_TOKEN=" + token}, env...)
	p := vfbin.Start(t, cmd)
	t.Cleanup(func() {
		p.Kill()
		vfbin.NoValue(t, "the server's log", p.Output(), mototest.Canary, token)
	})
	addr = p.Expect(vfbin.Stderr, `msg=listening addr=(\S+)`)[1]
	return addr, func() int {
		p.Signal(syscall.SIGTERM)
		return p.Wait()
	}
}

// idleConn is a connection that asked /ping with keep-alive and kept the
// connection open, as the flood in the review did.
type idleConn struct {
	net.Conn
	r      *bufio.Reader
	pinged bool // the server answered the ping
}

func openIdle(addr string) (*idleConn, error) {
	c, err := net.DialTimeout("tcp", addr, dialTO)
	if err != nil {
		return nil, err
	}
	ic := &idleConn{Conn: c, r: bufio.NewReader(c)}
	c.SetDeadline(time.Now().Add(bound))
	if _, err := io.WriteString(c, "GET /ping HTTP/1.1\r\nHost: sidecar\r\n\r\n"); err != nil {
		return ic, nil
	}
	resp, err := http.ReadResponse(ic.r, nil)
	if err == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		ic.pinged = err == nil && resp.StatusCode == http.StatusOK
	}
	c.SetDeadline(time.Time{})
	return ic, nil
}

// TestIdleFlood: more idle connections than the server has file
// descriptors neither exhaust it nor keep the task's request from being
// answered at once; the server closes the idle ones itself (item 4).
func TestIdleFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs the binary and moto")
	}
	moto := mototest.Start(t)
	secret := moto.Seeder(t, "us-east-1").Secret("flood/db", mototest.Canary+"-flood-db")
	addr, stop := start(t, moto.Env())

	conns := make([]*idleConn, flood)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 50)
	for i := range conns {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			c, err := openIdle(addr)
			if err != nil {
				t.Errorf("connection %d: %v", i, err)
				return
			}
			conns[i] = c
		})
	}
	wg.Wait()
	t.Cleanup(func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	})

	// The task's own request, on a new connection, with the flood open.
	client := &http.Client{Timeout: bound, Transport: &http.Transport{DisableKeepAlives: true}}
	req, _ := http.NewRequest("GET", "http://"+addr+"/secretsmanager/get?secretId="+secret.Name, nil)
	req.Header.Set("X-Aws-Parameters-Secrets-Token", token)
	began := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("the task's request under a flood of %d idle connections (limit %d files): %v", flood, fdMax, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), secret.Value) {
		t.Errorf("the task's request: status %d, want 200 and the secret (body not shown)", resp.StatusCode)
	}
	t.Logf("answered in %v under the flood", time.Since(began).Round(time.Millisecond))

	// Every idle connection is closed by the server: the oldest to make
	// room, the rest after the idle timeout. Reads end in EOF, not in the
	// client's deadline.
	pinged := 0
	for i, c := range conns {
		if c == nil {
			continue
		}
		if c.pinged {
			pinged++
		}
		c.SetReadDeadline(time.Now().Add(server.IdleTimeout + server.ReadHeaderTimeout + bound))
		_, err := c.r.ReadByte()
		var ne net.Error
		switch {
		case errors.Is(err, io.EOF):
		case errors.As(err, &ne) && ne.Timeout():
			t.Fatalf("idle connection %d still open after the idle timeout", i)
		case c.pinged:
			t.Errorf("idle connection %d: read %v, want EOF", i, err)
		case err == nil:
			t.Errorf("idle connection %d: the server sent bytes nobody asked for", i)
		}
	}
	if pinged < flood/2 {
		t.Errorf("only %d of %d connections got an answer to /ping", pinged, flood)
	}

	// Still serving, and it stops cleanly.
	presp, err := client.Get("http://" + addr + "/ping")
	if err != nil || presp.StatusCode != http.StatusOK {
		t.Fatalf("/ping after the flood: %v", err)
	}
	presp.Body.Close()
	if code := stop(); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
}

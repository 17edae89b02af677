package server

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

func TestConnLimit(t *testing.T) {
	tests := []struct {
		name          string
		maxConns, fds int
		want          int
	}{
		{"no fd limit known", 800, 0, 1600},
		{"fds to spare", 800, 65535, 1600},
		{"ECS's usual soft limit", 800, 1024, 496},
		{"the flood test's limit", 800, 256, 112},
		{"tiny fd limit", 800, 20, 8},
		{"one request", 1, 0, 2},
	}
	for _, tt := range tests {
		if got := connLimit(tt.maxConns, tt.fds); got != tt.want {
			t.Errorf("%s: connLimit(%d, %d) = %d, want %d", tt.name, tt.maxConns, tt.fds, got, tt.want)
		}
	}
}

// TestLimitListener: at the bound, a new connection closes the one idle
// the longest; when every connection is busy, it waits for one to finish.
func TestLimitListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := newLimitListener(ln, 2)
	var finished atomic.Int64 // /block requests answered
	arrived, release := make(chan struct{}, 2), make(chan struct{})
	var pingSawFinished atomic.Int64
	idled := make(chan net.Conn, 8)
	track := func(c net.Conn, state http.ConnState) {
		l.track(c, state)
		if state == http.StateIdle {
			idled <- c // the server counts c idle from now
		}
	}
	srv := &http.Server{ConnState: track, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/block":
			arrived <- struct{}{}
			<-release
			finished.Add(1)
		default:
			pingSawFinished.Store(finished.Load())
		}
		io.WriteString(w, "ok")
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })

	type conn struct {
		net.Conn
		r *bufio.Reader
	}
	dial := func() *conn {
		t.Helper()
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetDeadline(time.Now().Add(10 * time.Second)) // a hang fails, not blocks, the test
		return &conn{c, bufio.NewReader(c)}
	}
	send := func(c *conn, path string) {
		t.Helper()
		if _, err := io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
	}
	answer := func(c *conn, what string) {
		t.Helper()
		resp, err := http.ReadResponse(c.r, nil)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}

	c1 := dial()
	send(c1, "/ping")
	answer(c1, "first ping")
	<-idled
	c2 := dial()
	send(c2, "/ping")
	answer(c2, "second ping")
	<-idled
	c3 := dial() // over the bound: c1, idle the longest, makes room
	send(c3, "/ping")
	answer(c3, "ping over the bound")
	<-idled
	if _, err := c1.r.ReadByte(); !errors.Is(err, io.EOF) {
		t.Errorf("the connection idle the longest: read %v, want EOF", err)
	}

	send(c2, "/block")
	send(c3, "/block")
	<-arrived
	<-arrived // both connections busy: nothing to evict
	c4 := dial()
	send(c4, "/ping")
	release <- struct{}{} // one /block answers and its connection goes idle: c4 evicts it
	answer(c4, "ping while every connection was busy")
	if pingSawFinished.Load() < 1 {
		t.Error("a connection over the bound was served while every connection was busy; it must wait")
	}
	close(release)
}

package mototest

import (
	"net"
	"testing"
)

// Stalled starts an endpoint on loopback that accepts connections and
// never answers, as a stalled AWS endpoint does, until the test ends. It
// returns the endpoint's host:port and a channel that receives a value for
// each connection accepted (the first 100 are kept until read).
func Stalled(tb testing.TB) (addr string, accepted <-chan struct{}) {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	ch := make(chan struct{}, 100)
	done := make(chan []net.Conn)
	go func() {
		var conns []net.Conn
		for {
			c, err := l.Accept()
			if err != nil {
				done <- conns
				return
			}
			conns = append(conns, c)
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	}()
	tb.Cleanup(func() {
		l.Close()
		for _, c := range <-done {
			c.Close()
		}
	})
	return l.Addr().String(), ch
}

// Closed returns a loopback address where nothing listens, as a stopped
// endpoint or credential source has: a connection to it is refused.
func Closed(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

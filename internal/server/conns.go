package server

import (
	"container/list"
	"net"
	"net/http"
	"sync"
)

// connLimit returns how many connections Serve holds open at once: room
// for maxConns requests in flight and as many more connections, to be
// told 429 or to wait idle for their next request, but never more than
// half the file descriptors left under fds (the soft RLIMIT_NOFILE, 0 if
// unknown) after a reserve, since each request in flight may hold a
// connection to AWS as well.
func connLimit(maxConns, fds int) int {
	const reserve = 32 // standard streams, the listener, the poller, files
	n := 2 * maxConns
	if fds > 0 {
		n = min(n, max((fds-reserve)/2, 8))
	}
	return max(n, 1)
}

// limitListener bounds the connections an http.Server holds open: once
// max are open, the connection that has waited longest without a request
// (idle between requests, or accepted with nothing read yet) is closed to
// make room for the new one; when none is waiting, Accept waits until a
// connection closes.
//
// Why evict rather than refuse or queue: a flood of idle connections
// (the health checks need no token) must not shut out the task's own
// requests. Refusing the new connection would fail exactly those, and
// queueing them in the kernel's backlog would make them wait behind the
// flood. An idle connection loses nothing when it is closed: its client
// opens another. Waiting only when every connection is busy with a
// request is back-pressure, bounded by the server's timeouts.
//
// Its track method must be the http.Server's ConnState hook.
type limitListener struct {
	net.Listener
	max int

	mu   sync.Mutex
	open map[net.Conn]*list.Element // every open connection; non-nil: in idle
	idle list.List                  // of net.Conn, longest waiting first
	room chan struct{}              // a connection closed or went idle (buffered, never blocks)
	done chan struct{}              // the listener is closed
	once sync.Once
}

func newLimitListener(ln net.Listener, max int) *limitListener {
	return &limitListener{Listener: ln, max: max, open: map[net.Conn]*list.Element{},
		room: make(chan struct{}, 1), done: make(chan struct{})}
}

// Accept accepts a connection, closing the longest-waiting idle one when
// the bound is reached, or waiting for one to close or go idle when none
// is idle.
func (l *limitListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	for {
		l.mu.Lock()
		if len(l.open) < l.max {
			l.open[c] = l.idle.PushBack(c) // nothing read yet: evictable
			l.mu.Unlock()
			return c, nil
		}
		var victim net.Conn
		if el := l.idle.Front(); el != nil {
			victim = l.idle.Remove(el).(net.Conn)
			delete(l.open, victim)
		}
		l.mu.Unlock()
		if victim != nil {
			victim.Close()
			continue
		}
		select {
		case <-l.room:
		case <-l.done:
			c.Close()
			return nil, net.ErrClosed
		}
	}
}

// track follows a connection's state: idle ones may be evicted, active
// ones not, closed ones free their place.
func (l *limitListener) track(c net.Conn, state http.ConnState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	el, ok := l.open[c]
	if !ok {
		return // evicted, or not accepted through l
	}
	switch state {
	case http.StateActive:
		if el != nil {
			l.idle.Remove(el)
			l.open[c] = nil
		}
	case http.StateIdle:
		if el == nil {
			l.open[c] = l.idle.PushBack(c)
		}
		l.signal()
	case http.StateClosed, http.StateHijacked:
		if el != nil {
			l.idle.Remove(el)
		}
		delete(l.open, c)
		l.signal()
	}
}

// signal wakes an Accept waiting for room, if one is.
func (l *limitListener) signal() {
	select {
	case l.room <- struct{}{}:
	default:
	}
}

// Close closes the listener and ends a wait in Accept.
func (l *limitListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

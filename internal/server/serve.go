package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// ShutdownGrace bounds how long Serve waits for requests in flight once
// its context is done: ECS sends SIGKILL 30 s after SIGTERM by default,
// and a client's request should not take longer than 10 s to answer.
const ShutdownGrace = 10 * time.Second

// The timeouts of a server that the task's own containers reach over
// loopback, where a request arrives whole in microseconds:
//   - ReadHeaderTimeout 5 s: a client that has not sent its headers by
//     then is slow on purpose (or lost); its connection is closed.
//   - IdleTimeout 5 s: a keep-alive connection waiting for its next
//     request is closed after that; opening a new one on loopback costs
//     less than holding a descriptor for a client that may never return.
//   - No ReadTimeout: requests are GETs without a body, which the header
//     timeout already bounds, and a ReadTimeout would cancel a request's
//     context while it waits on AWS.
//   - WriteTimeout: the server's AWS timeout plus WriteMargin, so that an
//     answer that waited on AWS is still written, and a client that does
//     not read it is dropped soon after.
const (
	ReadHeaderTimeout = 5 * time.Second
	IdleTimeout       = 5 * time.Second
	WriteMargin       = 10 * time.Second
)

// Listen listens on addr (HOST:PORT). An address that is not loopback is
// allowed, since the caller named it, but logged as a warning: then any
// host that can reach the port and knows the token can read secrets.
func Listen(addr string, log *slog.Logger) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if !isLoopback(host) {
		log.Warn("listening on an address that is not loopback: any host that reaches it with the token can read secrets",
			"listen", addr)
	}
	return net.Listen("tcp", addr)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Serve serves h on ln until ctx is done, then shuts down gracefully: it
// stops accepting connections at once, lets the requests in flight finish
// for up to grace, and returns nil; if some are still running after grace
// it closes them and returns an error.
//
// It bounds the connections it holds open (see connLimit and
// limitListener: idle ones make room for new ones) and times out idle and
// slow ones quickly (see ReadHeaderTimeout), so that a flood of idle
// connections cannot use up the process's file descriptors and shut out
// the task's requests. When h is a *Server, its MaxConns and Timeout size
// the bound and the write timeout; otherwise DefaultMaxConns and none.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, grace time.Duration, log *slog.Logger) error {
	maxConns, writeTimeout := DefaultMaxConns, time.Duration(0)
	if s, ok := h.(*Server); ok {
		maxConns = s.cfg.MaxConns
		if s.cfg.Timeout > 0 {
			writeTimeout = s.cfg.Timeout + WriteMargin
		}
	}
	limit := newLimitListener(ln, connLimit(maxConns, fdLimit()))
	ln = &onceCloseListener{Listener: limit}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		IdleTimeout:       IdleTimeout,
		WriteTimeout:      writeTimeout,
		MaxHeaderBytes:    64 << 10,
		ConnState:         limit.track,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "max_open_connections", limit.max)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	ln.Close() // refuse new connections before saying so
	log.Info("shutting down: no new connections; waiting for requests in flight", "grace", grace)
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
		return fmt.Errorf("requests still in flight %v after the signal; closed them", grace)
	}
	log.Info("shut down")
	return nil
}

// onceCloseListener lets both Serve and http.Server close the listener.
type onceCloseListener struct {
	net.Listener
	once sync.Once
	err  error
}

func (l *onceCloseListener) Close() error {
	l.once.Do(func() { l.err = l.Listener.Close() })
	return l.err
}

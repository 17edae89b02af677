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
func Serve(ctx context.Context, ln net.Listener, h http.Handler, grace time.Duration, log *slog.Logger) error {
	ln = &onceCloseListener{Listener: ln}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String())
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

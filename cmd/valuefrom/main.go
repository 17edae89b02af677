package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/valuefrom/valuefrom/internal/gc"
)

func main() {
	gc.Hold() // until the program runs; see internal/gc
	// valuefrom may be PID 1 while it resolves, where signals without a
	// handler are ignored: stop on SIGINT and SIGTERM, and exit 128+N.
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		sig := <-sigs
		cancel(&signalError{sig: sig.(syscall.Signal)})
	}()
	// The signals stay caught until the exit: a SIGTERM that comes as
	// supervise mode ends must not kill valuefrom, which exits with the
	// program's status. (An exec resets them for the program.)
	err := run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr)
	os.Exit(exit(os.Stderr, err))
}

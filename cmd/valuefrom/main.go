// Command valuefrom resolves the AWS Secrets Manager and SSM Parameter
// Store references in its environment, then replaces itself with the
// command it was given. Run `valuefrom -h` for the manual, or see doc.go.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	_ "golang.org/x/crypto/x509roots/fallback" // CA roots for images that have none
)

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	var caught os.Signal
	go func() { caught = <-sigs; cancel() }()

	err := run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr)
	signal.Stop(sigs)
	if err != nil && ctx.Err() != nil && caught != nil {
		err = &signalError{sig: caught.(syscall.Signal), err: err}
	}
	os.Exit(exit(os.Stderr, os.Environ(), err))
}

package main

import (
	"errors"
	"fmt"
	"io"
	"syscall"

	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/report"
)

func usageErr(err error) error { return &exitcode.UsageError{Err: err} }

func usagef(format string, a ...any) error { return usageErr(fmt.Errorf(format, a...)) }

// signalError is the cause of work cancelled by a signal.
type signalError struct{ sig syscall.Signal }

func (e *signalError) Error() string {
	name := map[syscall.Signal]string{syscall.SIGINT: "SIGINT", syscall.SIGTERM: "SIGTERM"}[e.sig] // main's
	return fmt.Sprintf("interrupted by %s; the command was not started", name)
}

// exitCode maps an error returned by run to the process's exit code (see
// package report): 128+N after signal N.
func exitCode(err error) int {
	if sig := (*signalError)(nil); errors.As(err, &sig) {
		return exitcode.SignalOffset + int(sig.sig)
	}
	return report.ExitCode(err)
}

// exit reports err on stderr, by the rules of package report, and returns
// the exit code for it.
func exit(stderr io.Writer, err error) int {
	return report.Exit(stderr, err, exitCode(err))
}

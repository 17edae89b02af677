package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"

	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/platform"
	"github.com/valuefrom/valuefrom/internal/report"
	"github.com/valuefrom/valuefrom/internal/watch"
)

func usageErr(err error) error { return &exitcode.UsageError{Err: err} }

func usagef(format string, a ...any) error { return usageErr(fmt.Errorf(format, a...)) }

// signalError is the cause of work cancelled by a signal.
type signalError struct{ sig syscall.Signal }

func (e *signalError) Error() string {
	name := map[syscall.Signal]string{syscall.SIGINT: "SIGINT", syscall.SIGTERM: "SIGTERM"}[e.sig] // main's
	return fmt.Sprintf("interrupted by %s; the command was not started", name)
}

// ExitCode is 128+N after signal N.
func (e *signalError) ExitCode() int { return exitcode.SignalOffset + int(e.sig) }

// exit reports err on stderr, by the rules of package report, and returns
// the exit code for it. On Lambda (platform.Of(environ), environ being the
// environment run was given) a start that failed is also told to the
// Runtime API, so that the invoke's answer says why (report.ToLambda).
func exit(stderr io.Writer, environ []string, err error) int {
	code := report.Exit(stderr, err, exitcode.Of(err))
	if on := platform.Of(environ); on.Lambda && notStarted(err) {
		report.ToLambda(context.Background(), on, stderr, err, code)
	}
	return code
}

// notStarted reports whether err ends a start, the entrypoint's or run's,
// that did not start the program: a supervised program that ran and then
// stopped on a change is past Lambda's init phase.
func notStarted(err error) bool {
	run := (*report.RunError)(nil)
	return errors.As(err, &run) && (run.Command == "" || run.Command == runCommand.name) && !errors.Is(err, watch.ErrChanged)
}

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"syscall"

	"github.com/valuefrom/valuefrom/exec"
	"github.com/valuefrom/valuefrom/internal/awsapi"
	"github.com/valuefrom/valuefrom/internal/envfmt"
	"github.com/valuefrom/valuefrom/internal/pipeline"
	"github.com/valuefrom/valuefrom/internal/render"
	"github.com/valuefrom/valuefrom/internal/report"
	"github.com/valuefrom/valuefrom/internal/watch"
	"github.com/valuefrom/valuefrom/resolver"
)

// Exit codes. After a successful exec the exit code is the command's own.
const (
	exitOK           = 0
	exitInternal     = 1   // an unexpected error
	exitUsage        = 2   // a bad flag, argument or VALUEFROM_* setting
	exitSyntax       = 3   // a value starts like a reference but does not parse
	exitResolve      = 4   // a reference could not be resolved
	exitOutput       = 5   // a value could not be written: to its file, rendered, or in a format
	exitWarnings     = 6   // check: warnings but no failure; policy: written, with warnings
	exitFailures     = 7   // check: at least one reference would not resolve
	exitChanged      = 8   // supervise mode: a value changed and VALUEFROM_ON_CHANGE is exit
	exitNotExec      = 126 // the command was found but cannot be executed
	exitNotFound     = 127 // the command was not found
	exitSignalOffset = 128 // interrupted by a signal: 128 + its number
)

func usageErr(err error) error { return &pipeline.UsageError{Err: err} }

func usagef(format string, a ...any) error { return usageErr(fmt.Errorf(format, a...)) }

// checkError is the outcome of check or policy when not every row is ok:
// exitWarnings or exitFailures.
type checkError struct {
	code int
	msg  string
}

func (e *checkError) Error() string { return e.msg }

// signalError is the cause of work cancelled by a signal.
type signalError struct{ sig syscall.Signal }

func (e *signalError) Error() string {
	name := map[syscall.Signal]string{syscall.SIGINT: "SIGINT", syscall.SIGTERM: "SIGTERM"}[e.sig] // main's
	return fmt.Sprintf("interrupted by %s; the command was not started", name)
}

// reportError is an error of run with what exit needs to report it.
type reportError struct {
	err     error
	json    bool   // --log-format json
	command string // the subcommand, if any
	outcome string // what was left undone, such as "the command was not started"
}

func (e *reportError) Error() string { return e.err.Error() }
func (e *reportError) Unwrap() error { return e.err }

// exitCode maps an error returned by run to the process's exit code.
func exitCode(err error) int {
	var (
		usage *pipeline.UsageError
		sig   *signalError
		errs  resolver.Errors
		file  *exec.FileError
		out   *render.Error
		fmtv  *envfmt.VarError
		check *checkError
		prog  *watch.ProgramError
	)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &prog):
		return prog.Exit.ExitCode()
	case errors.Is(err, watch.ErrChanged):
		return exitChanged
	case errors.As(err, &sig):
		return exitSignalOffset + int(sig.sig)
	case errors.As(err, &usage), errors.Is(err, awsapi.ErrNoRegion):
		return exitUsage
	case errors.As(err, &errs) && len(errs) > 0 && errs[0].Code == resolver.CodeSyntax:
		return exitSyntax
	case errors.As(err, &errs):
		return exitResolve
	case errors.As(err, &file), errors.As(err, &out), errors.As(err, &fmtv):
		return exitOutput
	case errors.As(err, &check):
		return check.code
	case errors.Is(err, exec.ErrNotFound):
		return exitNotFound
	case errors.Is(err, exec.ErrNotExecutable):
		return exitNotExec
	}
	return exitInternal
}

// exit reports err on stderr, by the rules of package report, and
// returns the exit code for it. A subcommand's usage error starts with its
// name, and its hint points at its help.
func exit(stderr io.Writer, err error) int {
	code := exitCode(err)
	if code == exitOK || errors.As(err, new(*watch.ProgramError)) {
		return code // a supervised program's exit is its own to report
	}
	rep := &reportError{err: err, outcome: "the command was not started"}
	errors.As(err, &rep)
	w := report.New(stderr, rep.json)
	if errs := resolver.Errors(nil); errors.As(err, &errs) {
		what := map[bool]string{true: "could not be parsed", false: "could not be resolved"}[code == exitSyntax]
		w.Failures(errs, code, what, rep.outcome)
		return code
	}
	msg, hint := err.Error(), ""
	if code == exitUsage {
		hint = "run valuefrom -h for usage"
		if rep.command != "" {
			msg, hint = rep.command+": "+msg, "run valuefrom "+rep.command+" -h for usage"
		}
		if usage := (*pipeline.UsageError)(nil); errors.As(err, &usage) && usage.Hint != "" {
			hint = usage.Hint
		}
	}
	if code == exitWarnings {
		w.Warning(msg, code)
	} else {
		w.Error(msg, hint, code)
	}
	return code
}

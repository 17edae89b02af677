package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"syscall"

	"github.com/valuefrom/valuefrom/exec"
	"github.com/valuefrom/valuefrom/internal/envfmt"
	"github.com/valuefrom/valuefrom/internal/render"
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
	exitNotExec      = 126 // the command was found but cannot be executed
	exitNotFound     = 127 // the command was not found
	exitSignalOffset = 128 // interrupted by a signal: 128 + its number
)

// usageError is a bad flag, argument or setting.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return &usageError{fmt.Errorf(format, a...)} }

// checkError is the outcome of check or policy when not every row is ok.
type checkError struct {
	fail bool   // some reference would not resolve
	n    int    // the rows that fail, or else that warn
	what string // "policy" for policy's warnings
}

func (e *checkError) Error() string {
	switch {
	case e.what == "policy":
		return fmt.Sprintf("%d %s: the policy may be incomplete", e.n, plural(e.n, "warning", "warnings"))
	case e.fail:
		return fmt.Sprintf("%d %s would not resolve", e.n, plural(e.n, "reference", "references"))
	}
	return fmt.Sprintf("%d %s with warnings", e.n, plural(e.n, "reference", "references"))
}

// hintError is an error that brings its own hint line.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }

// signalError is the cause of work cancelled by a signal.
type signalError struct{ sig syscall.Signal }

func (e *signalError) Error() string {
	name := map[syscall.Signal]string{syscall.SIGINT: "SIGINT", syscall.SIGTERM: "SIGTERM"}[e.sig]
	if name == "" {
		name = e.sig.String()
	}
	return fmt.Sprintf("interrupted by %s; the command was not started", name)
}

// reportError carries what exit needs to report an error that run knows
// and the environment does not say: --log-format json, and what was left
// undone ("the command was not started" unless said otherwise).
type reportError struct {
	err     error
	json    bool
	outcome string
}

func (e *reportError) Error() string { return e.err.Error() }
func (e *reportError) Unwrap() error { return e.err }

// outcomes say what a subcommand left undone when references failed.
var outcomes = map[string]string{
	"env":    "nothing was printed",
	"render": "nothing was written",
	"policy": "no policy was printed",
	"check":  "nothing was checked",
	"serve":  "the server was not started",
}

// exitCode maps an error returned by run to the process's exit code.
func exitCode(err error) int {
	var (
		usage *usageError
		sig   *signalError
		errs  resolver.Errors
		file  *exec.FileError
		out   *render.Error
		fmtv  *envfmt.VarError
		check *checkError
	)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &sig):
		return exitSignalOffset + int(sig.sig)
	case errors.As(err, &usage):
		return exitUsage
	case errors.As(err, &errs):
		if len(errs) > 0 && errs[0].Code == resolver.CodeSyntax {
			return exitSyntax
		}
		return exitResolve
	case errors.As(err, &file), errors.As(err, &out), errors.As(err, &fmtv):
		return exitOutput
	case errors.As(err, &check) && check.fail:
		return exitFailures
	case errors.As(err, &check):
		return exitWarnings
	case errors.Is(err, exec.ErrNotFound):
		return exitNotFound
	case errors.Is(err, exec.ErrNotExecutable):
		return exitNotExec
	}
	return exitInternal
}

// exit reports err on stderr and returns the exit code for it.
//
// The rules of what valuefrom prints: every line on stderr starts with
// "valuefrom: " so that it can be found in a container's log; an error is
// "valuefrom: error: " and what to do about it "valuefrom: hint: "; one
// error line per failing variable, naming the variable and the reference,
// never the value. With VALUEFROM_LOG_FORMAT=json each error is instead one
// JSON object per line.
func exit(stderr io.Writer, environ []string, err error) int {
	code := exitCode(err)
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return code
	}
	rep := &reportError{outcome: "the command was not started"}
	errors.As(err, &rep)
	jsonFormat := rep.json || exec.Getenv(environ, "VALUEFROM_LOG_FORMAT") == "json"
	var errs resolver.Errors
	if !errors.As(err, &errs) {
		if jsonFormat {
			slog.New(slog.NewJSONHandler(stderr, nil)).Error(err.Error(), "exit_code", code)
			return code
		}
		level := "error"
		if code == exitWarnings {
			level = "warning"
		}
		fmt.Fprintf(stderr, "valuefrom: %s: %v\n", level, err)
		var h *hintError
		if errors.As(err, &h) {
			fmt.Fprintf(stderr, "valuefrom: hint: %s\n", h.hint)
		} else if code == exitUsage {
			fmt.Fprintf(stderr, "valuefrom: hint: run valuefrom -h for usage\n")
		}
		return code
	}
	if jsonFormat {
		log := slog.New(slog.NewJSONHandler(stderr, nil))
		for _, e := range errs {
			log.Error("reference failed", "var", e.Var, "ref", e.Ref.String(), "code", e.Code,
				"request_id", e.RequestID, "error", e.Error(), "hint", e.Hint, "exit_code", code)
		}
		return code
	}
	for _, e := range errs {
		fmt.Fprintf(stderr, "valuefrom: error: %v\n", e)
		if e.Hint != "" {
			fmt.Fprintf(stderr, "valuefrom: hint: %s\n", e.Hint)
		}
	}
	what := "could not be resolved"
	if code == exitSyntax {
		what = "could not be parsed"
	}
	fmt.Fprintf(stderr, "valuefrom: error: %d %s %s; %s\n", len(errs), plural(len(errs), "reference", "references"), what, rep.outcome)
	return code
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"syscall"

	"github.com/valuefrom/valuefrom/exec"
	"github.com/valuefrom/valuefrom/internal/awsapi"
	"github.com/valuefrom/valuefrom/internal/envfmt"
	"github.com/valuefrom/valuefrom/internal/pipeline"
	"github.com/valuefrom/valuefrom/internal/render"
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

// exit reports err on stderr and returns the exit code for it.
//
// The rules of what valuefrom prints: every line on stderr starts with
// "valuefrom: " so that it can be found in a container's log; an error is
// "valuefrom: error: " and what to do about it "valuefrom: hint: "; one
// error line per failing variable, naming the variable and the reference,
// never the value; failures that share a hint come together, followed by
// their hint once. A subcommand's usage error starts with its name, and
// its hint points at its help. With --log-format json each error, and
// each hint with the variables it is for, is instead one JSON object per
// line.
func exit(stderr io.Writer, err error) int {
	code := exitCode(err)
	if code == exitOK || errors.As(err, new(*watch.ProgramError)) {
		return code // a supervised program's exit is its own to report
	}
	rep := &reportError{err: err, outcome: "the command was not started"}
	errors.As(err, &rep)
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	var errs resolver.Errors
	if errors.As(err, &errs) {
		for _, g := range byHint(errs) {
			for _, e := range g.errs {
				if rep.json {
					attrs := []any{"var", e.Var, "ref", e.Ref.String(), "code", e.Code}
					if e.RequestID != "" {
						attrs = append(attrs, "request_id", e.RequestID)
					}
					log.Error("reference failed", append(attrs, "error", e.Error(), "exit_code", code)...)
				} else {
					fmt.Fprintf(stderr, "valuefrom: error: %v\n", e)
				}
			}
			switch {
			case g.hint == "":
			case rep.json:
				vars := make([]string, len(g.errs))
				for i, e := range g.errs {
					vars[i] = e.Var
				}
				log.Error("hint", "hint", g.hint, "vars", vars, "exit_code", code)
			default:
				fmt.Fprintf(stderr, "valuefrom: hint: %s\n", g.hint)
			}
		}
		what := map[bool]string{true: "could not be parsed", false: "could not be resolved"}[code == exitSyntax]
		if !rep.json {
			fmt.Fprintf(stderr, "valuefrom: error: %d %s %s; %s\n", len(errs), plural(len(errs), "reference", "references"), what, rep.outcome)
		}
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
	switch {
	case rep.json && hint != "":
		log.Error(msg, "hint", hint, "exit_code", code)
	case rep.json:
		log.Error(msg, "exit_code", code)
	case code == exitWarnings:
		fmt.Fprintf(stderr, "valuefrom: warning: %s\n", msg)
	default:
		fmt.Fprintf(stderr, "valuefrom: error: %s\n", msg)
	}
	if hint != "" && !rep.json {
		fmt.Fprintf(stderr, "valuefrom: hint: %s\n", hint)
	}
	return code
}

// hintGroup is the failures that share one hint, one cause.
type hintGroup struct {
	hint string
	errs resolver.Errors
}

// byHint groups errs by their hint, in the order each hint first comes,
// keeping errs' order within a group: fifty failures of one cause get
// fifty error lines and one hint.
func byHint(errs resolver.Errors) []*hintGroup {
	var groups []*hintGroup
	index := map[string]*hintGroup{}
	for _, e := range errs {
		g := index[e.Hint]
		if g == nil {
			g = &hintGroup{hint: e.Hint}
			index[e.Hint] = g
			groups = append(groups, g)
		}
		g.errs = append(g.errs, e)
	}
	return groups
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

package report

import (
	"errors"
	"flag"
	"io"

	"github.com/valuefrom/valuefrom/exec"
	"github.com/valuefrom/valuefrom/internal/awsapi"
	"github.com/valuefrom/valuefrom/internal/envfmt"
	"github.com/valuefrom/valuefrom/internal/pipeline"
	"github.com/valuefrom/valuefrom/internal/render"
	"github.com/valuefrom/valuefrom/internal/watch"
	"github.com/valuefrom/valuefrom/resolver"
)

// Exit codes, as valuefrom -h lists them. After a successful exec the
// exit code is the command's own.
const (
	ExitOK           = 0
	ExitInternal     = 1   // an unexpected error
	ExitUsage        = 2   // a bad flag, argument or VALUEFROM_* setting
	ExitSyntax       = 3   // a value starts like a reference but does not parse
	ExitResolve      = 4   // a reference could not be resolved
	ExitOutput       = 5   // a value could not be written: to its file, rendered, or in a format
	ExitWarnings     = 6   // check: warnings but no failure; policy: written, with warnings
	ExitFailures     = 7   // check: at least one reference would not resolve
	ExitChanged      = 8   // supervise mode: a value changed and VALUEFROM_ON_CHANGE is exit
	ExitNotExec      = 126 // the command was found but cannot be executed
	ExitNotFound     = 127 // the command was not found
	ExitSignalOffset = 128 // interrupted by a signal: 128 + its number
)

// A CheckError is the outcome of check or policy when not every row is
// ok: Code is ExitWarnings or ExitFailures.
type CheckError struct {
	Code int
	Msg  string
}

func (e *CheckError) Error() string { return e.Msg }

// A RunError is an error of a run with what Exit needs to report it.
type RunError struct {
	Err     error
	JSON    bool   // --log-format json
	Command string // the subcommand, if any
	Outcome string // what was left undone, such as "the command was not started"
}

func (e *RunError) Error() string { return e.Err.Error() }
func (e *RunError) Unwrap() error { return e.Err }

// ExitCode maps an error of a run to its exit code; a signal's, 128+N, is
// the caller's to know.
func ExitCode(err error) int {
	var (
		usage *pipeline.UsageError
		errs  resolver.Errors
		file  *exec.FileError
		out   *render.Error
		fmtv  *envfmt.VarError
		check *CheckError
		prog  *watch.ProgramError
		stop  *exec.StopError
	)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.As(err, &prog):
		return prog.Exit.ExitCode()
	case errors.As(err, &stop): // a stop signal before the program started
		return stop.ExitCode()
	case errors.Is(err, watch.ErrChanged):
		return ExitChanged
	case errors.As(err, &usage), errors.Is(err, awsapi.ErrNoRegion):
		return ExitUsage
	case errors.As(err, &errs) && len(errs) > 0 && errs[0].Code == resolver.CodeSyntax:
		return ExitSyntax
	case errors.As(err, &errs):
		return ExitResolve
	case errors.As(err, &file), errors.As(err, &out), errors.As(err, &fmtv):
		return ExitOutput
	case errors.As(err, &check):
		return check.Code
	case errors.Is(err, exec.ErrNotFound):
		return ExitNotFound
	case errors.Is(err, exec.ErrNotExecutable):
		return ExitNotExec
	}
	return ExitInternal
}

// Exit reports err, which ends a run with the exit code code, on w and
// returns code. It takes whether to write JSON, the subcommand and what
// was left undone from the RunError in err, if any. A subcommand's usage
// error starts with its name, and its hint points at its help.
func Exit(w io.Writer, err error, code int) int {
	if code == ExitOK || errors.As(err, new(*watch.ProgramError)) {
		return code // a supervised program's exit is its own to report
	}
	run := &RunError{Err: err, Outcome: "the command was not started"}
	errors.As(err, &run)
	r := New(w, run.JSON)
	if errs := resolver.Errors(nil); errors.As(err, &errs) {
		what := map[bool]string{true: "could not be parsed", false: "could not be resolved"}[code == ExitSyntax]
		r.Failures(errs, code, what, run.Outcome)
		return code
	}
	msg, hint := err.Error(), ""
	if code == ExitUsage {
		hint = "run valuefrom -h for usage"
		if run.Command != "" {
			msg, hint = run.Command+": "+msg, "run valuefrom "+run.Command+" -h for usage"
		}
		if usage := (*pipeline.UsageError)(nil); errors.As(err, &usage) && usage.Hint != "" {
			hint = usage.Hint
		}
	}
	if code == ExitWarnings {
		r.Warning(msg, code)
	} else {
		r.Error(msg, hint, code)
	}
	return code
}

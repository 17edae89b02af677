package report

import (
	"errors"
	"io"

	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/resolver"
)

// A CheckError is the outcome of check or policy when not every row is
// ok: Code is exitcode.Warnings or exitcode.Failures.
type CheckError struct {
	Code int
	Msg  string
}

func (e *CheckError) Error() string { return e.Msg }
func (e *CheckError) ExitCode() int { return e.Code }

// A RunError is an error of a run with what Exit needs to report it.
type RunError struct {
	Err     error
	JSON    bool   // --log-format json
	Command string // the subcommand, if any
	Outcome string // what was left undone, such as "the command was not started"
	// Hint, when set, is what to do about Err, in place of the one its
	// code would get.
	Hint string
}

func (e *RunError) Error() string { return e.Err.Error() }
func (e *RunError) Unwrap() error { return e.Err }

// ExitCode maps an error of a run to its exit code (see package
// exitcode): the code the error carries, else exitcode.Resolve for
// references that failed to resolve. A signal's code, 128+N, is the
// caller's to know.
func ExitCode(err error) int {
	if errors.As(err, new(exitcode.Coder)) || !errors.As(err, new(resolver.Errors)) {
		return exitcode.Of(err)
	}
	return exitcode.Resolve
}

// Exit reports err, which ends a run with the exit code code, on w and
// returns code. It takes whether to write JSON, the subcommand and what
// was left undone from the RunError in err, if any. A subcommand's usage
// error starts with its name, and its hint points at its help.
func Exit(w io.Writer, err error, code int) int {
	if code == exitcode.OK || errors.As(err, new(exitcode.Quiet)) {
		return code // a supervised program's exit is its own to report
	}
	run := &RunError{Err: err, Outcome: "the command was not started"}
	errors.As(err, &run)
	r := New(w, run.JSON)
	if errs := resolver.Errors(nil); errors.As(err, &errs) {
		what := map[bool]string{true: "could not be parsed", false: "could not be resolved"}[code == exitcode.Syntax]
		r.Failures(errs, code, what, run.Outcome)
		return code
	}
	msg, hint := err.Error(), ""
	if code == exitcode.Usage {
		hint = "run valuefrom -h for usage"
		if run.Command != "" {
			msg, hint = run.Command+": "+msg, "run valuefrom "+run.Command+" -h for usage"
		}
		if usage := (*exitcode.UsageError)(nil); errors.As(err, &usage) && usage.Hint != "" {
			hint = usage.Hint
		}
	}
	if run.Hint != "" {
		hint = run.Hint
	}
	if code == exitcode.Warnings {
		r.Warning(msg, code)
	} else {
		r.Error(msg, hint, code)
	}
	return code
}

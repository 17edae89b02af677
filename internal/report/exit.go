package report

import (
	"context"
	"errors"
	"io"
	"strings"

	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/platform"
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

// Exit reports err, which ends a run with the exit code code, on w and
// returns code. It takes whether to write JSON, the subcommand and what
// was left undone from the RunError in err, if any. A subcommand's usage
// error starts with its name, and its hint points at its help.
func Exit(w io.Writer, err error, code int) int {
	if code == exitcode.OK || errors.As(err, new(exitcode.Quiet)) {
		return code // a supervised program's exit is its own to report
	}
	run := runOf(err)
	write(New(w, run.JSON), err, code, run)
	return code
}

// runOf returns the RunError in err, or one with the defaults.
func runOf(err error) *RunError {
	run := &RunError{Err: err, Outcome: "the command was not started"}
	errors.As(err, &run)
	return run
}

// write writes the report of err, which ends run with code, with r.
func write(r *Writer, err error, code int, run *RunError) {
	if errs := resolver.Errors(nil); errors.As(err, &errs) {
		what := map[bool]string{true: "could not be parsed", false: "could not be resolved"}[code == exitcode.Syntax]
		r.Failures(errs, code, what, run.Outcome)
		return
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
}

// ToLambda reports a start that failed with err and the exit code code
// to Lambda's Runtime API, on the platform on, as an init error (see
// platform.Platform.ReportInitError), after Exit has written it: its
// errorType is InitErrorType's, its errorMessage the lines Exit writes,
// as text whatever the log format, so that the answer to the invoke says
// what failed. A report that fails is a warning on w and changes nothing
// else: the exit code is still code. It does nothing off Lambda, for a
// run that ended well, or for a supervised program's own exit.
func ToLambda(ctx context.Context, on platform.Platform, w io.Writer, err error, code int) {
	if !on.Lambda || code == exitcode.OK || errors.As(err, new(exitcode.Quiet)) {
		return
	}
	run := runOf(err)
	var msg strings.Builder
	write(New(&msg, false), err, code, run)
	if rerr := on.ReportInitError(ctx, InitErrorType(code), strings.TrimSuffix(msg.String(), "\n")); rerr != nil {
		New(w, run.JSON).Warning("the failure could not be told to Lambda: "+rerr.Error(), 0)
	}
}

// InitErrorType is the errorType of the init error for the exit code
// code, Valuefrom.REASON as Lambda asks (CATEGORY.REASON).
func InitErrorType(code int) string {
	reason := map[int]string{
		exitcode.Usage:    "UsageError",
		exitcode.Syntax:   "SyntaxError",
		exitcode.Resolve:  "ResolveError",
		exitcode.Output:   "OutputError",
		exitcode.NotExec:  "CommandNotExecutable",
		exitcode.NotFound: "CommandNotFound",
	}[code]
	switch {
	case reason != "":
	case code > exitcode.SignalOffset:
		reason = "Interrupted"
	default:
		reason = "InternalError"
	}
	return "Valuefrom." + reason
}

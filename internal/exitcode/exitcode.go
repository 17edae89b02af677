// Package exitcode is the one definition of valuefrom's exit codes, as
// valuefrom help exit-codes and docs/exit-codes.md list them. An error that ends a run carries
// its code (an ExitCode() int method, as os/exec's ExitError and
// exec.Exit have), so that mapping an error to its code needs no import
// of the package that made it: see Of.
//
// After a successful exec the exit code is the program's own.
package exitcode

import (
	"errors"
	"flag"
)

// The exit codes.
const (
	OK           = 0
	Internal     = 1   // an unexpected error
	Usage        = 2   // a bad flag, argument or VALUEFROM_* setting
	Syntax       = 3   // a value starts like a reference, or nearly, but does not parse; a task definition's entry ECS would refuse
	Resolve      = 4   // a reference could not be resolved
	Output       = 5   // a value could not be written: to its file, rendered, or in a format
	Warnings     = 6   // check: warnings but no failure; policy: written, with warnings
	Failures     = 7   // check: at least one reference would not resolve
	Changed      = 8   // supervise mode: a value changed and VALUEFROM_ON_CHANGE is exit
	NotExec      = 126 // the command was found but cannot be executed
	NotFound     = 127 // the command was not found
	SignalOffset = 128 // interrupted by a signal: 128 + its number
)

// A Coder is an error that knows the exit code it ends a run with.
type Coder interface {
	error
	ExitCode() int
}

// Of returns the exit code of err: OK for nil or a request for help, the
// code of the first error in its chain that carries one, else Internal.
func Of(err error) int {
	var c Coder
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return OK
	case errors.As(err, &c):
		return c.ExitCode()
	}
	return Internal
}

// An Error is an error with the exit code it ends a run with.
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }
func (e *Error) ExitCode() int { return e.Code }

// A UsageError is a mistake in how valuefrom was asked to run: a bad flag
// or setting, a task definition that cannot be used, a short-form
// reference with no default region. It ends a run with Usage.
type UsageError struct {
	Err  error
	Hint string // what to do about it, when more than reading the help
}

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }
func (e *UsageError) ExitCode() int { return Usage }

// Quiet is implemented by an error whose run ends with its code but no
// report: a supervised program's own exit, which the program has already
// explained, if it wanted to.
type Quiet interface {
	error
	Quiet()
}

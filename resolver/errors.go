package resolver

import (
	"github.com/valuefrom/valuefrom/resolver/reference"

	"fmt"
	"strings"

	"github.com/valuefrom/valuefrom/internal/awsapi"
	"github.com/valuefrom/valuefrom/internal/exitcode"
)

// An Error says why one variable's reference could not be resolved. It
// names the variable and the reference, never the value.
type Error struct {
	Var string // the environment variable
	Ref reference.Ref
	// Code is the AWS error code, or one of valuefrom's own for failures
	// that are not AWS errors (docs/logs-and-errors.md lists them).
	Code      string
	RequestID string // the AWS request id, when AWS answered
	// Hint says what to do about it. The resolver leaves it empty: a
	// caller that knows its users' words fills it.
	Hint string
	Err  error
}

// codeOtherAccount marks an answer by name that came from another
// account than the reference's ARN names; the ARN is asked next.
const codeOtherAccount = "OtherAccount"

func (e *Error) Error() string {
	var b strings.Builder
	// The reference is quoted: one that ends in colons (NAME:password::)
	// must not run into the separator.
	b.WriteString(reference.QuoteName(e.Var))
	if ref := e.Ref.String(); ref != "" {
		fmt.Fprintf(&b, ": %q", ref)
	}
	fmt.Fprintf(&b, ": %s", e.Code)
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request id %s)", e.RequestID)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %s", awsapi.Message(e.Err))
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Errors is every variable that failed, in the order of the requests.
type Errors []*Error

// ExitCode is exitcode.Resolve: references that could not be resolved.
// Malformed ones are wrapped in an error of their own code (see
// pipeline.Find).
func (es Errors) ExitCode() int { return exitcode.Resolve }

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

func (es Errors) Unwrap() []error {
	errs := make([]error, len(es))
	for i, e := range es {
		errs[i] = e
	}
	return errs
}

// fetchError is a failed fetch, before it is attributed to variables.
type fetchError struct {
	code, requestID string
	err             error
}

// classify turns an error from the SDK into a fetchError.
func classify(err error) *fetchError {
	c := awsapi.Classify(err)
	return &fetchError{code: c.Code, requestID: c.RequestID, err: err}
}

package resolver

import (
	"github.com/valuefrom/valuefrom/resolver/reference"

	"fmt"
	"strings"

	"github.com/valuefrom/valuefrom/internal/awsapi"
)

// An Error says why one variable's reference could not be resolved. It
// names the variable and the reference, never the value.
type Error struct {
	Var       string // the environment variable
	Ref       reference.Ref
	Code      string // the AWS error code, or one of valuefrom's own
	RequestID string // the AWS request id, when AWS answered
	Hint      string // what to do about it, from Config.Hint
	Err       error
}

// Error codes of valuefrom's own, for failures that are not AWS errors.
const (
	CodeSyntax           = awsapi.CodeSyntax           // a value starts like a reference but does not parse
	CodeNotFound         = awsapi.CodeNotFound         // GetParameters listed the name as invalid
	CodeJSONKey          = awsapi.CodeJSONKey          // the key is not in the secret's JSON object
	CodeNotJSONObject    = awsapi.CodeNotJSONObject    // a JSON key was asked of a value that is no JSON object
	CodeBinary           = awsapi.CodeBinary           // binary bytes cannot go in the environment
	CodeTimeout          = awsapi.CodeTimeout          // the context's deadline passed
	CodeCanceled         = awsapi.CodeCanceled         // the context was canceled
	CodeNetwork          = awsapi.CodeNetwork          // AWS could not be reached
	CodeCredentials      = awsapi.CodeCredentials      // no credentials could be found
	CodeNoRegion         = awsapi.CodeNoRegion         // a short form needs a default region
	CodeInternal         = awsapi.CodeInternal         // AWS's answer did not hold what was asked
	CodeResponseTooLarge = awsapi.CodeResponseTooLarge // AWS's answer was larger than any value can be
	CodeARNMismatch      = awsapi.CodeARNMismatch      // the answer is not the secret the ARN names

	// codeOtherAccount marks an answer by name that came from another
	// account than the reference's ARN names; the ARN is asked next.
	codeOtherAccount = "OtherAccount"
)

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

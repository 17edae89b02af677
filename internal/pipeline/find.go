// Package pipeline is the one path from an environment to resolved
// values that every mode of valuefrom takes.
package pipeline

import (
	"errors"

	"github.com/valuefrom/valuefrom/internal/awsapi"
	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/resolver"
	"github.com/valuefrom/valuefrom/resolver/reference"
)

// SyntaxHint is what to do about a value that starts like a reference but
// does not parse.
const SyntaxHint = "see `valuefrom help references` for the reference forms, or list the variable in VALUEFROM_IGNORE to pass it through as it is"

// Find returns the references in environ, skipping the names skip
// reports. Malformed references come back as resolver.Errors with code
// awsapi.CodeSyntax, every one of them, before any network call, in an
// error whose exit code is exitcode.Syntax.
func Find(environ []string, skip func(string) bool) ([]reference.Request, error) {
	reqs, err := reference.Find(environ, skip)
	var bad reference.Errors
	if !errors.As(err, &bad) {
		return reqs, err
	}
	errs := make(resolver.Errors, len(bad))
	for i, se := range bad {
		errs[i] = &resolver.Error{Var: se.Var, Ref: se.Ref, Code: awsapi.CodeSyntax, Err: errors.New(se.Reason), Hint: SyntaxHint}
	}
	return nil, &exitcode.Error{Code: exitcode.Syntax, Err: errs}
}

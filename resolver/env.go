package resolver

import (
	"errors"
	"strings"
)

// CodeSyntax is the Error code of a value that starts like a reference but
// does not parse.
const CodeSyntax = "MalformedReference"

// FileSuffix marks a variable whose value is written to a file, the
// variable then holding the file's path: the convention of the official
// postgres and mysql images.
const FileSuffix = "_FILE"

// Find returns a Request for each variable in environ ("NAME=VALUE"
// entries) whose value is a reference, in order, skipping the names for
// which skip reports true. A variable whose name ends in _FILE asks for its
// value in a file. Values that start like a reference but do not parse are
// returned as Errors with code CodeSyntax, all of them, before any network
// call.
func Find(environ []string, skip func(name string) bool) ([]Request, error) {
	var reqs []Request
	var errs Errors
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || (skip != nil && skip(name)) || !IsReference(value) {
			continue
		}
		ref, err := Parse(value)
		if err != nil {
			var se *SyntaxError
			if errors.As(err, &se) {
				err = errors.New(se.Reason)
			}
			errs = append(errs, &Error{Var: name, Ref: Ref{raw: quotable(value)}, Code: CodeSyntax, Err: err,
				Hint: "see `valuefrom -h` for the reference forms, or list the variable in VALUEFROM_IGNORE to pass it through as it is"})
			continue
		}
		reqs = append(reqs, Request{Var: name, Ref: ref, ToFile: strings.HasSuffix(name, FileSuffix)})
	}
	if errs != nil {
		return nil, errs
	}
	return reqs, nil
}

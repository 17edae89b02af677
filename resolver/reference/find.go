package reference

import (
	"errors"
	"strings"

	"github.com/valuefrom/valuefrom/internal/envlist"
)

// FileSuffix marks a variable whose value is written to a file, the
// variable then holding the file's path: the convention of the official
// postgres and mysql images.
const FileSuffix = "_FILE"

// A Request asks for one variable's reference.
type Request struct {
	Var string
	Ref Ref
	// ToFile says the value goes to a file, where binary bytes are fine.
	ToFile bool
}

// Errors is every malformed reference Find found, in the environment's
// order.
type Errors []*SyntaxError

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Holds reports whether kv, a NAME=VALUE entry, holds a value that
// starts like a reference (see Is) in a variable that skip, when not nil,
// does not skip: an entry Find looks at.
func Holds(kv string, skip func(name string) bool) bool {
	name, value, ok := envlist.Split(kv)
	return ok && (skip == nil || !skip(name)) && Is(value)
}

// Find returns a Request for each variable in environ ("NAME=VALUE"
// entries) whose value is a reference, in order, skipping the names for
// which skip reports true. A variable whose name ends in _FILE asks for its
// value in a file. Values that start like a reference but do not parse are
// returned as Errors, all of them, naming each variable.
func Find(environ []string, skip func(name string) bool) ([]Request, error) {
	var reqs []Request
	var errs Errors
	for _, kv := range environ {
		if !Holds(kv, skip) {
			continue
		}
		name, value, _ := envlist.Split(kv)
		ref, err := Parse(value)
		if err != nil {
			se := &SyntaxError{Ref: Ref{raw: quotable(value)}, Reason: err.Error()}
			errors.As(err, &se)
			se.Var = name
			errs = append(errs, se)
			continue
		}
		reqs = append(reqs, Request{Var: name, Ref: ref, ToFile: strings.HasSuffix(name, FileSuffix)})
	}
	if errs != nil {
		return nil, errs
	}
	return reqs, nil
}

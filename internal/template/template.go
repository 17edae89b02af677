// Package template renders configuration files that hold secrets, such as
// pgbouncer's userlist.txt, an nginx key file or a Java application.yml,
// from the variables valuefrom resolved. The language is small and runs
// no code:
//
//	{{ NAME }}                 the value of NAME, byte for byte
//	{{ NAME | FILTER }}        the value through a filter
//	{{ NAME | trim | json }}   filters chained, left to right
//	{{ NAME.key }}             a top-level key of a JSON object value
//	{{ NAME["key.with dots"] }}  the same, for any key
//	{{ "{{" }}                 a string, written as it is: how to write {{
//
// NAME is a shell identifier ([A-Za-z_][A-Za-z0-9_]*); a key after a dot
// is made of letters, digits, _ and -; a "string" knows the escapes \" and
// \\ and no others, and holds no newline. White space inside the braces is
// optional. Only {{ starts an action: }} and a lone { or } are text.
//
// The filters:
//
//	json    a JSON string literal, quotes included
//	yaml    a double-quoted YAML scalar with only the escapes YAML 1.1
//	        and 1.2 share, read back exactly in block and flow context
//	shell   a single-quoted POSIX shell word
//	url     percent-encoded: every byte but A-Z a-z 0-9 - . _ ~ as %XX
//	        (a space as %20), safe in a query, a path or a user:password
//	base64  standard base64, with padding
//	xml     escaped for XML text and quoted attribute values
//	trim    leading and trailing white space removed
//
// json, yaml and xml write control, format (bidi, zero-width, BOM) and
// separator characters as escapes, so that what a reader sees of the file
// is what a parser reads. A value that a filter cannot carry is an error,
// never a silent change: text that is not UTF-8 into json, yaml or xml; a
// NUL byte into shell; into xml, a control character other than tab,
// newline and carriage return, or U+FFFE or U+FFFF, which XML 1.0 forbids
// even as character references.
//
// Parse reports the first error; Render reports every action that failed,
// and returns no output then. Each *Error names the template,
// line and column (counted in characters, from 1) and the variable, never
// a value. A template reaches only the values its lookup function gives:
// it cannot read the process environment.
package template

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/valuefrom/valuefrom/resolver"
)

// A Template is a parsed template, safe for concurrent use.
type Template struct {
	name  string
	nodes []node
}

// A node is text, written as it is, or an action.
type node struct {
	text []byte
	act  *action
}

// An action is what one {{ ... }} writes.
type action struct {
	pos     Pos    // of the {{
	lit     []byte // the string operand, when isLit
	isLit   bool
	name    string // the variable, when not isLit
	namePos Pos
	key     string // the JSON key, when hasKey
	hasKey  bool
	keyPos  Pos
	filters []filterUse
}

type filterUse struct {
	*filter
	pos Pos
}

// A Pos is a place in a template: line and column, counted from 1, the
// column in characters.
type Pos struct {
	Line, Column int
}

// Name returns the name the template was parsed with.
func (t *Template) Name() string { return t.name }

// Names returns the variables the template uses, sorted, each once.
func (t *Template) Names() []string {
	var names []string
	for _, n := range t.nodes {
		if n.act != nil && !n.act.isLit {
			names = append(names, n.act.name)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// Render returns the template with each action replaced by what it
// writes. lookup returns the value of a variable, and whether it has one;
// it is the only source of values. Render is all or nothing: when an
// action fails it returns no output, and an error that joins (as
// errors.Join does) one *Error for each action that failed, in the order
// they appear; errors.As finds the first.
func (t *Template) Render(lookup func(name string) ([]byte, bool)) ([]byte, error) {
	out := []byte{}
	var errs []error
	for _, n := range t.nodes {
		if n.act == nil {
			out = append(out, n.text...)
			continue
		}
		v, err := t.eval(n.act, lookup)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, v...)
	}
	if errs != nil {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// eval returns what the action a writes.
func (t *Template) eval(a *action, lookup func(string) ([]byte, bool)) ([]byte, *Error) {
	v := a.lit
	if !a.isLit {
		var ok bool
		if v, ok = lookup(a.name); !ok {
			return nil, t.errorf(a.namePos, a.name, CodeUnknownName, "no such variable: a template reads only the variables valuefrom resolved, and with --template-env the environment's")
		}
	}
	if a.hasKey {
		field, err := resolver.JSONField(v, a.key)
		if err != nil {
			return nil, t.errorf(a.keyPos, a.name, err.Code, "%s", err.Err)
		}
		v = field
	}
	for _, f := range a.filters {
		out, reason := f.apply(v)
		if reason != "" {
			return nil, t.errorf(f.pos, a.name, CodeUnencodable, "filter %s: %s", f.name, reason)
		}
		v = out
	}
	return v, nil
}

// Codes of an Error. At parse time: CodeSyntax, CodeUnknownFilter. At
// render time: CodeUnknownName, CodeUnencodable, and the resolver's codes
// for JSON keys, awsapi.CodeJSONKey (the key is not in the object) and
// awsapi.CodeNotJSONObject (the value is not a JSON object).
const (
	CodeSyntax        = "TemplateSyntax"    // the template does not parse
	CodeUnknownFilter = "UnknownFilter"     // a filter the language does not have
	CodeUnknownName   = "UnknownVariable"   // lookup has no such variable
	CodeUnencodable   = "FilterCannotCarry" // a value a filter cannot carry
)

// An Error is one failure of a template, at parse time (Op "parse") or
// at render time (Op "render"). It names the variable and the JSON key or
// filter involved, never a value.
type Error struct {
	Op       string // "parse" or "render"
	Template string // the name given to Parse
	Pos      Pos
	Var      string // the variable, if the failure concerns one
	Code     string
	Reason   string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d:%d: ", e.Template, e.Pos.Line, e.Pos.Column)
	if e.Var != "" {
		b.WriteString(e.Var + ": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// errorf returns a render-time Error at pos.
func (t *Template) errorf(pos Pos, name, code, format string, args ...any) *Error {
	return &Error{Op: "render", Template: t.name, Pos: pos, Var: name, Code: code, Reason: fmt.Sprintf(format, args...)}
}

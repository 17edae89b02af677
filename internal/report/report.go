// Package report is how a run of valuefrom ends: the exit code for its
// error, and what it writes on stderr, for operators who grep a
// container's log.
//
// The rules: every text line starts with "valuefrom: "; an error is
// "valuefrom: error: ", a warning "valuefrom: warning: " and what to do
// about either "valuefrom: hint: "; one error line per failing variable,
// naming the variable and the reference, never the value; failures that
// share a hint come together, followed by their hint once. In JSON each
// error, warning and hint is instead one log/slog JSON object per line.
//
// Only cmd uses it; it is a package so that these rules are written, and
// tested, in one place apart from flag parsing.
package report

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/valuefrom/valuefrom/resolver"
)

// A Writer writes reports as text lines or JSON objects.
type Writer struct {
	w    io.Writer
	json bool
	log  *slog.Logger
}

// New returns a Writer to w, of JSON objects if json is set.
func New(w io.Writer, json bool) *Writer {
	return &Writer{w: w, json: json, log: slog.New(slog.NewJSONHandler(w, nil))}
}

// Failures writes one error per failure of errs, grouped by hint, and
// after each group its hint; in text, then a line that counts them: "2
// references could not be {what}; {outcome}". JSON objects carry code,
// the exit code.
func (r *Writer) Failures(errs resolver.Errors, code int, what, outcome string) {
	for _, g := range byHint(errs) {
		for _, e := range g.errs {
			if r.json {
				attrs := []any{"var", e.Var, "ref", e.Ref.String(), "code", e.Code}
				if e.RequestID != "" {
					attrs = append(attrs, "request_id", e.RequestID)
				}
				r.log.Error("reference failed", append(attrs, "error", e.Error(), "exit_code", code)...)
			} else {
				fmt.Fprintf(r.w, "valuefrom: error: %v\n", e)
			}
		}
		switch {
		case g.hint == "":
		case r.json:
			vars := make([]string, len(g.errs))
			for i, e := range g.errs {
				vars[i] = e.Var
			}
			r.log.Error("hint", "hint", g.hint, "vars", vars, "exit_code", code)
		default:
			fmt.Fprintf(r.w, "valuefrom: hint: %s\n", g.hint)
		}
	}
	if !r.json {
		fmt.Fprintf(r.w, "valuefrom: error: %d %s %s; %s\n", len(errs), Plural(len(errs), "reference", "references"), what, outcome)
	}
}

// Error writes msg, the error that ends a run with the exit code code,
// and its hint unless that is "".
func (r *Writer) Error(msg, hint string, code int) {
	r.end("error", msg, hint, code)
}

// Warning writes msg as a warning. With code 0 it is one on the way; else
// it ends the run with that exit code, and is in JSON an error object
// with the code, as Error writes.
func (r *Writer) Warning(msg string, code int) {
	if code == 0 && r.json {
		r.log.Warn(msg)
		return
	}
	r.end("warning", msg, "", code)
}

// end writes msg, a line for each of its lines (an error of several
// entries), then the hint.
func (r *Writer) end(level, msg, hint string, code int) {
	lines := strings.Split(msg, "\n")
	for i, line := range lines {
		last := i == len(lines)-1
		switch {
		case r.json && last && hint != "":
			r.log.Error(line, "hint", hint, "exit_code", code)
		case r.json:
			r.log.Error(line, "exit_code", code)
		default:
			fmt.Fprintf(r.w, "valuefrom: %s: %s\n", level, line)
		}
	}
	if !r.json && hint != "" {
		fmt.Fprintf(r.w, "valuefrom: hint: %s\n", hint)
	}
}

// hintGroup is the failures that share one hint, one cause.
type hintGroup struct {
	hint string
	errs resolver.Errors
}

// byHint groups errs by their hint, in the order each hint first comes,
// keeping errs' order within a group: fifty failures of one cause get
// fifty error lines and one hint.
func byHint(errs resolver.Errors) []*hintGroup {
	var groups []*hintGroup
	index := map[string]*hintGroup{}
	for _, e := range errs {
		g := index[e.Hint]
		if g == nil {
			g = &hintGroup{hint: e.Hint}
			index[e.Hint] = g
			groups = append(groups, g)
		}
		g.errs = append(g.errs, e)
	}
	return groups
}

// Plural returns one if n is 1, else many.
func Plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Package envfmt owns writing resolved variables in the forms other
// programs read them in: shell assignments for eval, a dotenv file for
// .env loaders, and a JSON object. It decides which variables of an
// environment are written (Select), how each format quotes a value, which
// names and values a format cannot carry, and whether a writer is a
// terminal, where secret values must not go by accident.
//
// The formats, exactly:
//
//	shell   export NAME='VALUE'
//	        one line per variable (more when VALUE holds newlines); VALUE
//	        is single-quoted, each ' in it written as '\'' ; every other
//	        byte, newlines included, is literal. Safe for eval in any
//	        POSIX shell, which reads VALUE back byte for byte.
//	dotenv  NAME="VALUE"
//	        one line per variable; in VALUE, \ is written \\, " is \",
//	        $ is \$, ` is \`, a newline is \n and a carriage return \r;
//	        every other character is literal. VALUE must be UTF-8, with
//	        no other control character than tab and no bidirectional,
//	        zero-width or separator character (see Reading dotenv).
//	json    {"NAME": "VALUE", ...}: one object, keys sorted, values as
//	        JSON strings, $ and ` written \u0024 and \u0060; NAME and
//	        VALUE must be UTF-8.
//
// In every format the variables come sorted by name, and NAME must be a
// shell identifier ([A-Za-z_][A-Za-z0-9_]*) except in json. A name or
// value that a format cannot carry is an error naming the variable, never
// a silent change: nothing is written.
//
// No format runs anything in a POSIX shell (sh, dash, bash) that sources
// it (set -a; . ./app.env) or evals it, even by mistake: shell quotes
// with single quotes; dotenv escapes, inside double quotes, exactly the
// four characters a shell treats specially there (\ " $ `), so a shell
// reads each dotenv value as written, except that a newline or carriage
// return comes out as the two characters \n or \r; json has no $ or `
// for a shell to expand, so sourcing it only fails to find commands.
//
// What reads the dotenv form: godotenv and docker compose's env_file read
// every escape above. python-dotenv reads \\, \", \n and \r but keeps \$
// and \` as they are (and expands ${NAME} unless told not to
// interpolate); Node's dotenv reads \n and \r only. None of them runs a
// command. docker run --env-file reads no quotes or escapes at all and
// cannot carry a newline: give it values without quotes, backslashes, $,
// ` or newlines, or use json or shell.
//
// # Reading dotenv
//
// ParseDotenv reads what the dotenv format writes, and the hand-written
// files of --env-file, by these rules and no others:
//
//	lines      end in \n or \r\n; the last may have no newline. Blank
//	           lines, and lines whose first non-blank character is #, are
//	           skipped; every other line is [export ]NAME=VALUE, with NAME
//	           a shell identifier and no space around =
//	"VALUE"    the form the writer writes: the escapes \\ \" \$ \` \n \r;
//	           any other backslash, an unescaped $ or `, or no closing "
//	           on the line is an error (nothing is expanded, ever)
//	'VALUE'    every byte literal up to the next ', on the same line
//	VALUE      unquoted: literal up to white space or the end of the line;
//	           it may not hold " ' \ $ or `, and may be empty
//
// After a value only white space and a # comment may follow. The file must
// be UTF-8, at most MaxDotenvSize bytes, and name each variable once. No
// line holds a raw control character but tab (C0, DEL, C1; a CR only as
// part of a CRLF line ending, so a file with CR-only line endings is
// refused), and no name or value a bidirectional formatting, zero-width,
// or line or paragraph separator character: each makes a terminal show
// the line other than a program reads it. An error names the file and
// line, never the value.
package envfmt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/valuefrom/valuefrom/internal/envlist"
	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/resolver/reference"
)

// A Format is one of the forms Encode writes.
type Format string

// The formats. See the package comment for their exact grammar.
const (
	Shell  Format = "shell"
	Dotenv Format = "dotenv"
	JSON   Format = "json"
)

// Formats lists the formats, in the order help texts name them.
var Formats = []Format{Shell, Dotenv, JSON}

// ParseFormat returns the format called name.
func ParseFormat(name string) (Format, error) {
	if f := Format(name); slices.Contains(Formats, f) {
		return f, nil
	}
	return "", fmt.Errorf("unknown format %q: want shell, dotenv or json", name)
}

// A Var is a variable to write.
type Var struct {
	Name  string
	Value string
}

// A VarError is a variable that a format cannot carry. It names the
// variable, never the value; a name that is not safe to show as it is
// (not UTF-8, or with control, format or separator characters) is
// escaped, as %q does.
type VarError struct {
	Var    string
	Format Format
	Reason string
}

func (e *VarError) ExitCode() int { return exitcode.Output }

func (e *VarError) Error() string {
	return fmt.Sprintf("%s: cannot be written as %s: %s", reference.QuoteName(e.Var), e.Format, e.Reason)
}

// Select returns the variables of environ ("NAME=VALUE" entries) for which
// want reports true, the last entry winning when a name repeats, sorted by
// name.
func Select(environ []string, want func(name string) bool) []Var {
	byName := map[string]string{}
	for _, kv := range environ {
		name, value, ok := envlist.Split(kv)
		if ok && want(name) {
			byName[name] = value
		}
	}
	vars := make([]Var, 0, len(byName))
	for name, value := range byName {
		vars = append(vars, Var{Name: name, Value: value})
	}
	// sort.Slice, not slices.SortFunc: a generic sort of a struct type adds
	// a copy of pdqsort to the binary (15-20 KB), whose budget is 12 MiB.
	sort.Slice(vars, func(i, j int) bool { return vars[i].Name < vars[j].Name })
	return vars
}

// Check reports the first variable that f cannot carry, as a *VarError.
func Check(f Format, vars []Var) error {
	for _, v := range vars {
		if reason := check(f, v); reason != "" {
			return &VarError{Var: v.Name, Format: f, Reason: reason}
		}
	}
	return nil
}

func check(f Format, v Var) string {
	if f != JSON && !IsIdentifier(v.Name) {
		return "the name is not a shell identifier ([A-Za-z_][A-Za-z0-9_]*)"
	}
	if f == JSON && v.Name == "" {
		return "the name is empty"
	}
	if f == JSON && !utf8.ValidString(v.Name) {
		// encoding/json would write U+FFFD for each bad byte: two names
		// could become one key, and a value be lost.
		return "the name is not UTF-8 text"
	}
	if strings.IndexByte(v.Value, 0) >= 0 {
		return "the value holds a NUL byte"
	}
	if f != Shell && !utf8.ValidString(v.Value) {
		return "the value is not UTF-8 text"
	}
	if f == Dotenv {
		// A newline and a CR are escaped; ParseDotenv refuses the rest.
		if r, ok := firstRune(v.Value, func(r rune) bool { return r != '\n' && r != '\r' && isHidden(r) }); ok {
			return fmt.Sprintf("the value holds U+%04X, a control or invisible formatting character that a dotenv file may not hold (use json or shell)", r)
		}
	}
	return ""
}

// IsIdentifier reports whether name is a shell identifier:
// [A-Za-z_][A-Za-z0-9_]*.
func IsIdentifier(name string) bool {
	if name == "" {
		return false
	}
	for i, c := range name {
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// Encode returns vars in format f, in the order given. It writes nothing
// when a variable cannot be carried (see Check).
func Encode(f Format, vars []Var) ([]byte, error) {
	if err := Check(f, vars); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	switch f {
	case Shell:
		for _, v := range vars {
			fmt.Fprintf(&b, "export %s=%s\n", v.Name, ShellQuote(v.Value))
		}
	case Dotenv:
		for _, v := range vars {
			fmt.Fprintf(&b, "%s=%s\n", v.Name, DotenvQuote(v.Value))
		}
	case JSON:
		obj := make(map[string]string, len(vars))
		for _, v := range vars {
			obj[v.Name] = v.Value
		}
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(obj); err != nil {
			return nil, fmt.Errorf("encoding JSON: %w", err) // not reached: values are checked
		}
		// $ and ` occur only inside strings; escaped, they give a shell
		// that sources the file nothing to expand.
		return []byte(jsonShellEscaper.Replace(b.String())), nil
	default:
		return nil, fmt.Errorf("unknown format %q", f)
	}
	return b.Bytes(), nil
}

// Write encodes vars in format f to w (see Encode).
func Write(w io.Writer, f Format, vars []Var) error {
	data, err := Encode(f, vars)
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// ShellQuote returns s single-quoted for a POSIX shell.
func ShellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// dotenvEscapes are the dotenv format's escapes inside double quotes:
// each character that is escaped, and the letter written after the
// backslash for it. DotenvQuote writes them and ParseDotenv reads them:
// the grammar is defined here once.
var dotenvEscapes = []struct{ char, letter byte }{
	{'\\', '\\'}, {'"', '"'}, {'$', '$'}, {'`', '`'}, {'\n', 'n'}, {'\r', 'r'},
}

// escapes lists the dotenv format's escapes, for errors: \\ \" \$ \` \n and \r.
func escapes() string {
	list := make([]string, len(dotenvEscapes))
	for i, e := range dotenvEscapes {
		list[i] = `\` + string(e.letter)
	}
	return strings.Join(list[:len(list)-1], " ") + " and " + list[len(list)-1]
}

var (
	dotenvEscaper    = newDotenvEscaper()
	jsonShellEscaper = strings.NewReplacer(`$`, `\u0024`, "`", `\u0060`)
)

func newDotenvEscaper() *strings.Replacer {
	var pairs []string
	for _, e := range dotenvEscapes {
		pairs = append(pairs, string(e.char), `\`+string(e.letter))
	}
	return strings.NewReplacer(pairs...)
}

// DotenvQuote returns s double-quoted with the escapes of the dotenv
// format: \ " $ ` are escaped with a backslash, as a shell reads them in
// double quotes, and newline and carriage return are written \n and \r.
func DotenvQuote(s string) string {
	return `"` + dotenvEscaper.Replace(s) + `"`
}

// IsTerminal reports whether w is a terminal: a character device other
// than /dev/null.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	null, err := os.Stat(os.DevNull)
	return err != nil || !os.SameFile(fi, null)
}

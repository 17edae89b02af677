package envfmt

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// MaxDotenvSize is the largest dotenv file ParseDotenv reads: far more
// than any environment holds, small enough that a wrong file (a log, a
// device) fails at once rather than filling memory.
const MaxDotenvSize = 1 << 20

// A SyntaxError is a line of a dotenv file that does not parse. It names
// the file, the line and what is wrong, never the value.
type SyntaxError struct {
	File   string
	Line   int // 0 when the error is about the whole file
	Reason string
}

func (e *SyntaxError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Reason)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason)
}

// ParseDotenv reads a dotenv file, as the package comment's "Reading
// dotenv" defines it, from r, and returns its variables as NAME=VALUE
// entries in the file's order. name is the file's name for errors. It
// reads at most MaxDotenvSize bytes; a larger file is an error. Every
// error is a *SyntaxError or the reader's own.
func ParseDotenv(r io.Reader, name string) ([]string, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxDotenvSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > MaxDotenvSize {
		return nil, &SyntaxError{File: name, Reason: fmt.Sprintf("larger than %d bytes", MaxDotenvSize)}
	}
	var entries []string
	seen := map[string]int{}
	for i, line := range bytes.Split(data, []byte("\n")) {
		n := i + 1
		fail := func(format string, a ...any) error {
			return &SyntaxError{File: name, Line: n, Reason: fmt.Sprintf(format, a...)}
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if !utf8.Valid(line) {
			return nil, fail("not UTF-8 text")
		}
		text := strings.TrimLeft(string(line), " \t")
		if text == "" || text[0] == '#' {
			continue
		}
		text = strings.TrimPrefix(text, "export ")
		key, rest, ok := strings.Cut(text, "=")
		if !ok {
			return nil, fail("not NAME=VALUE")
		}
		if !IsIdentifier(key) {
			return nil, fail("the name is not a shell identifier ([A-Za-z_][A-Za-z0-9_]*), or there is space around =")
		}
		value, reason := dotenvValue(rest)
		if reason != "" {
			return nil, fail("%s: %s", key, reason)
		}
		if first, dup := seen[key]; dup {
			return nil, fail("%s is set twice, first on line %d", key, first)
		}
		seen[key] = n
		entries = append(entries, key+"="+value)
	}
	return entries, nil
}

// dotenvValue reads the value after NAME=, and what may follow it: white
// space and a # comment. Its reason never quotes the value.
func dotenvValue(s string) (value, reason string) {
	var rest string
	switch {
	case strings.HasPrefix(s, `"`):
		value, rest, reason = doubleQuoted(s[1:])
	case strings.HasPrefix(s, `'`):
		end := strings.IndexByte(s[1:], '\'')
		if end < 0 {
			return "", "no closing ' (single-quoted values take no escapes and end on their line)"
		}
		value, rest = s[1:1+end], s[2+end:]
	default:
		end := strings.IndexAny(s, " \t")
		if end < 0 {
			end = len(s)
		}
		value, rest = s[:end], s[end:]
		if strings.ContainsAny(value, "\"'\\$`") {
			return "", `an unquoted value may not hold " ' \ $ or ` + "`" + `: put it in single quotes (taken as written, no ' inside), or in double quotes with the escapes ` + escapes()
		}
	}
	if reason != "" {
		return "", reason
	}
	if strings.ContainsRune(value, 0) {
		return "", "the value holds a NUL byte"
	}
	if rest := strings.TrimLeft(rest, " \t"); rest != "" && rest[0] != '#' {
		if s[0] != '"' && s[0] != '\'' {
			return "", "white space in an unquoted value: quote the value, or start a comment with #"
		}
		return "", "text after the closing quote: only white space and a # comment may follow"
	}
	return value, ""
}

// doubleQuoted reads a double-quoted value whose opening quote is gone,
// with the escapes of dotenvEscapes, and returns it and what follows the
// closing quote.
func doubleQuoted(s string) (value, rest, reason string) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			return b.String(), s[i+1:], ""
		case '$', '`':
			return "", "", fmt.Sprintf(`unescaped %c in a double-quoted value: write \%c`, c, c)
		case '\\':
			i++
			if i == len(s) {
				return "", "", "no closing \" (write a newline in a value as \\n)"
			}
			found := false
			for _, e := range dotenvEscapes {
				if s[i] == e.letter {
					b.WriteByte(e.char)
					found = true
					break
				}
			}
			if !found {
				return "", "", "unknown escape in a double-quoted value: the escapes are " + escapes()
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", "", "no closing \" (write a newline in a value as \\n)"
}

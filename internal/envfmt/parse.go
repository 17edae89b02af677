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
		// A control character anywhere, comments included: a CR alone
		// ends a line in a terminal but not here, so that a file with
		// CR-only line endings would read as one line.
		if r, ok := firstRune(text, isControl); ok {
			key, _, _ := strings.Cut(strings.TrimPrefix(text, "export "), "=")
			if IsIdentifier(key) {
				return nil, fail("%s: %s", key, hiddenReason(r))
			}
			return nil, fail("%s", hiddenReason(r))
		}
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
		value, raw, reason := dotenvValue(rest)
		if reason != "" {
			return nil, fail("%s: %s", key, reason)
		}
		if r, ok := firstRune(raw, isHidden); ok {
			return nil, fail("%s: %s", key, hiddenReason(r))
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
// space and a # comment. raw is the value as written, quotes and escapes
// included. Its reason never quotes the value.
func dotenvValue(s string) (value, raw, reason string) {
	var rest string
	switch {
	case strings.HasPrefix(s, `"`):
		value, rest, reason = doubleQuoted(s[1:])
	case strings.HasPrefix(s, `'`):
		end := strings.IndexByte(s[1:], '\'')
		if end < 0 {
			return "", "", "no closing ' (single-quoted values take no escapes and end on their line)"
		}
		value, rest = s[1:1+end], s[2+end:]
	default:
		end := strings.IndexAny(s, " \t")
		if end < 0 {
			end = len(s)
		}
		value, rest = s[:end], s[end:]
		if strings.ContainsAny(value, "\"'\\$`") {
			return "", "", `an unquoted value may not hold " ' \ $ or ` + "`" + `: put it in single quotes (taken as written, no ' inside), or in double quotes with the escapes ` + escapes()
		}
	}
	if reason != "" {
		return "", "", reason
	}
	if rest := strings.TrimLeft(rest, " \t"); rest != "" && rest[0] != '#' {
		if s[0] != '"' && s[0] != '\'' {
			return "", "", "white space in an unquoted value: quote the value, or start a comment with #"
		}
		return "", "", "text after the closing quote: only white space and a # comment may follow"
	}
	return value, s[:len(s)-len(rest)], ""
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

// Characters a dotenv file may not hold raw, because a terminal or an
// editor shows the line other than a program reads it: a terminal that
// meets a carriage return (CR) in LD_PRELOAD="/tmp/x.so:<CR># removed"
// shows only the comment, while the loader loads /tmp/x.so. Nor may the
// writer write them (see check): the grammar is one. A newline and a CR
// have escapes in double quotes (\n, \r); the others have none.

// isControl reports whether r is a control character other than tab: C0
// (U+0000-U+001F), DEL (U+007F) or C1 (U+0080-U+009F). None belongs
// anywhere in a line, a comment included.
func isControl(r rune) bool {
	return r < 0x20 && r != '\t' || r >= 0x7f && r <= 0x9f
}

// isHidden reports whether r is a control character (see isControl), or
// a character that changes how a line displays without showing itself:
// a bidirectional formatting character (U+061C, U+200E, U+200F,
// U+202A-U+202E, U+2066-U+2069), a zero-width one (U+200B-U+200D, U+2060,
// U+FEFF) or a line or paragraph separator (U+2028, U+2029). A name or a
// value may not hold any of them raw; a comment may hold the others, such
// as the zero-width joiner of an emoji.
func isHidden(r rune) bool {
	switch {
	case isControl(r):
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	case r >= 0x200b && r <= 0x200d, r == 0x2060, r == 0xfeff, r == 0x2028, r == 0x2029:
		return true
	}
	return false
}

// firstRune returns the first rune of s for which is reports true.
func firstRune(s string, is func(rune) bool) (rune, bool) {
	for _, r := range s {
		if is(r) {
			return r, true
		}
	}
	return 0, false
}

// hiddenReason says why r may not be in a line of a dotenv file, naming
// the character by its code point, never the text around it.
func hiddenReason(r rune) string {
	switch {
	case r == '\r':
		return "a carriage return (CR, U+000D) inside a line: lines end in LF or CRLF, and a file with CR-only line endings is refused; in a value, write a CR as \\r in double quotes"
	case r == 0:
		return "a NUL byte (U+0000): a dotenv file is text"
	case isControl(r):
		return fmt.Sprintf("a control character (U+%04X): only tab may be written raw; in a value, write a newline or CR as \\n or \\r in double quotes", r)
	}
	return fmt.Sprintf("an invisible formatting character (U+%04X: bidirectional, zero-width or a line separator) in the name or value, which makes the line display other than it reads", r)
}

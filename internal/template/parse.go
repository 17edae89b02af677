package template

import (
	"bytes"
	"fmt"
	"unicode/utf8"

	"github.com/valuefrom/valuefrom/internal/envfmt"
)

// Parse parses the template src; name is what errors call it, such as
// its path. It reports the first error, an *Error with Op "parse".
func Parse(name string, src []byte) (*Template, error) {
	p := &parser{src: bytes.Clone(src), line: 1, col: 1}
	t := &Template{name: name}
	for p.off < len(p.src) {
		i := bytes.Index(p.src[p.off:], []byte("{{"))
		if i < 0 {
			i = len(p.src) - p.off
		}
		if i > 0 {
			t.nodes = append(t.nodes, node{text: p.src[p.off : p.off+i]})
			p.off += i
			continue
		}
		a, err := p.action()
		if err != nil {
			err.Template = name
			return nil, err
		}
		t.nodes = append(t.nodes, node{act: a})
	}
	return t, nil
}

// A parser reads a template from src[off:]. line and col are the
// position of src[cur], moved forward only, by pos.
type parser struct {
	src            []byte
	off            int
	cur, line, col int
}

// pos returns the position of src[off]; off is never before the last
// position asked for.
func (p *parser) pos(off int) Pos {
	for p.cur < off {
		r, n := utf8.DecodeRune(p.src[p.cur:])
		p.cur += n
		p.col++
		if r == '\n' {
			p.line, p.col = p.line+1, 1
		}
	}
	return Pos{Line: p.line, Column: p.col}
}

// errorf returns a parse Error at src[off]; Parse names the template.
func (p *parser) errorf(off int, code, format string, args ...any) *Error {
	return errorAt(p.pos(off), code, format, args...)
}

// errorAt returns a parse Error at pos.
func errorAt(pos Pos, code, format string, args ...any) *Error {
	return &Error{Op: "parse", Pos: pos, Code: code, Reason: fmt.Sprintf(format, args...)}
}

// escapeHint is what a syntax error right after {{ adds.
const escapeHint = `; to write {{ as text, write {{"{{"}}`

// action parses the action at src[off], which starts with {{.
func (p *parser) action() (*action, *Error) {
	a := &action{pos: p.pos(p.off)}
	unterminated := func() *Error {
		return errorAt(a.pos, CodeSyntax, "unterminated action: {{ with no }}")
	}
	p.off += 2
	p.space()
	switch c := p.peek(); {
	case p.off == len(p.src):
		return nil, unterminated()
	case c == '"':
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		a.lit, a.isLit = s, true
	case isNameByte(c):
		a.namePos = p.pos(p.off)
		if a.name = p.word(isNameByte); !envfmt.IsIdentifier(a.name) {
			return nil, errorAt(a.namePos, CodeSyntax, "%s is not a variable name: a name starts with a letter or _", a.name)
		}
		if err := p.key(a); err != nil {
			return nil, err
		}
	case c == '}' && p.at("}}"):
		return nil, p.errorf(p.off, CodeSyntax, "empty action: want a variable name or a \"string\"%s", escapeHint)
	default:
		return nil, p.errorf(p.off, CodeSyntax, "want a variable name or a \"string\", found %s%s", p.found(), escapeHint)
	}
	p.space()
	for p.peek() == '|' {
		p.off++
		p.space()
		off := p.off
		name := p.word(isNameByte)
		switch {
		case name == "" && p.off == len(p.src):
			return nil, unterminated()
		case name == "":
			return nil, p.errorf(off, CodeSyntax, "want a filter name after |, found %s", p.found())
		}
		f := lookupFilter(name)
		if f == nil {
			return nil, p.errorf(off, CodeUnknownFilter, "unknown filter %q; the filters are %s", name, filterList())
		}
		a.filters = append(a.filters, filterUse{filter: f, pos: p.pos(off)})
		p.space()
	}
	switch {
	case p.at("}}"):
		p.off += 2
		return a, nil
	case p.off == len(p.src):
		return nil, unterminated()
	}
	return nil, p.errorf(p.off, CodeSyntax, "want | or }}, found %s", p.found())
}

// key parses what may follow a variable's name: .key or ["key"].
func (p *parser) key(a *action) *Error {
	switch p.peek() {
	case '.':
		p.off++
		a.keyPos = p.pos(p.off)
		if a.key = p.word(isKeyByte); a.key == "" {
			return p.errorf(p.off, CodeSyntax, "want a key after %s., found %s; write a key with other characters as %s[\"key\"]", a.name, p.found(), a.name)
		}
	case '[':
		p.off++
		p.space()
		a.keyPos = p.pos(p.off)
		if p.peek() != '"' {
			return p.errorf(p.off, CodeSyntax, "want a \"key\" after %s[, found %s", a.name, p.found())
		}
		s, err := p.str()
		if err != nil {
			return err
		}
		a.key = string(s)
		p.space()
		if p.peek() != ']' {
			return p.errorf(p.off, CodeSyntax, "want ] after the key, found %s", p.found())
		}
		p.off++
	default:
		return nil
	}
	a.hasKey = true
	if c := p.peek(); c == '.' || c == '[' {
		return p.errorf(p.off, CodeSyntax, "a key selects a top-level key of a JSON object, one level; for a key with %q in it write %s[\"...\"]", c, a.name)
	}
	return nil
}

// str parses the "string" at src[off]: the escapes \" and \\ and no
// others, no newline.
func (p *parser) str() ([]byte, *Error) {
	start := p.pos(p.off)
	var s []byte
	for p.off++; p.off < len(p.src); p.off++ {
		switch c := p.src[p.off]; c {
		case '"':
			p.off++
			return s, nil
		case '\n':
			return nil, errorAt(start, CodeSyntax, "unterminated string: a \"string\" ends on its line")
		case '\\':
			if p.off+1 < len(p.src) && (p.src[p.off+1] == '"' || p.src[p.off+1] == '\\') {
				p.off++
				s = append(s, p.src[p.off])
				continue
			}
			return nil, p.errorf(p.off, CodeSyntax, "unknown escape in a string: the escapes are \\\" and \\\\")
		default:
			s = append(s, c)
		}
	}
	return nil, errorAt(start, CodeSyntax, "unterminated string")
}

// space skips white space: spaces, tabs, newlines, carriage returns.
func (p *parser) space() {
	for p.off < len(p.src) && bytes.IndexByte([]byte(" \t\r\n"), p.src[p.off]) >= 0 {
		p.off++
	}
}

// word returns the run of bytes at src[off] for which ok reports true.
func (p *parser) word(ok func(byte) bool) string {
	start := p.off
	for p.off < len(p.src) && ok(p.src[p.off]) {
		p.off++
	}
	return string(p.src[start:p.off])
}

// peek returns src[off], or 0 at the end.
func (p *parser) peek() byte {
	if p.off < len(p.src) {
		return p.src[p.off]
	}
	return 0
}

func (p *parser) at(s string) bool { return bytes.HasPrefix(p.src[p.off:], []byte(s)) }

// found describes src[off] for an error: the character, quoted, or the end.
func (p *parser) found() string {
	if p.off == len(p.src) {
		return "the end of the template"
	}
	r, n := utf8.DecodeRune(p.src[p.off:])
	if r == utf8.RuneError && n == 1 {
		return fmt.Sprintf("the byte %#02x", p.src[p.off])
	}
	return fmt.Sprintf("%q", r)
}

// isNameByte reports whether c may be in a variable's or a filter's name.
func isNameByte(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// isKeyByte reports whether c may be in a key written after a dot.
func isKeyByte(c byte) bool { return isNameByte(c) || c == '-' }

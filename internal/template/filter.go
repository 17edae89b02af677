package template

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/valuefrom/valuefrom/internal/envfmt"
)

// A filter turns a value into another, or says why it cannot: apply
// returns a non-empty reason then, which names no part of the value.
type filter struct {
	name  string
	apply func(v []byte) (out []byte, reason string)
}

// filters are the language's filters, in the order errors and the docs
// list them.
var filters = []filter{
	{"json", quoteJSON},
	{"yaml", quoteYAML},
	{"shell", quoteShell},
	{"url", escapeURL},
	{"base64", encodeBase64},
	{"xml", escapeXML},
	{"trim", trim},
}

func lookupFilter(name string) *filter {
	for i := range filters {
		if filters[i].name == name {
			return &filters[i]
		}
	}
	return nil
}

// filterList is the filters' names, for an error: "json, yaml, ... and trim".
func filterList() string {
	names := make([]string, len(filters))
	for i, f := range filters {
		names[i] = f.name
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// Reasons a filter gives.
const (
	notUTF8 = "the value is not UTF-8 text"
	hasNUL  = "the value holds a NUL byte, which a shell word cannot"
)

// invisible reports whether a reader of a file cannot see r as what it
// is: a control character (C0, DEL, C1), a format character (bidi
// controls, zero-width characters, the BOM, the soft hyphen), a line or
// paragraph separator, or the noncharacter U+FFFE or U+FFFF. json, yaml
// and xml write these as escapes.
func invisible(r rune) bool {
	return unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) || r == 0xfffe || r == 0xffff
}

// escapeRunes returns v, which is UTF-8, with each rune for which escape
// returns a non-empty string written as that string.
func escapeRunes(b, v []byte, escape func(r rune) string) []byte {
	for len(v) > 0 {
		r, n := utf8.DecodeRune(v)
		if e := escape(r); e != "" {
			b = append(b, e...)
		} else {
			b = append(b, v[:n]...)
		}
		v = v[n:]
	}
	return b
}

// quoteJSON writes v as a JSON string literal.
func quoteJSON(v []byte) ([]byte, string) {
	return quoteDouble(v, func(r rune) string {
		if r > 0xffff {
			r1, r2 := utf16.EncodeRune(r)
			return fmt.Sprintf(`\u%04x\u%04x`, r1, r2)
		}
		return fmt.Sprintf(`\u%04x`, r)
	})
}

// quoteYAML writes v as a double-quoted YAML scalar.
func quoteYAML(v []byte) ([]byte, string) {
	return quoteDouble(v, func(r rune) string {
		switch {
		case r == 0:
			return `\0`
		case r <= 0xff:
			return fmt.Sprintf(`\x%02x`, r)
		case r <= 0xffff:
			return fmt.Sprintf(`\u%04x`, r)
		}
		return fmt.Sprintf(`\U%08x`, r)
	})
}

// quoteDouble writes v, which must be UTF-8 text, between double quotes
// with the escapes that JSON and YAML share (\" \\ \n \r \t), and every
// other invisible character as escape writes it.
func quoteDouble(v []byte, escape func(r rune) string) ([]byte, string) {
	if !utf8.Valid(v) {
		return nil, notUTF8
	}
	b := escapeRunes([]byte{'"'}, v, func(r rune) string {
		switch r {
		case '"':
			return `\"`
		case '\\':
			return `\\`
		case '\n':
			return `\n`
		case '\r':
			return `\r`
		case '\t':
			return `\t`
		}
		if invisible(r) {
			return escape(r)
		}
		return ""
	})
	return append(b, '"'), ""
}

// quoteShell writes v as a single-quoted POSIX shell word.
func quoteShell(v []byte) ([]byte, string) {
	if bytes.IndexByte(v, 0) >= 0 {
		return nil, hasNUL
	}
	return []byte(envfmt.ShellQuote(string(v))), ""
}

// escapeURL percent-encodes every byte of v but the unreserved characters
// of RFC 3986, so that every URL decoder reads it back: as a query value,
// a path segment or a user:password (a space is %20, never +).
func escapeURL(v []byte) ([]byte, string) {
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, len(v))
	for _, c := range v {
		if isNameByte(c) || c == '-' || c == '.' || c == '~' {
			b = append(b, c)
		} else {
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
	}
	return b, ""
}

func encodeBase64(v []byte) ([]byte, string) {
	return base64.StdEncoding.AppendEncode(nil, v), ""
}

// escapeXML escapes v for XML text and quoted attribute values: & < > "
// and ' as entities; tab, newline, carriage return and the other
// invisible characters as character references (so that attribute-value
// and line-end normalisation leave them as they are).
func escapeXML(v []byte) ([]byte, string) {
	if !utf8.Valid(v) {
		return nil, notUTF8
	}
	for _, r := range string(v) {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xfffe || r == 0xffff {
			return nil, "the value holds a control character or noncharacter that XML 1.0 cannot carry"
		}
	}
	return escapeRunes(nil, v, func(r rune) string {
		switch r {
		case '&':
			return "&amp;"
		case '<':
			return "&lt;"
		case '>':
			return "&gt;"
		case '"':
			return "&quot;"
		case '\'':
			return "&apos;"
		}
		if invisible(r) {
			return fmt.Sprintf("&#x%X;", r)
		}
		return ""
	}), ""
}

// trim removes leading and trailing white space, as unicode.IsSpace
// defines it.
func trim(v []byte) ([]byte, string) { return bytes.TrimSpace(v), "" }

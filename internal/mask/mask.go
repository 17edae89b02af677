// Package mask replaces secret values in a stream of output with the names
// of their variables, for the program output that supervise mode passes
// through.
//
// A Writer replaces every value of MinLen bytes or more with
// [valuefrom:NAME] before the bytes reach the writer it wraps. It streams:
// a value split over several Write calls is still replaced, because the
// Writer holds back the end of what it was given when that end could be
// the start of a value, and only that (at most the longest value's length
// minus one byte). Everything else is written before Write returns, so
// masking adds no delay beyond a partial value. Flush and Close write what
// is held back.
//
// Where values overlap, the leftmost match wins and, of the values that
// match there, the longest; the replaced bytes are not searched again, as
// with strings.Replacer.
//
// # What is masked
//
// For each value of MinLen bytes or more, these forms of it, each replaced
// with [valuefrom:NAME]:
//
//   - the value's bytes;
//   - the value in a JSON string (without the quotes) as common encoders
//     write it by default: " and \ escaped with a backslash, \b \f \n
//     \r \t, other control characters below U+0020 as \u00XX, lowercase
//     hex, and otherwise
//     as it is (Node's JSON.stringify, Python's json.dumps with
//     ensure_ascii=False, Rust's serde_json, Java's Jackson); with DEL as
//     \u007f too (jq); with < > & as \u003c \u003e \u0026, U+2028 and
//     U+2029 as \u2028 and \u2029, and bytes that are not UTF-8 as
//     \ufffd (Go's encoding/json); with DEL and every character beyond
//     ASCII as \uXXXX, in UTF-16 surrogate pairs above U+FFFF (Python's
//     json.dumps by default, jq -a); and that with / as \/ (PHP's
//     json_encode by default);
//   - when the value spans lines, each of its lines, without the spaces,
//     tabs and carriage return around it, that is MinLen bytes or more: a
//     PEM key printed a line at a time, or with CRLF line endings.
//
// Nothing else is: not a value split between two streams (each Writer
// sees one), nor a value in another encoding (base64, URL or shell
// quoting, other JSON escapes), nor a part of a line.
// Only supervise mode (package watch) uses it, and it stays a package of
// its own rather than folding into watch: it is a streaming algorithm
// with its own fuzz target, reference model and benchmark, and knows
// nothing of processes or cycles.
package mask

import (
	"encoding/binary"
	"errors"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// MinLen is the length in bytes of the shortest value that is masked.
// Shorter values ("true", a port number) would mask common words.
const MinLen = 8

// ErrClosed is returned by Write and Flush after Close.
var ErrClosed = errors.New("mask: writer closed")

// filterBits is the size, as a power of two, of the bit set that rules out
// most candidate positions with one load and one multiplication.
const filterBits = 16

// A pattern is one value and what replaces it.
type pattern struct {
	value       []byte
	replacement []byte
}

// A Writer masks values in what is written to it. It is not safe for
// concurrent use.
type Writer struct {
	w io.Writer

	// The matcher is Wu-Manber's on the first MinLen bytes of the values.
	// shift says, for the two bytes that end a window of MinLen bytes, how
	// far the window can move before a value could start in it. At a shift
	// of 0, filter has a bit set for the hash of each value's first MinLen
	// bytes read as a big-endian number, and byPrefix holds the patterns by
	// that number, longest first. prefixes holds those numbers, sorted, to
	// tell whether a tail shorter than MinLen can start a value.
	shift    *[1 << 16]uint8
	filter   []uint64
	byPrefix map[uint64][]pattern
	prefixes []uint64
	longest  int

	held   []byte // the tail that could start a value
	out    []byte // the output of one Write when something is replaced
	err    error  // sticky: the first error of w, or ErrClosed
	closed bool
}

// New returns a Writer that writes to w with the values of values (variable
// name to value) replaced, in each form the package comment lists. Values
// shorter than MinLen are not masked. When several variables have the same
// value (or form), the name that sorts first is written.
func New(w io.Writer, values map[string]string) *Writer {
	vs := make([]Value, 0, len(values))
	for _, name := range slices.Sorted(maps.Keys(values)) {
		vs = append(vs, Value{Name: name, Value: values[name]})
	}
	return NewValues(w, vs)
}

// A Value is a value to mask and the name that replaces it.
type Value struct{ Name, Value string }

// NewValues is New with a list, where a name may come with any number of
// values: each is replaced with [valuefrom:NAME]. When a value (or a form
// of it) comes more than once, its first name is written.
func NewValues(w io.Writer, values []Value) *Writer {
	m := &Writer{
		w:        w,
		byPrefix: make(map[uint64][]pattern),
		filter:   make([]uint64, 1<<filterBits/64),
		shift:    new([1 << 16]uint8),
	}
	for i := range m.shift {
		m.shift[i] = MinLen - 1
	}
	seen := make(map[string]bool)
	for _, nv := range values {
		if len(nv.Value) < MinLen {
			continue
		}
		replacement := []byte("[valuefrom:" + nv.Name + "]")
		for _, f := range forms(nv.Value) {
			if len(f) < MinLen || seen[f] {
				continue
			}
			seen[f] = true
			k := binary.BigEndian.Uint64([]byte(f))
			m.byPrefix[k] = append(m.byPrefix[k], pattern{value: []byte(f), replacement: replacement})
			m.longest = max(m.longest, len(f))
		}
	}
	for k, ps := range m.byPrefix {
		// sort.SliceStable, not slices.SortStableFunc: a generic sort of a
		// struct type adds a copy of the sort to the binary (12 KB), whose
		// budget is 12 MiB.
		sort.SliceStable(ps, func(i, j int) bool { return len(ps[i].value) > len(ps[j].value) })
		m.prefixes = append(m.prefixes, k)
		h := filterHash(k)
		m.filter[h/64] |= 1 << (h % 64)
		// The two bytes at j and j+1 of a value put its start MinLen-2-j
		// bytes before the window's.
		for j := range MinLen - 1 {
			block := uint16(k >> (64 - 16 - 8*j))
			m.shift[block] = min(m.shift[block], uint8(MinLen-2-j))
		}
	}
	slices.Sort(m.prefixes)
	return m
}

// jsonStyle says how a JSON encoder escapes a string beyond what every
// one escapes: " \ and the control characters below U+0020.
type jsonStyle uint8

const (
	jsonDEL   jsonStyle = 1 << iota // DEL as \u007f (jq)
	jsonHTML                        // < > & U+2028 U+2029 escaped, bad UTF-8 as \ufffd (Go)
	jsonASCII                       // DEL and all beyond ASCII as \uXXXX (Python)
	jsonSlash                       // / as \/ (PHP)
)

// jsonStyles are the encoders' defaults that forms masks (see the
// package comment).
var jsonStyles = []jsonStyle{0, jsonDEL, jsonHTML, jsonASCII, jsonASCII | jsonSlash}

// forms returns what is masked for v: v, its JSON-escaped forms and its
// lines (see the package comment), repeats included.
func forms(v string) []string {
	fs := make([]string, 1, 1+len(jsonStyles))
	fs[0] = v
	for _, style := range jsonStyles {
		if f, ok := jsonString(v, style); ok {
			fs = append(fs, f)
		}
	}
	if strings.Contains(v, "\n") {
		for line := range strings.SplitSeq(v, "\n") {
			fs = append(fs, strings.Trim(line, " \t\r"))
		}
	}
	return fs
}

// jsonString returns s as the inside of a JSON string in style, and false
// when no encoder of that style would write it: Python's strings are
// Unicode, never bytes that are not UTF-8.
func jsonString(s string, style jsonStyle) (string, bool) {
	const hex = "0123456789abcdef"
	// b is s up to what needs escaping first: most values need none, and
	// cost no copy.
	var b strings.Builder
	plain := 0 // s[:plain] is in b, or to be when something is escaped
	escape := func(i int) {
		if b.Len() == 0 {
			b.Grow(len(s) + 16)
		}
		b.WriteString(s[plain:i])
	}
	u := func(r rune) {
		b.WriteString(`\u`)
		for shift := 12; shift >= 0; shift -= 4 {
			b.WriteByte(hex[r>>shift&0xf])
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != 0x7f && c != '<' && c != '>' && c != '&' && c != '/' {
				i++
				continue
			}
			escape(i)
			i++
			plain = i
			switch {
			case c == '"' || c == '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case c == '\b':
				b.WriteString(`\b`)
			case c == '\f':
				b.WriteString(`\f`)
			case c == '\n':
				b.WriteString(`\n`)
			case c == '\r':
				b.WriteString(`\r`)
			case c == '\t':
				b.WriteString(`\t`)
			case c < 0x20,
				c == 0x7f && style&(jsonDEL|jsonASCII) != 0,
				style&jsonHTML != 0 && (c == '<' || c == '>' || c == '&'):
				u(rune(c))
			case c == '/' && style&jsonSlash != 0:
				b.WriteString(`\/`)
			default:
				b.WriteByte(c)
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		bad := r == utf8.RuneError && size == 1
		switch {
		case bad && style&jsonASCII != 0:
			return "", false
		case bad && style&jsonHTML != 0:
			escape(i)
			u(utf8.RuneError)
		case style&jsonASCII != 0 && r > 0xffff:
			escape(i)
			r1, r2 := utf16.EncodeRune(r)
			u(r1)
			u(r2)
		case style&jsonASCII != 0, style&jsonHTML != 0 && (r == 0x2028 || r == 0x2029):
			escape(i)
			u(r)
		default:
			i += size
			continue
		}
		i += size
		plain = i
	}
	if plain == 0 {
		return s, true
	}
	b.WriteString(s[plain:])
	return b.String(), true
}

func filterHash(k uint64) uint64 { return (k * 0x9e3779b97f4a7c15) >> (64 - filterBits) }

// Write writes p to the underlying writer with the values replaced, except
// for a tail that could be the start of a value, which it holds until the
// next Write, Flush or Close. It returns len(p) unless the underlying
// writer fails; after a failure every call returns that error.
func (m *Writer) Write(p []byte) (int, error) {
	if m.err != nil {
		return 0, m.err
	}
	if m.longest == 0 {
		n, err := m.w.Write(p)
		m.err = err
		return n, err
	}
	buf := p
	if len(m.held) > 0 {
		buf = append(m.held, p...)
	}
	out, keep := m.scan(buf, false)
	if len(out) > 0 {
		if _, err := m.w.Write(out); err != nil {
			m.err = err
			return 0, err
		}
	}
	// buf may share its array with m.held: copy handles the overlap.
	m.held = append(m.held[:0], buf[keep:]...)
	if cap(m.held) > 4*m.longest+4096 {
		m.held = slices.Clip(slices.Clone(m.held))
	}
	return len(p), nil
}

// scan returns what of buf can be written now, with the values replaced,
// and the offset in buf of the tail to hold back. When final, no more
// bytes follow buf and nothing is held back.
func (m *Writer) scan(buf []byte, final bool) (out []byte, keep int) {
	start := 0 // the first byte not yet copied to m.out
	m.out = m.out[:0]
	replaced := false
	i := 0
	keep = len(buf)
scan:
	for ; i+MinLen <= len(buf); i++ {
		if s := m.shift[binary.BigEndian.Uint16(buf[i+MinLen-2:])]; s > 0 {
			i += int(s) - 1
			continue
		}
		k := binary.BigEndian.Uint64(buf[i:])
		if h := filterHash(k); m.filter[h/64]&(1<<(h%64)) == 0 {
			continue
		}
		p, undecided := match(m.byPrefix[k], buf[i:], final)
		switch {
		case undecided:
			keep = i
			break scan
		case p != nil:
			m.out = append(m.out, buf[start:i]...)
			m.out = append(m.out, p.replacement...)
			replaced = true
			start = i + len(p.value)
			i = start - 1
		}
	}
	if keep == len(buf) && !final {
		for ; i < len(buf); i++ {
			if m.startsValue(buf[i:]) {
				keep = i
				break
			}
		}
	}
	if !replaced {
		return buf[:keep], keep
	}
	m.out = append(m.out, buf[start:keep]...)
	return m.out, keep
}

// match returns the longest of ps (which share their first MinLen bytes)
// that rest starts with, or, unless final, undecided when a longer one
// could still match once more bytes arrive.
func match(ps []pattern, rest []byte, final bool) (p *pattern, undecided bool) {
	for i := range ps {
		v := ps[i].value
		if len(rest) < len(v) {
			if !final && string(v[:len(rest)]) == string(rest) {
				return nil, true
			}
			continue
		}
		if string(rest[:len(v)]) == string(v) {
			return &ps[i], false
		}
	}
	return nil, false
}

// startsValue reports whether tail, shorter than MinLen, is the start of a
// value.
func (m *Writer) startsValue(tail []byte) bool {
	var lo, hi [8]byte
	copy(lo[:], tail)
	copy(hi[:], tail)
	for j := len(tail); j < 8; j++ {
		hi[j] = 0xff
	}
	l, h := binary.BigEndian.Uint64(lo[:]), binary.BigEndian.Uint64(hi[:])
	j, _ := slices.BinarySearch(m.prefixes, l)
	return j < len(m.prefixes) && m.prefixes[j] <= h
}

// Flush writes what is held back, as if the stream ended there: a value
// split by the flush is not replaced.
func (m *Writer) Flush() error {
	if m.err != nil {
		return m.err
	}
	if len(m.held) == 0 {
		return nil
	}
	out, _ := m.scan(m.held, true)
	_, err := m.w.Write(out)
	m.held = m.held[:0]
	if err != nil {
		m.err = err
	}
	return err
}

// Close flushes the Writer; later writes fail with ErrClosed. It does not
// close the underlying writer.
func (m *Writer) Close() error {
	if m.closed {
		return nil
	}
	m.closed = true
	err := m.Flush()
	if m.err == nil {
		m.err = ErrClosed
	}
	return err
}

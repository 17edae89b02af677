package mask_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/valuefrom/valuefrom/internal/mask"
)

// Failure messages in this file show lengths and offsets, never the
// streams, which hold the values being masked.

// referenceForms is the test's own model of what is masked for a value v
// of MinLen bytes or more (the package comment's list): v, its JSON
// string forms as Node, jq, Go, Python and PHP write them by default, and
// its lines, trimmed, when it spans lines. Go's form is encoding/json's
// own; TestFormsOfRealEncoders checks the others against the encoders.
func referenceForms(v string) []string {
	fs := []string{v}
	goJSON, _ := json.Marshal(v)
	fs = append(fs, string(goJSON[1:len(goJSON)-1]))
	for _, enc := range []struct {
		escape func(r rune) bool // escaped as \uXXXX
		slash  bool
		utf8   bool // only valid UTF-8 can be written
	}{
		{escape: func(r rune) bool { return r < 0x20 }},                                       // Node
		{escape: func(r rune) bool { return r < 0x20 || r == 0x7f }},                          // jq
		{escape: func(r rune) bool { return r < 0x20 || r >= 0x7f }, utf8: true},              // Python
		{escape: func(r rune) bool { return r < 0x20 || r >= 0x7f }, utf8: true, slash: true}, // PHP
	} {
		if enc.utf8 && !utf8.ValidString(v) {
			continue
		}
		var b strings.Builder
		for rest := v; rest != ""; {
			r, n := utf8.DecodeRuneInString(rest)
			raw := rest[:n]
			rest = rest[n:]
			short := map[string]string{`"`: `\"`, `\`: `\\`, "\b": `\b`, "\f": `\f`, "\n": `\n`, "\r": `\r`, "\t": `\t`}
			switch {
			case short[raw] != "":
				b.WriteString(short[raw])
			case raw == "/" && enc.slash:
				b.WriteString(`\/`)
			case r == utf8.RuneError && n == 1: // a byte that is not UTF-8
				b.WriteString(raw)
			case enc.escape(r):
				for _, u := range utf16.Encode([]rune{r}) {
					fmt.Fprintf(&b, `\u%04x`, u)
				}
			default:
				b.WriteString(raw)
			}
		}
		fs = append(fs, b.String())
	}
	if lines := strings.Split(v, "\n"); len(lines) > 1 {
		for _, l := range lines {
			fs = append(fs, strings.Trim(l, " \t\r"))
		}
	}
	return fs
}

// reference masks stream in one pass: at each offset the longest form of
// a value that starts there is replaced, and the scan goes on after it.
func reference(stream []byte, values map[string]string) []byte {
	type pat struct{ value, repl string }
	var pats []pat
	seen := map[string]bool{}
	for _, name := range slices.Sorted(maps.Keys(values)) {
		if len(values[name]) < mask.MinLen {
			continue
		}
		for _, v := range referenceForms(values[name]) {
			if len(v) < mask.MinLen || seen[v] {
				continue
			}
			seen[v] = true
			pats = append(pats, pat{v, "[valuefrom:" + name + "]"})
		}
	}
	var out []byte
	for i := 0; i < len(stream); {
		best := -1
		for j, p := range pats {
			if bytes.HasPrefix(stream[i:], []byte(p.value)) && (best < 0 || len(p.value) > len(pats[best].value)) {
				best = j
			}
		}
		if best < 0 {
			out = append(out, stream[i])
			i++
			continue
		}
		out = append(out, pats[best].repl...)
		i += len(pats[best].value)
	}
	return out
}

// writeInChunks writes stream to a Writer over buf in chunks of the given
// lengths (the last chunk takes the rest) and closes it.
func writeInChunks(t *testing.T, values map[string]string, stream []byte, chunks []int) []byte {
	t.Helper()
	var buf bytes.Buffer
	m := mask.New(&buf, values)
	for _, n := range chunks {
		n = min(n, len(stream))
		if got, err := m.Write(stream[:n]); got != n || err != nil {
			t.Fatalf("Write(%d bytes) = %d, %v", n, got, err)
		}
		stream = stream[n:]
	}
	if _, err := m.Write(stream); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return buf.Bytes()
}

// firstDiff returns the offset of the first byte where a and b differ.
func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func TestWriter(t *testing.T) {
	tests := []struct {
		name   string
		values map[string]string
		in     string
		want   string
	}{
		{"no values", nil, "plain output\n", "plain output\n"},
		{"one value", map[string]string{"DB_PASSWORD": "hunter2-secret"},
			"connect password=hunter2-secret ok\n", "connect password=[valuefrom:DB_PASSWORD] ok\n"},
		{"every occurrence", map[string]string{"K": "12345678"},
			"12345678 1234567812345678\n", "[valuefrom:K] [valuefrom:K][valuefrom:K]\n"},
		{"shorter than MinLen is kept", map[string]string{"PORT": "5432", "FLAG": "true", "K": "1234567"},
			"port 5432 true 1234567\n", "port 5432 true 1234567\n"},
		{"longest of a value and its prefix", map[string]string{"SHORT": "password12", "LONG": "password1234"},
			"password1234 password12! password123\n", "[valuefrom:LONG] [valuefrom:SHORT]! [valuefrom:SHORT]3\n"},
		{"leftmost of overlapping values", map[string]string{"A": "abcdefgh12", "B": "gh12345678"},
			"abcdefgh12345678 xxgh12345678\n", "[valuefrom:A]345678 xx[valuefrom:B]\n"},
		{"value with newlines", map[string]string{"KEY": "-----BEGIN KEY-----\nMIIB\n-----END KEY-----\n"},
			"key:\n-----BEGIN KEY-----\nMIIB\n-----END KEY-----\ndone\n", "key:\n[valuefrom:KEY]done\n"},
		{"same value, first name", map[string]string{"B_SECRET": "same-value-1", "A_SECRET": "same-value-1"},
			"same-value-1\n", "[valuefrom:A_SECRET]\n"},
		{"partial value at the end", map[string]string{"K": "abcdefghij"},
			"x abcdefgh", "x abcdefgh"},
		{"binary", map[string]string{"K": "\x00\xff\x00\xff\x00\xff\x00\xff"},
			"\x00\x00\xff\x00\xff\x00\xff\x00\xff\x00\xff", "\x00[valuefrom:K]\x00\xff"},
		{"empty input", map[string]string{"K": "abcdefghij"}, "", ""},
		// Issue 20: the forms of the package comment.
		{"json escaped", map[string]string{"K": `pa"ss\word`},
			`{"password":"pa\"ss\\word"}` + "\n", `{"password":"[valuefrom:K]"}` + "\n"},
		{"json with html as it is and as go escapes it", map[string]string{"K": "a<b>&c-secret"},
			`a<b>&c-secret "a\u003cb\u003e\u0026c-secret"` + "\n", `[valuefrom:K] "[valuefrom:K]"` + "\n"},
		{"json of a newline", map[string]string{"K": "line-one\nline-two"},
			`{"k":"line-one\nline-two"}` + "\n", `{"k":"[valuefrom:K]"}` + "\n"},
		{"json ascii and php", map[string]string{"K": "pässwörd/42"},
			`"p\u00e4ssw\u00f6rd/42" "p\u00e4ssw\u00f6rd\/42"`, `"[valuefrom:K]" "[valuefrom:K]"`},
		{"json astral as a surrogate pair", map[string]string{"K": "emoji-\U0001F511-key"},
			`"emoji-\ud83d\udd11-key"`, `"[valuefrom:K]"`},
		{"pem one line at a time", map[string]string{"KEY": "-----BEGIN KEY-----\nMIIBOgIBAAJBAKj34GkxFhD9\n-----END KEY-----\n"},
			"log: MIIBOgIBAAJBAKj34GkxFhD9\n", "log: [valuefrom:KEY]\n"},
		{"pem with crlf", map[string]string{"KEY": "-----BEGIN KEY-----\nMIIBOgIBAAJBAKj34GkxFhD9\n-----END KEY-----\n"},
			"-----BEGIN KEY-----\r\nMIIBOgIBAAJBAKj34GkxFhD9\r\n-----END KEY-----\r\n", "[valuefrom:KEY]\r\n[valuefrom:KEY]\r\n[valuefrom:KEY]\r\n"},
		{"crlf value printed with lf", map[string]string{"KEY": "first-line\r\n  second-line  \r\n"},
			"first-line\nsecond-line\n", "[valuefrom:KEY]\n[valuefrom:KEY]\n"},
		{"short lines are kept", map[string]string{"K": "abc\ndefghijk\nxyz"},
			"abc xyz defghijk", "abc xyz [valuefrom:K]"},
		{"not base64 nor a part", map[string]string{"K": "hunter2-secret"},
			"aHVudGVyMi1zZWNyZXQ= hunter2-secre", "aHVudGVyMi1zZWNyZXQ= hunter2-secre"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if ref := reference([]byte(tt.in), tt.values); string(ref) != tt.want {
				t.Fatalf("reference differs from the case's want at byte %d", firstDiff(ref, []byte(tt.want)))
			}
			// Every way to cut the input in two, and byte by byte.
			for cut := 0; cut <= len(tt.in); cut++ {
				got := writeInChunks(t, tt.values, []byte(tt.in), []int{cut})
				if !bytes.Equal(got, []byte(tt.want)) {
					t.Errorf("cut at %d: output (%d bytes) differs from want (%d bytes) at byte %d",
						cut, len(got), len(tt.want), firstDiff(got, []byte(tt.want)))
				}
			}
			ones := slices.Repeat([]int{1}, len(tt.in))
			if got := writeInChunks(t, tt.values, []byte(tt.in), ones); !bytes.Equal(got, []byte(tt.want)) {
				t.Errorf("byte by byte: output differs from want at byte %d", firstDiff(got, []byte(tt.want)))
			}
		})
	}
}

// recorder records what each Write of the masking writer passes on.
type recorder struct{ writes [][]byte }

func (r *recorder) Write(p []byte) (int, error) {
	r.writes = append(r.writes, slices.Clone(p))
	return len(p), nil
}

func (r *recorder) String() string { return string(bytes.Join(r.writes, nil)) }

func TestWriterHoldsOnlyWhatCouldStartAValue(t *testing.T) {
	var rec recorder
	m := mask.New(&rec, map[string]string{"K": "password-123"})
	steps := []struct {
		in, total string // written, and all passed on after it
	}{
		{"line one\n", "line one\n"},
		{"user pass", "line one\nuser "},
		{"port 8080\n", "line one\nuser passport 8080\n"},
		{"the passwor", "line one\nuser passport 8080\nthe "},
		{"d-123 ok\n", "line one\nuser passport 8080\nthe [valuefrom:K] ok\n"},
		{"p", "line one\nuser passport 8080\nthe [valuefrom:K] ok\n"},
	}
	for i, s := range steps {
		if _, err := m.Write([]byte(s.in)); err != nil {
			t.Fatal(err)
		}
		if got := rec.String(); got != s.total {
			t.Fatalf("after write %d: %d bytes passed on, want %d", i, len(got), len(s.total))
		}
	}
	if err := m.Flush(); err != nil {
		t.Fatal(err)
	}
	if got, want := rec.String(), steps[len(steps)-1].total+"p"; got != want {
		t.Fatalf("after Flush: %d bytes passed on, want %d", len(got), len(want))
	}
}

func TestWriterBoundedMemory(t *testing.T) {
	// A stream that keeps looking like the start of a value: the writer
	// must still pass on all but the last len(value)-1 bytes.
	const value = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaab" // 31 bytes
	var rec recorder
	m := mask.New(&rec, map[string]string{"K": value})
	for n := 1; n <= 1000; n++ {
		if _, err := m.Write([]byte("a")); err != nil {
			t.Fatal(err)
		}
		if held := n - len(rec.String()); held > len(value)-1 {
			t.Fatalf("after %d bytes, %d held back, want at most %d", n, held, len(value)-1)
		}
	}
}

// failWriter fails every write.
type failWriter struct{ err error }

func (f failWriter) Write([]byte) (int, error) { return 0, f.err }

func TestWriterErrorIsSticky(t *testing.T) {
	errDisk := errors.New("disk full")
	m := mask.New(failWriter{errDisk}, map[string]string{"K": "abcdefgh"})
	if _, err := m.Write([]byte("hello\n")); !errors.Is(err, errDisk) {
		t.Fatalf("Write error = %v, want %v", err, errDisk)
	}
	if _, err := m.Write([]byte("again\n")); !errors.Is(err, errDisk) {
		t.Fatalf("second Write error = %v, want %v", err, errDisk)
	}
	if err := m.Close(); !errors.Is(err, errDisk) {
		t.Fatalf("Close error = %v, want %v", err, errDisk)
	}
}

func TestWriterClosed(t *testing.T) {
	var buf bytes.Buffer
	m := mask.New(&buf, map[string]string{"K": "abcdefghij"})
	if _, err := m.Write([]byte("x abcd")); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != "x abcd" {
		t.Fatalf("Close passed on %d bytes, want 6", len(got))
	}
	if _, err := m.Write([]byte("efghij")); !errors.Is(err, mask.ErrClosed) {
		t.Fatalf("Write after Close: %v, want ErrClosed", err)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// fuzzAlphabet keeps the fuzzer's values and streams in a few bytes, so
// that values overlap, repeat and share prefixes. It has no byte of the
// replacement's brackets, so no value can appear across a replacement.
const fuzzAlphabet = "ab\nc"

func FuzzWriter(f *testing.F) {
	f.Add([]byte("aaaaaaaa\x00aaaaaaaaab\x00abababab"), []byte("xx\xf0aa\xf1b\xf2\xf1"), []byte{3, 1, 7})
	f.Add([]byte("a\nb\nc\na\nb\x00ccccccccc"), []byte("\xf0\xf0\xf1abc"), []byte{1, 1, 1, 1, 1, 1, 1, 1})
	f.Add([]byte("abcabcab\x00bcabcabcab\x00cabcabca"), []byte("abcabcabcabcabcabcabc\xf1\xf2"), []byte{0, 9, 2})
	f.Fuzz(func(t *testing.T, valueBytes, streamBytes, chunks []byte) {
		values := map[string]string{}
		var list []string
		for i, v := range bytes.Split(valueBytes, []byte{0}) {
			s := mapTo(v)
			values[fmt.Sprintf("V%d", i)] = s
			if len(s) >= mask.MinLen {
				for _, f := range referenceForms(s) {
					if len(f) >= mask.MinLen {
						list = append(list, f)
					}
				}
			}
		}
		// A stream byte of 0xf0 or more inserts a value, or one of its
		// forms.
		var stream []byte
		for _, b := range streamBytes {
			if b >= 0xf0 && len(list) > 0 {
				stream = append(stream, list[int(b-0xf0)%len(list)]...)
				continue
			}
			stream = append(stream, fuzzAlphabet[b%byte(len(fuzzAlphabet))])
		}
		cuts := make([]int, len(chunks))
		for i, c := range chunks {
			cuts[i] = int(c % 32)
		}
		got := writeInChunks(t, values, stream, cuts)
		want := reference(stream, values)
		if !bytes.Equal(got, want) {
			t.Fatalf("%d values, %d-byte stream, chunks %v: output (%d bytes) differs from reference (%d bytes) at byte %d",
				len(list), len(stream), cuts, len(got), len(want), firstDiff(got, want))
		}
		for i, v := range list {
			if bytes.Contains(got, []byte(v)) {
				t.Fatalf("form %d (%d bytes) is in the output", i, len(v))
			}
		}
	})
}

func mapTo(b []byte) string {
	s := make([]byte, len(b))
	for i, c := range b {
		s[i] = fuzzAlphabet[c%byte(len(fuzzAlphabet))]
	}
	return string(s)
}

// TestWriterRandomStreams runs the fuzz property on random streams that
// look like logs, with values of realistic lengths.
func TestWriterRandomStreams(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		values := randomValues(rng, 1+rng.IntN(20))
		stream, _ := logStream(rng, values, 50)
		var chunks []int
		for range 20 {
			chunks = append(chunks, rng.IntN(200))
		}
		got := writeInChunks(t, values, stream, chunks)
		want := reference(stream, values)
		if !bytes.Equal(got, want) {
			t.Fatalf("round %d: output (%d bytes) differs from reference (%d bytes) at byte %d",
				round, len(got), len(want), firstDiff(got, want))
		}
		for name, v := range values {
			if bytes.Contains(got, []byte(v)) {
				t.Fatalf("round %d: the value of %s is in the output", round, name)
			}
		}
	}
}

// TestWriterRandomForms runs the reference model on values made of
// characters that JSON escapes and of lines, in streams that hold their
// forms (see referenceForms), written in random chunks.
func TestWriterRandomForms(t *testing.T) {
	alphabet := []string{"a", "b", "/", `"`, `\`, "<", "&", "é", "\U0001F511", "\n", "\r\n", "\t", " ", "\x01", "\x7f", "\u2028"}
	rng := rand.New(rand.NewPCG(5, 6))
	for round := range 2000 {
		values := map[string]string{}
		var forms []string
		for i := range 1 + rng.IntN(4) {
			var b strings.Builder
			for range 4 + rng.IntN(20) {
				b.WriteString(alphabet[rng.IntN(len(alphabet))])
			}
			values[fmt.Sprintf("V%d", i)] = b.String()
			if b.Len() >= mask.MinLen {
				for _, f := range referenceForms(b.String()) {
					if len(f) >= mask.MinLen {
						forms = append(forms, f)
					}
				}
			}
		}
		var stream []byte
		for range 30 {
			if len(forms) > 0 && rng.IntN(3) == 0 {
				stream = append(stream, forms[rng.IntN(len(forms))]...)
			} else {
				stream = append(stream, alphabet[rng.IntN(len(alphabet))]...)
			}
		}
		var chunks []int
		for range 8 {
			chunks = append(chunks, rng.IntN(24))
		}
		got := writeInChunks(t, values, stream, chunks)
		if want := reference(stream, values); !bytes.Equal(got, want) {
			t.Fatalf("round %d: output (%d bytes) differs from reference (%d bytes) at byte %d",
				round, len(got), len(want), firstDiff(got, want))
		}
		for i, f := range forms {
			if bytes.Contains(got, []byte(f)) {
				t.Fatalf("round %d: form %d is in the output", round, i)
			}
		}
	}
}

const valueChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_"

// randomValues returns n values like passwords and tokens, 12 to 64 bytes.
func randomValues(rng *rand.Rand, n int) map[string]string {
	values := make(map[string]string, n)
	for i := range n {
		b := make([]byte, 12+rng.IntN(53))
		for j := range b {
			b[j] = valueChars[rng.IntN(len(valueChars))]
		}
		values[fmt.Sprintf("SECRET_%d", i)] = string(b)
	}
	return values
}

// logStream returns lines like a service's JSON log, one in 20 holding a
// value, and the lines.
func logStream(rng *rand.Rand, values map[string]string, lines int) ([]byte, [][]byte) {
	vs := slices.Sorted(maps.Values(values))
	var all [][]byte
	for i := range lines {
		line := fmt.Sprintf(`{"time":"2025-01-02T03:04:%02d.%06dZ","level":"INFO","msg":"request done","method":"GET","path":"/api/v1/items/%d","status":200,"bytes":%d,"user_agent":"Mozilla/5.0 (X11; Linux x86_64)"`,
			i%60, rng.IntN(1e6), rng.IntN(1e5), rng.IntN(1e4))
		if rng.IntN(20) == 0 {
			line += `,"dsn":"postgres://app:` + vs[rng.IntN(len(vs))] + `@db:5432/app"`
		}
		all = append(all, []byte(line+"}\n"))
	}
	return bytes.Join(all, nil), all
}

func BenchmarkMask(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	values := randomValues(rng, 50)
	stream, lines := logStream(rng, values, 2000)
	b.SetBytes(int64(len(stream)))
	for b.Loop() {
		m := mask.New(discard{}, values)
		for _, line := range lines {
			m.Write(line)
		}
		m.Close()
	}
}

// BenchmarkMaskWrite is BenchmarkMask without making the Writer: the
// throughput of a running program's output between changes.
func BenchmarkMaskWrite(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	values := randomValues(rng, 50)
	stream, lines := logStream(rng, values, 2000)
	m := mask.New(discard{}, values)
	b.SetBytes(int64(len(stream)))
	for b.Loop() {
		for _, line := range lines {
			m.Write(line)
		}
		m.Flush()
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func ExampleWriter() {
	m := mask.New(os.Stdout, map[string]string{"DB_PASSWORD": "correct-horse-battery"})
	// The value is split over two writes, as a program's output may be.
	fmt.Fprint(m, "connecting with password correct-horse")
	fmt.Fprint(m, "-battery\n")
	m.Close()
	// Output:
	// connecting with password [valuefrom:DB_PASSWORD]
}

// TestFormsOfRealEncoders runs python3, node and jq, when installed, on
// values that need escaping, and checks that what each writes by default
// (and jq -a, Python's ensure_ascii=False) is masked whole: the forms are
// the encoders', not the test's idea of them.
func TestFormsOfRealEncoders(t *testing.T) {
	if testing.Short() {
		t.Skip("runs python3, node and jq")
	}
	values := []string{
		`pa"ss\word-1`, "tab\tnew\nline\rcr", "ctl\x01\x1f\x7fdel-x", "html<b>&amp;</b>",
		"slash/and+plus=", "pässwörd-ünï", "line\u2028sep\u2029x", "emoji-\U0001F511-key", "\b\fbackspace-ff",
	}
	in, err := json.Marshal(values)
	if err != nil {
		t.Fatal(err)
	}
	encoders := map[string][]string{
		"python3 json.dumps":                    {"python3", "-c", "import json,sys\nfor v in json.load(sys.stdin): print(json.dumps(v))"},
		"python3 json.dumps ensure_ascii=False": {"python3", "-c", "import json,sys\nfor v in json.load(sys.stdin): print(json.dumps(v, ensure_ascii=False))"},
		"node JSON.stringify":                   {"node", "-e", "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{for(const v of JSON.parse(s))console.log(JSON.stringify(v))})"},
		"jq":                                    {"jq", "-c", ".[]"},
		"jq -a":                                 {"jq", "-a", "-c", ".[]"},
	}
	ran := 0
	for name, argv := range encoders {
		if _, err := exec.LookPath(argv[0]); err != nil {
			t.Logf("%s: not installed", argv[0])
			continue
		}
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Stdin = bytes.NewReader(in)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
		if len(lines) != len(values) {
			t.Fatalf("%s: %d lines, want %d", name, len(lines), len(values))
		}
		ran++
		for i, line := range lines {
			var buf bytes.Buffer
			m := mask.New(&buf, map[string]string{"K": values[i]})
			m.Write([]byte(line))
			m.Close()
			if got := buf.String(); got != `"[valuefrom:K]"` {
				t.Errorf("%s: value %d: %d bytes written, not the value masked whole (%d bytes masked)", name, i, len(got), strings.Count(got, "[valuefrom:K]"))
			}
		}
	}
	if ran == 0 {
		t.Skip("no encoder installed")
	}
}

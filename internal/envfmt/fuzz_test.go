package envfmt_test

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/valuefrom/valuefrom/internal/envfmt"
	"github.com/valuefrom/valuefrom/internal/testkit/dotenvtest"
)

// shellAssignments reads src as a POSIX shell reads a list of simple
// commands "[export ]NAME=WORD", each ended by a newline, where WORD is
// made of single-quoted, double-quoted and backslash-escaped parts. It
// rejects whatever a shell would expand or treat as syntax: any unquoted
// character but a backslash escape, and an unescaped $ or ` in double
// quotes. It is the Go model of the quoting rules that the fuzz targets
// check at speed; TestSourcedByShells checks real shells.
func shellAssignments(src string) (map[string]string, error) {
	m := map[string]string{}
	i := 0
	for i < len(src) {
		rest := strings.TrimPrefix(src[i:], "export ")
		i = len(src) - len(rest)
		eq := strings.IndexByte(rest, '=')
		if eq < 0 || !envfmt.IsIdentifier(rest[:eq]) {
			return nil, fmt.Errorf("offset %d: not NAME=WORD", i)
		}
		name := rest[:eq]
		i += eq + 1
		var b strings.Builder
	word:
		for {
			if i >= len(src) {
				return nil, errors.New("no final newline")
			}
			switch c := src[i]; c {
			case '\n':
				i++
				break word
			case '\'':
				j := strings.IndexByte(src[i+1:], '\'')
				if j < 0 {
					return nil, fmt.Errorf("offset %d: unterminated single quote", i)
				}
				b.WriteString(src[i+1 : i+1+j])
				i += j + 2
			case '"':
				for i++; ; i++ {
					if i >= len(src) {
						return nil, fmt.Errorf("unterminated double quote")
					}
					c := src[i]
					if c == '"' {
						i++
						break
					}
					if c == '$' || c == '`' {
						return nil, fmt.Errorf("offset %d: %c would expand", i, c)
					}
					if c == '\\' && i+1 < len(src) {
						switch n := src[i+1]; n {
						case '$', '`', '"', '\\':
							b.WriteByte(n)
							i++
							continue
						case '\n':
							i++
							continue
						}
					}
					b.WriteByte(c)
				}
			case '\\':
				if i+1 >= len(src) {
					return nil, errors.New("backslash at the end")
				}
				if src[i+1] != '\n' {
					b.WriteByte(src[i+1])
				}
				i += 2
			default:
				return nil, fmt.Errorf("offset %d: unquoted %q", i, c)
			}
		}
		if _, dup := m[name]; dup {
			return nil, fmt.Errorf("%s set twice", name)
		}
		m[name] = b.String()
	}
	return m, nil
}

// dotenvRefuses reports whether v holds a character that the dotenv
// format may not hold raw and has no escape for, as envfmt's package
// comment lists them: a control character other than tab, newline and
// CR (C0, DEL, C1), a bidirectional formatting character, a zero-width
// one, or a line or paragraph separator. It is the test's own model of
// that list.
func dotenvRefuses(v string) bool {
	return strings.ContainsFunc(v, func(r rune) bool {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return false
		case r < 0x20, r >= 0x7f && r <= 0x9f:
			return true
		}
		return strings.ContainsRune("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"+
			"\u200b\u200c\u200d\u2060\ufeff\u2028\u2029", r)
	})
}

func hash(v string) string { return fmt.Sprintf("sha256 %x", sha256.Sum256([]byte(v))) }

func addHostile(f *testing.F) {
	for _, v := range hostile {
		f.Add(v)
	}
}

// checkRefused checks that err refuses the variable V, without the value.
func checkRefused(t *testing.T, err error, v string) {
	t.Helper()
	var ve *envfmt.VarError
	if !errors.As(err, &ve) || ve.Var != "V" {
		t.Fatalf("value (%s): error %v, want a *VarError for V", hash(v), err)
	}
	if v != "" && strings.Contains(err.Error(), v) {
		t.Fatalf("value (%s) leaked into the error", hash(v))
	}
}

// FuzzShell: what the shell format writes reads back byte for byte under
// the shell's quoting rules; only a NUL is refused.
func FuzzShell(f *testing.F) {
	addHostile(f)
	f.Fuzz(func(t *testing.T, v string) {
		data, err := envfmt.Encode(envfmt.Shell, []envfmt.Var{{Name: "V", Value: v}})
		if strings.IndexByte(v, 0) >= 0 {
			checkRefused(t, err, v)
			return
		}
		if err != nil {
			t.Fatalf("value (%s): %v", hash(v), err)
		}
		got, err := shellAssignments(string(data))
		if err != nil || len(got) != 1 || got["V"] != v {
			t.Fatalf("value (%s) does not read back under the shell's rules: %v", hash(v), err)
		}
	})
}

// FuzzDotenv: what the dotenv format writes reads back byte for byte with
// the documented grammar, and a shell reads it as documented, expanding
// nothing; a NUL, text that is not UTF-8, or a character that makes a
// line display other than it reads (see dotenvRefuses) is refused.
func FuzzDotenv(f *testing.F) {
	addHostile(f)
	f.Fuzz(func(t *testing.T, v string) {
		data, err := envfmt.Encode(envfmt.Dotenv, []envfmt.Var{{Name: "V", Value: v}})
		if strings.IndexByte(v, 0) >= 0 || !utf8.ValidString(v) || dotenvRefuses(v) {
			checkRefused(t, err, v)
			return
		}
		if err != nil {
			t.Fatalf("value (%s): %v", hash(v), err)
		}
		got, err := dotenvtest.Parse(string(data))
		if err != nil || len(got) != 1 || got["V"] != v {
			t.Fatalf("value (%s) does not read back with the dotenv grammar: %v", hash(v), err)
		}
		sh, err := shellAssignments(string(data))
		if err != nil || len(sh) != 1 || sh["V"] != shellReading(v) {
			t.Fatalf("value (%s) does not read as documented under the shell's rules: %v", hash(v), err)
		}
	})
}

// FuzzJSON: what the json format writes unmarshals to the same name and
// value, and holds no $ or ` for a shell to expand; an empty name, a NUL
// or text that is not UTF-8 is refused, never changed.
func FuzzJSON(f *testing.F) {
	for _, v := range hostile {
		f.Add("V", v)
	}
	f.Add("A\xff", "x")
	f.Add("$(touch pwned)", "`x`")
	f.Fuzz(func(t *testing.T, name, v string) {
		data, err := envfmt.Encode(envfmt.JSON, []envfmt.Var{{Name: name, Value: v}})
		if name == "" || !utf8.ValidString(name) || strings.IndexByte(v, 0) >= 0 || !utf8.ValidString(v) {
			var ve *envfmt.VarError
			if !errors.As(err, &ve) || ve.Var != name {
				t.Fatalf("name (%s), value (%s): error %v, want a *VarError", hash(name), hash(v), err)
			}
			return
		}
		if err != nil {
			t.Fatalf("name (%s), value (%s): %v", hash(name), hash(v), err)
		}
		var got map[string]string
		if err := json.Unmarshal(data, &got); err != nil || len(got) != 1 || got[name] != v {
			t.Fatalf("name (%s), value (%s) do not read back: %v", hash(name), hash(v), err)
		}
		if strings.ContainsAny(string(data), "$`") {
			t.Fatalf("name (%s), value (%s): the output holds $ or `", hash(name), hash(v))
		}
	})
}

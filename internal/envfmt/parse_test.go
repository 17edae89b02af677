package envfmt_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/valuefrom/valuefrom/internal/envfmt"
)

func TestParseDotenv(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"empty", "", nil},
		{"references", "DB=ssm:/prod/db\nKEY=arn:aws:secretsmanager:us-east-1:123456789012:secret:k:pass::\n",
			[]string{"DB=ssm:/prod/db", "KEY=arn:aws:secretsmanager:us-east-1:123456789012:secret:k:pass::"}},
		{"no final newline", "A=1", []string{"A=1"}},
		{"crlf", "A=1\r\nB=\"x\"\r\n", []string{"A=1", "B=x"}},
		{"comments and blanks", "# a comment\n\n   \n  # indented\nA=1 # trailing\nB=\"2\"\t# after quotes\n", []string{"A=1", "B=2"}},
		{"export", "export A=1\n", []string{"A=1"}},
		{"empty values", "A=\nB=\"\"\nC=''\n", []string{"A=", "B=", "C="}},
		{"escapes", `A="\\ \" \$ \` + "`" + ` \n \r"` + "\n", []string{"A=\\ \" $ ` \n \r"}},
		{"single quotes literal", `A='$HOME \n "x"'` + "\n", []string{`A=$HOME \n "x"`}},
		{"equals in value", "A=b=c\n", []string{"A=b=c"}},
		{"hash inside unquoted", "A=b#c\n", []string{"A=b#c"}},
		{"unicode", "A=\"héllo ✓\"\n", []string{"A=héllo ✓"}},
		{"tab raw", "A=\"a\tb\"\nB='c\td'\n", []string{"A=a\tb", "B=c\td"}},
		{"crlf with escaped cr", "LD_PRELOAD=\"/tmp/x.so:\\r# removed (ticket 123)\"\r\n", []string{"LD_PRELOAD=/tmp/x.so:\r# removed (ticket 123)"}},
		{"emoji with a zero-width joiner in a comment", "# 👩\u200d💻 dev\nA=1 # 👩\u200d💻\n", []string{"A=1"}},
		{"no-break space in a value", "A=\"a\u00a0b\"\n", []string{"A=a\u00a0b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := envfmt.ParseDotenv(strings.NewReader(tt.in), "app.env")
			if err != nil {
				t.Fatalf("ParseDotenv: %v", err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestParseDotenvErrors checks that every bad line is an error naming the
// file and line, never the value (each value holds a canary).
func TestParseDotenvErrors(t *testing.T) {
	tests := []struct {
		name, in string
		line     int
		reason   string
	}{
		{"no equals", "A=1\ncanary\n", 2, "not NAME=VALUE"},
		{"bad name", "1A=canary\n", 1, "not a shell identifier"},
		{"space before equals", "A =canary\n", 1, "not a shell identifier"},
		{"space in unquoted", "A=canary value\n", 1, "white space in an unquoted value"},
		{"dollar unquoted", "A=canary$HOME\n", 1, "may not hold"},
		{"quote inside unquoted", "A=can'ary\n", 1, "may not hold"},
		{"unterminated double", "A=\"canary\n", 1, "no closing \""},
		{"multi-line double", "A=\"canary\nmore\"\n", 1, "no closing \""},
		{"unterminated single", "A='canary\n", 1, "no closing '"},
		{"unescaped dollar", "A=\"canary$X\"\n", 1, `unescaped $`},
		{"unescaped backquote", "A=\"canary`id`\"\n", 1, "unescaped `"},
		{"unknown escape", `A="canary\t"` + "\n", 1, "unknown escape"},
		{"text after quote", "A=\"canary\"x\n", 1, "after the closing quote"},
		{"twice", "A=1\n\nA=canary\n", 3, "A is set twice, first on line 1"},
		{"not utf-8", "A=\"canary\xff\"\n", 1, "not UTF-8"},
		{"nul", "A='canary\x00'\n", 1, "NUL"},
		// Issue 20: a terminal shows only the comment; the loader loads
		// /tmp/x.so.
		{"raw cr in a value", "A=1\nLD_PRELOAD=\"/tmp/x.so:\r# removed (ticket 123)\"\n", 2, "LD_PRELOAD: a carriage return (CR, U+000D) inside a line"},
		{"raw cr in a value, crlf file", "A=1\r\nLD_PRELOAD=\"/tmp/x.so:\r# removed (ticket 123)\"\r\n", 2, "LD_PRELOAD: a carriage return"},
		{"cr-only line endings", "A=canary\rB=canary\r", 1, "CR-only line endings"},
		{"cr-only line endings after a comment", "# settings\rA=canary\rB=canary\r", 1, "CR-only line endings"},
		{"escape character", "A=\"canary\x1b[2K\"\n", 1, "A: a control character (U+001B)"},
		{"escape in a comment", "# canary\x1b[1A\nA=1\n", 1, "a control character (U+001B)"},
		{"del", "A=canary\x7f\n", 1, "U+007F"},
		{"c1 control", "A='canary\u009b'\n", 1, "U+009B"},
		{"bidi override", "A=\"canary\u202e\"\n", 1, "A: an invisible formatting character (U+202E"},
		{"bidi isolate", "A='canary\u2066'\n", 1, "U+2066"},
		{"zero-width space", "A=canary\u200b\n", 1, "U+200B"},
		{"byte order mark", "A=canary\ufeff\n", 1, "U+FEFF"},
		{"line separator", "A=\"canary\u2028\"\n", 1, "U+2028"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := envfmt.ParseDotenv(strings.NewReader(tt.in), "conf/app.env")
			var se *envfmt.SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("got %v, want a *SyntaxError", err)
			}
			if se.File != "conf/app.env" || se.Line != tt.line {
				t.Errorf("got %s:%d, want conf/app.env:%d", se.File, se.Line, tt.line)
			}
			if !strings.Contains(se.Reason, tt.reason) {
				t.Errorf("reason %q does not say %q", se.Reason, tt.reason)
			}
			if strings.Contains(err.Error(), "canary") {
				t.Errorf("the error quotes the value")
			}
		})
	}
}

func TestParseDotenvLimits(t *testing.T) {
	big := strings.Repeat("A=1\n", envfmt.MaxDotenvSize/4+1)
	_, err := envfmt.ParseDotenv(strings.NewReader(big), "big.env")
	var se *envfmt.SyntaxError
	if !errors.As(err, &se) || se.Line != 0 || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("a file over the limit: got %v", err)
	}
	readErr := errors.New("disk on fire")
	if _, err := envfmt.ParseDotenv(iotest.ErrReader(readErr), "x.env"); !errors.Is(err, readErr) {
		t.Errorf("a failing reader: got %v, want it wrapped", err)
	}
}

// FuzzDotenvRoundTrip checks that what the dotenv writer writes, the
// parser reads back exactly: the grammar has one definition.
func FuzzDotenvRoundTrip(f *testing.F) {
	for _, s := range []string{"", "plain", `a"b\c$d` + "`e\nf\rg", "'", "#x", " lead", "tab\there", "héllo"} {
		f.Add("NAME", s)
	}
	f.Fuzz(func(t *testing.T, name, value string) {
		vars := []envfmt.Var{{Name: name, Value: value}}
		data, err := envfmt.Encode(envfmt.Dotenv, vars)
		if err != nil {
			return // a name or value dotenv cannot carry
		}
		got, err := envfmt.ParseDotenv(strings.NewReader(string(data)), "fuzz.env")
		if err != nil {
			t.Fatalf("the parser rejects what the writer wrote: %v", err)
		}
		if len(got) != 1 || got[0] != name+"="+value {
			t.Fatalf("round trip changed the variable (%d entries)", len(got))
		}
	})
}

// FuzzParseDotenv checks that the parser never panics and that an error
// never holds a line's text beyond its name.
func FuzzParseDotenv(f *testing.F) {
	for _, s := range []string{"A=1\n", "A=\"x\\q\"\n", "A='x\n", "export B=\"$\"", "# c\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		data := in + "\nZ=\"can-ary\\"
		_, err := envfmt.ParseDotenv(strings.NewReader(data), "f.env")
		if err == nil {
			t.Fatalf("a line with no closing quote parsed")
		}
		if strings.Contains(err.Error(), "can-ary") { // no name holds a -
			t.Fatalf("the error quotes a value")
		}
	})
}

// TestParseDotenvErrorsEndTheSentence: the reasons that list the escapes
// list all of them, the backquote's included (issue 19, item 9: the
// error for B=$X ended at "\$ \").
func TestParseDotenvErrorsEndTheSentence(t *testing.T) {
	const all = `\\ \" \$ \` + "`" + ` \n and \r`
	for _, in := range []string{"B=$X\n", `B="\t"` + "\n"} {
		_, err := envfmt.ParseDotenv(strings.NewReader(in), "app.env")
		var se *envfmt.SyntaxError
		if !errors.As(err, &se) {
			t.Fatalf("%q: got %v, want a *SyntaxError", in, err)
		}
		if !strings.HasSuffix(se.Reason, all) {
			t.Errorf("%q: reason %q does not end with the escapes %s", in, se.Reason, all)
		}
	}
}

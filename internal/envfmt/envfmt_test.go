package envfmt_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/valuefrom/valuefrom/internal/envfmt"
	"github.com/valuefrom/valuefrom/internal/testkit/dotenvtest"
)

// tricky are values that break naive quoting.
var tricky = map[string]string{
	"EMPTY":     "",
	"SPACES":    "  two  spaces  ",
	"SINGLE":    "it's",
	"QUOTES":    `'"'"''`,
	"DOUBLE":    `say "hi"`,
	"DOLLAR":    "$HOME ${HOME} $(id) $$ $",
	"BACKTICK":  "`id` `",
	"BACKSLASH": `a\b\\c\n\"\$ \`,
	"NEWLINES":  "line1\nline2\n\nline4\n",
	"CRLF":      "a\r\nb\r",
	"TAB":       "a\tb",
	"UNICODE":   "ünïcødé ☃ 𝄞 \u00a0",
	"EQUALS":    "a=b==c",
	"HASH":      "# not a comment",
	"MIX":       "'\"$`\\\n\r\t☃",
}

func trickyVars() []envfmt.Var {
	return envfmt.Select(environ(tricky), func(string) bool { return true })
}

func environ(m map[string]string) []string {
	var env []string
	for k, v := range m {
		env = append(env, k+"="+v)
	}
	return env
}

func TestShellRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs a real shell")
	}
	data, err := envfmt.Encode(envfmt.Shell, trickyVars())
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range tricky {
		// The script is the encoded text itself, evaluated by sh.
		cmd := exec.Command("sh", "-c", `eval "$1"; printf %s "$`+name+`"`, "sh", string(data))
		cmd.Env = []string{"HOME=/should-not-expand", "PATH=/usr/bin:/bin"}
		got, err := cmd.Output()
		if err != nil {
			t.Fatalf("sh: %v", err)
		}
		if string(got) != want {
			t.Errorf("%s: got %q, want %q", name, got, want)
		}
	}
}

func TestDotenvRoundTrip(t *testing.T) {
	data, err := envfmt.Encode(envfmt.Dotenv, trickyVars())
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), "\n"); n != len(tricky) {
		t.Errorf("%d lines, want one per variable (%d)", n, len(tricky))
	}
	got, err := dotenvtest.Parse(string(data))
	if err != nil {
		t.Fatalf("parsing the output: %v\n%s", err, data)
	}
	for name, want := range tricky {
		if got[name] != want {
			t.Errorf("%s: got %q, want %q", name, got[name], want)
		}
	}
	if len(got) != len(tricky) {
		t.Errorf("got %d variables, want %d", len(got), len(tricky))
	}
}

func TestJSONRoundTrip(t *testing.T) {
	data, err := envfmt.Encode(envfmt.JSON, trickyVars())
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	for name, want := range tricky {
		if got[name] != want {
			t.Errorf("%s: got %q, want %q", name, got[name], want)
		}
	}
	if strings.Contains(string(data), `\u003c`) {
		t.Error("HTML escaping is on")
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name   string
		format envfmt.Format
		v      envfmt.Var
		want   string // "" for no error
	}{
		{"shell ok", envfmt.Shell, envfmt.Var{Name: "_A1", Value: "\xff"}, ""},
		{"shell bad name", envfmt.Shell, envfmt.Var{Name: "A-B", Value: "x"}, "A-B: cannot be written as shell: the name is not a shell identifier"},
		{"shell digit first", envfmt.Shell, envfmt.Var{Name: "1A", Value: "x"}, "not a shell identifier"},
		{"dotenv not utf-8", envfmt.Dotenv, envfmt.Var{Name: "A", Value: "\xff"}, "A: cannot be written as dotenv: the value is not UTF-8 text"},
		{"json not utf-8", envfmt.JSON, envfmt.Var{Name: "A", Value: "a\xc3"}, "not UTF-8"},
		{"json any name", envfmt.JSON, envfmt.Var{Name: "a-b.c", Value: "x"}, ""},
		{"json empty name", envfmt.JSON, envfmt.Var{Name: "", Value: "x"}, "the name is empty"},
		{"nul", envfmt.Shell, envfmt.Var{Name: "A", Value: "a\x00b"}, "NUL"},
		{"json name not utf-8", envfmt.JSON, envfmt.Var{Name: "A\xffB", Value: "canary-v"}, `"A\xffB": cannot be written as json: the name is not UTF-8 text`},
		{"json name with U+FFFD", envfmt.JSON, envfmt.Var{Name: "A\ufffdB", Value: "canary-v"}, ""},
		{"shell name with a line separator", envfmt.Shell, envfmt.Var{Name: "A\u2028B", Value: "canary-v"}, `"A\u2028B": cannot be written as shell`},
		{"dotenv name with a bidi control", envfmt.Dotenv, envfmt.Var{Name: "A\u202eB", Value: "canary-v"}, `"A\u202eB": cannot be written as dotenv`},
		// What ParseDotenv refuses, the writer does not write (issue 20).
		{"dotenv value with a raw escape", envfmt.Dotenv, envfmt.Var{Name: "A", Value: "canary-v\x1b[2K"}, "A: cannot be written as dotenv: the value holds U+001B"},
		{"dotenv value with DEL", envfmt.Dotenv, envfmt.Var{Name: "A", Value: "canary-v\x7f"}, "U+007F"},
		{"dotenv value with a bidi override", envfmt.Dotenv, envfmt.Var{Name: "A", Value: "canary-v\u202e"}, "U+202E"},
		{"dotenv value with a zero-width space", envfmt.Dotenv, envfmt.Var{Name: "A", Value: "canary-v\u200b"}, "U+200B"},
		{"dotenv value with newline, CR and tab", envfmt.Dotenv, envfmt.Var{Name: "A", Value: "canary\r\n\tv"}, ""},
		{"json value with a bidi override", envfmt.JSON, envfmt.Var{Name: "A", Value: "canary-v\u202e\x1b"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := envfmt.Encode(tt.format, []envfmt.Var{{Name: "OK", Value: "fine"}, tt.v})
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("got error %v, want none", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("got error %v, want one containing %q", err, tt.want)
			case tt.want != "" && data != nil:
				t.Error("wrote something although a variable failed")
			}
			if err != nil && strings.Contains(err.Error(), tt.v.Value) && tt.v.Value != "" {
				t.Error("the value leaked into the error")
			}
		})
	}
}

func TestSelect(t *testing.T) {
	env := []string{"B=1", "A=2", "C=3", "B=4", "NOEQUALS"}
	got := envfmt.Select(env, func(n string) bool { return n != "C" })
	want := []envfmt.Var{{Name: "A", Value: "2"}, {Name: "B", Value: "4"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestIsTerminal(t *testing.T) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for name, w := range map[string]any{"/dev/null": null, "a file": f, "a buffer": &strings.Builder{}} {
		if envfmt.IsTerminal(w.(interface{ Write([]byte) (int, error) })) {
			t.Errorf("%s reported as a terminal", name)
		}
	}
	// A real terminal is tested end to end under a pty, in cmd/valuefrom.
}

func ExampleEncode() {
	vars := []envfmt.Var{{Name: "GREETING", Value: "it's \"$5\" `date`\nbye"}}
	for _, f := range envfmt.Formats {
		data, _ := envfmt.Encode(f, vars)
		fmt.Print(string(data))
	}
	// Output:
	// export GREETING='it'\''s "$5" `date`
	// bye'
	// GREETING="it's \"\$5\" \`date\`\nbye"
	// {
	//   "GREETING": "it's \"\u00245\" \u0060date\u0060\nbye"
	// }
}

// TestJSONNamesNotUTF8: names that encoding/json would turn into the same
// key (each bad byte becoming U+FFFD) are refused, not merged with one
// value lost (issue 12, item 10).
func TestJSONNamesNotUTF8(t *testing.T) {
	vars := envfmt.Select([]string{"K\xff=one", "K\xfe=two"}, func(string) bool { return true })
	data, err := envfmt.Encode(envfmt.JSON, vars)
	if err == nil {
		t.Fatalf("Encode wrote %d bytes, want an error", len(data))
	}
	if !strings.Contains(err.Error(), `"K\xf`) || !utf8.ValidString(err.Error()) {
		t.Errorf("error %q does not name the variable, escaped", err)
	}
}

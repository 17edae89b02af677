package envfmt_test

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/valuefrom/valuefrom/internal/envfmt"
)

// hostile are values that break naive quoting, in shells and dotenv
// parsers: each that runs a command runs "touch pwned" (or redirects to
// pwned). Failure messages name a value by its index and hash, never
// print it.
var hostile = []string{
	"", "plain", "it's", `say "hi"`, "'\"'\"''",
	"a`touch pwned`b", "`touch pwned`", "`touch pwned", "\\`touch pwned\\`",
	"$(touch pwned)", "$(touch${IFS}pwned)", "${x:=$(touch pwned)}", "$((1+1))",
	"${HOME}", "$HOME $$ $1 $@ $* $? $! $- $0 $", `\$(touch pwned)`, `$'\x41'`,
	`\`, `\\`, `a\`, `\"`, `\'`, "\\n", "\\\n", "a\\\nb", `\u0024`,
	`'; touch pwned; '`, `"; touch pwned; "`, "x'; touch pwned; echo '",
	"\n", "line1\nline2\n\n", "\ntouch pwned\n", "a\r\nb\r", "\r", "\r\ntouch pwned\r\n",
	"# not a comment", "a #b", "a=b==c", "=", "!", "!!", "!$", "!-1",
	"-n", "-e", "--", "-", "*", "?", "[a]", "~", "~root", "a;b", "a|b", "a&b", "<x", ">pwned", "a >pwned",
	"\t tab", "  spaces  ", "{}", "}", "EOF", "<<EOF",
	"ünïcødé ☃ 𝄞", "\u200b\u202e\u2028\u0085\u00a0\ufeff",
	"\xff\xfe", "a\xc3", // not UTF-8: the shell format only
	"export X=1; touch pwned",
	strings.Repeat("$(touch pwned)`touch pwned`", 200),
}

func label(i int, v string) string {
	return fmt.Sprintf("value %d (sha256 %x)", i, sha256.Sum256([]byte(v)))
}

// hostileVars returns the hostile values that format f can carry, as
// V00, V01, ...
func hostileVars(f envfmt.Format) []envfmt.Var {
	var vars []envfmt.Var
	for i, v := range hostile {
		if f != envfmt.Shell && !utf8.ValidString(v) || f == envfmt.Dotenv && dotenvRefuses(v) {
			continue
		}
		vars = append(vars, envfmt.Var{Name: fmt.Sprintf("V%02d", i), Value: v})
	}
	return vars
}

// shellReading is what a POSIX shell that sources the dotenv form reads
// for v: the value, but for newlines and carriage returns, which come out
// as the two characters \n and \r.
var shellReading = strings.NewReplacer("\n", `\n`, "\r", `\r`).Replace

// TestSourcedByShells sources the output of every format in sh, bash and
// dash, with set -a and . and with eval: no command runs, and the shell
// and dotenv forms read back as written (issue 12, item 3).
func TestSourcedByShells(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs real shells")
	}
	shells := []string{"sh", "bash", "dash"}
	modes := map[string]string{"source": "set -a; . ./vars", "eval": `eval "$(cat ./vars)"`}
	for _, sh := range shells {
		path, err := exec.LookPath(sh)
		if err != nil {
			t.Logf("%s not installed: skipped", sh)
			continue
		}
		for _, f := range envfmt.Formats {
			for mode, load := range modes {
				t.Run(sh+"/"+string(f)+"/"+mode, func(t *testing.T) {
					vars := hostileVars(f)
					data, err := envfmt.Encode(f, vars)
					if err != nil {
						t.Fatal(err)
					}
					dir := t.TempDir()
					if err := os.WriteFile(filepath.Join(dir, "vars"), data, 0o600); err != nil {
						t.Fatal(err)
					}
					script := load + "\n"
					if f == envfmt.JSON {
						// Sourcing JSON is a mistake; it must still run nothing.
						script = load + " >/dev/null 2>&1\ntrue\n"
					} else {
						for _, v := range vars {
							script += fmt.Sprintf("printf %%s \"$%s\" >out.%s\n", v.Name, v.Name)
						}
					}
					cmd := exec.Command(path, "-c", script)
					cmd.Dir = dir
					cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=/nonexistent", "x=set"}
					// Sourcing JSON may fail, as long as it runs nothing.
					if out, err := cmd.CombinedOutput(); err != nil && f != envfmt.JSON {
						t.Fatalf("%s: %v (%d bytes of output)", sh, err, len(out))
					}
					if _, err := os.Stat(filepath.Join(dir, "pwned")); !errors.Is(err, os.ErrNotExist) {
						t.Fatalf("a command ran: %s exists", filepath.Join(dir, "pwned"))
					}
					if f == envfmt.JSON {
						var got map[string]string
						if err := json.Unmarshal(data, &got); err != nil {
							t.Fatal(err)
						}
						for i, v := range vars {
							if got[v.Name] != v.Value {
								t.Errorf("%s: %s reads back different", v.Name, label(i, v.Value))
							}
						}
						return
					}
					for _, v := range vars {
						got, err := os.ReadFile(filepath.Join(dir, "out."+v.Name))
						if err != nil {
							t.Fatal(err)
						}
						want := v.Value
						if f == envfmt.Dotenv {
							want = shellReading(v.Value)
						}
						if string(got) != want {
							var i int
							fmt.Sscanf(v.Name, "V%d", &i)
							t.Errorf("%s: %s reads back different (%d bytes, want %d)", v.Name, label(i, v.Value), len(got), len(want))
						}
					}
				})
			}
		}
	}
}

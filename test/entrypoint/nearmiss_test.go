package entrypoint

// Values that are almost references, and values that could break an
// error line: the binary against the grammar's near misses (issue 12,
// items 2 and 11).

import (
	"strings"
	"testing"

	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

// regionOnly is the environment of a run that needs a region and nothing
// else of AWS: no call is made.
var regionOnly = []string{"AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true"}

// TestNearMissFailsClosed: a reference with white space, quotes or an
// invisible character around it stops the program from starting (exit 3),
// naming the variable; VALUEFROM_IGNORE passes it through (item 2).
func TestNearMissFailsClosed(t *testing.T) {
	vfbin.Need(t)
	for name, v := range map[string]string{
		"leading space": " ssm:/p", "quotes": `"ssm:/p"`, "tab": "\tssm:/p", "BOM": "\ufeffssm:/p",
		"no-break space": "\u00a0ssm:/p", "zero-width space": "\u200bssm:/p", "typographic quotes": "\u201cssm:/p\u201d",
	} {
		t.Run(name, func(t *testing.T) {
			r := vfbin.RunEnv(t, append([]string{"V=" + v}, regionOnly...), "--", "printenv", "V")
			if r.Code != exitcode.Syntax || r.Stdout != "" {
				t.Errorf("exit %d, %d bytes of output; want exit %d and the program not run", r.Code, len(r.Stdout), exitcode.Syntax)
			}
			if !strings.Contains(r.Stderr, "V: ") || !strings.Contains(r.Stderr, "surround the reference") {
				t.Errorf("stderr does not name V and the reason: %q", r.Stderr)
			}
			r = vfbin.RunEnv(t, append([]string{"V=" + v, "VALUEFROM_IGNORE=V"}, regionOnly...), "--", "printenv", "V")
			if r.Code != 0 || r.Stdout != v+"\n" {
				t.Errorf("with VALUEFROM_IGNORE=V: exit %d, output differs; want the value passed through", r.Code)
			}
		})
	}
}

// TestErrorsHoldNoUnsafeCharacters: a malformed value with a line
// separator, NEL or a bidi control cannot split or reverse the error line
// (item 11).
func TestErrorsHoldNoUnsafeCharacters(t *testing.T) {
	vfbin.Need(t)
	for _, c := range []string{"\u2028", "\u2029", "\u0085", "\u202e", "\u2066", "\x1b"} {
		for _, v := range []string{"ssm:/p" + c + "x", c + "ssm:/p", "secretsmanager:db:k" + c + "::"} {
			// The variable's name is printed by resolver.Error as it is: that
			// is the lead's to escape (reference.QuoteName), not tested here.
			r := vfbin.RunEnv(t, append([]string{"V=" + v}, regionOnly...), "--", "true")
			if r.Code != exitcode.Syntax {
				t.Errorf("%U: exit %d, want %d", []rune(c)[0], r.Code, exitcode.Syntax)
			}
			if strings.Contains(r.Stderr, c) {
				t.Errorf("%U: stderr holds it raw: %q", []rune(c)[0], r.Stderr)
			}
		}
	}
}

package resolver

import (
	"strings"
	"testing"

	"github.com/valuefrom/valuefrom/internal/awsapi"
	"github.com/valuefrom/valuefrom/resolver/reference"
)

// TestErrorQuotesUnsafeNames: a variable's name with a line separator or a
// bidi control cannot split or reverse the error line (issue 12, item 11).
func TestErrorQuotesUnsafeNames(t *testing.T) {
	ref, err := reference.Parse("ssm:/app/db")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"A\u2028B", "A\u202eB", "A\u0085B", "A\x1bB", "A\xffB"} {
		msg := (&Error{Var: name, Ref: ref, Code: awsapi.CodeNotFound}).Error()
		for _, bad := range []string{"\u2028", "\u202e", "\u0085", "\x1b", "\xff"} {
			if strings.Contains(msg, bad) {
				t.Errorf("Error() for name %q holds %q raw", name, bad)
			}
		}
	}
	if got := (&Error{Var: "DB_URL", Ref: ref, Code: awsapi.CodeNotFound}).Error(); !strings.HasPrefix(got, "DB_URL: ") {
		t.Errorf("Error() = %q: a plain name must be printed as it is", got)
	}
}

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

// TestErrorQuotesTheReference: a reference that ends in colons does not
// run into the separator that follows it ("password::" then ": Code" must
// never read "password:::"), and an error without one says nothing of it
// (issue 19, item 9).
func TestErrorQuotesTheReference(t *testing.T) {
	for _, in := range []string{"secretsmanager:prod/db:password::", "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-x:password::", "ssm:/app/db:3"} {
		ref, err := reference.Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		got := (&Error{Var: "DB", Ref: ref, Code: awsapi.CodeNotFound}).Error()
		if want := `DB: "` + in + `": NotFound`; got != want {
			t.Errorf("Error() = %q, want %q", got, want)
		}
	}
	if got := (&Error{Var: "DB", Code: awsapi.CodeSyntax}).Error(); got != "DB: MalformedReference" {
		t.Errorf("Error() without a reference = %q, want %q", got, "DB: MalformedReference")
	}
}

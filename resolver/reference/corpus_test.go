package reference

import (
	"errors"
	"strings"
	"testing"

	"github.com/valuefrom/valuefrom/internal/testkit/corpus"
)

// TestCorpus runs every line of testdata/corpus/references.txt through Is,
// Parse and Find: references in every form AWS writes them, managed
// secrets' names (issue 19, item 1), regions that do not exist (item 7),
// near misses (item 5) and ordinary values.
func TestCorpus(t *testing.T) {
	for _, c := range corpus.References(t) {
		t.Run(c.In, func(t *testing.T) {
			got, err := Parse(c.In)
			reqs, ferr := Find([]string{"V=" + c.In}, nil)
			switch c.Outcome {
			case corpus.Pass:
				if Is(c.In) || !errors.Is(err, ErrNotReference) {
					t.Fatalf("line %d: Is = %v, Parse error %v; want an ordinary value, passed through", c.Line, Is(c.In), err)
				}
				if reqs != nil || ferr != nil {
					t.Errorf("line %d: Find = %v, %v; want nothing", c.Line, reqs, ferr)
				}
			case corpus.Malformed:
				var se *SyntaxError
				if !Is(c.In) || !errors.As(err, &se) {
					t.Fatalf("line %d: Is = %v, Parse error %v; want a *SyntaxError", c.Line, Is(c.In), err)
				}
				if !strings.Contains(se.Reason, c.Want["reason"]) {
					t.Errorf("line %d: reason %q, want it to hold %q", c.Line, se.Reason, c.Want["reason"])
				}
				if se.Suggest != c.Want["suggest"] {
					t.Errorf("line %d: Suggest = %q, want %q", c.Line, se.Suggest, c.Want["suggest"])
				}
				if s := c.Want["suggest"]; s != "" {
					if !strings.Contains(se.Reason, "did you mean "+`"`+s+`"?`) {
						t.Errorf("line %d: reason %q does not name the suggestion", c.Line, se.Reason)
					}
					if _, err := Parse(s); err != nil {
						t.Errorf("line %d: the suggestion %q does not parse: %v", c.Line, s, err)
					}
				}
				var errs Errors
				if reqs != nil || !errors.As(ferr, &errs) || len(errs) != 1 || errs[0].Var != "V" {
					t.Errorf("line %d: Find = %v, %v; want one error naming V", c.Line, reqs, ferr)
				}
				if reqs, err := Find([]string{"V=" + c.In}, func(n string) bool { return n == "V" }); reqs != nil || err != nil {
					t.Errorf("line %d: Find with V skipped = %v, %v; want nothing: VALUEFROM_IGNORE is the escape hatch", c.Line, reqs, err)
				}
			case corpus.Ref:
				if !Is(c.In) || err != nil {
					t.Fatalf("line %d: Is = %v, Parse error %v; want a reference", c.Line, Is(c.In), err)
				}
				want := Ref{Service: Service(c.Want["service"]), Partition: c.Want["partition"], Region: c.Want["region"],
					Account: c.Want["account"], Name: c.Want["name"], JSONKey: c.Want["key"], VersionStage: c.Want["stage"],
					VersionID: c.Want["version"], Selector: c.Want["selector"], raw: c.In}
				if got != want {
					t.Errorf("line %d: Parse\n got %+v\nwant %+v", c.Line, got, want)
				}
				if id, ok := c.Want["id"]; ok && got.ID() != id {
					t.Errorf("line %d: ID() = %q, want %q", c.Line, got.ID(), id)
				}
				if arn, ok := c.Want["arn"]; ok && got.ARN("aws", "us-east-1", "111122223333") != arn {
					t.Errorf("line %d: ARN() = %q, want %q", c.Line, got.ARN("aws", "us-east-1", "111122223333"), arn)
				}
				if len(reqs) != 1 || ferr != nil || reqs[0].Ref != got {
					t.Errorf("line %d: Find = %v, %v; want the reference", c.Line, reqs, ferr)
				}
			}
		})
	}
}

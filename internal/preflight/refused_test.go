package preflight

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/valuefrom/valuefrom/internal/taskdef"
)

// TestCheckRefused: an entry of the task definition that ECS would refuse
// (valueFrom in environment) is a failed row naming the container, the
// list and the variable, before the others, so that check fails where
// run would exit 3 (issue 19, item 2); the summary counts it as what it
// is.
func TestCheckRefused(t *testing.T) {
	refused := taskdef.Errors{
		{File: "td.json", Container: "orders", List: "environment", Index: 1, Var: "DB_PASSWORD", Reason: "has valueFrom, which ECS reads only in secrets"},
		{File: "td.json", Container: "orders", List: "environment", Index: -1, Reason: "is an object"},
	}
	c := New(Config{AWS: aws.Config{Region: "us-east-1"}})
	rep := c.CheckFor(context.Background(), []string{"MODE=production"}, nil, Inputs{Refused: refused})
	if len(rep.Rows) != 2 {
		t.Fatalf("%d rows, want one per refused entry: %+v", len(rep.Rows), rep.Rows)
	}
	for i, want := range []string{"DB_PASSWORD", "environment"} {
		r := rep.Rows[i]
		if r.Var != want || !r.Entry || r.Verdict != Fail || len(r.Problems) != 1 || r.Problems[0].Code != CodeTaskDefinition {
			t.Errorf("row %d: %+v; want %s, a failed entry", i, r, want)
		}
	}
	if p := rep.Rows[0].Problems[0]; !strings.Contains(p.Message, `td.json: container orders: environment[1] DB_PASSWORD: has valueFrom`) {
		t.Errorf("message %q does not name the file, container, list and variable", p.Message)
	}
	if got, want := rep.Outcome(Fail), "2 task-definition entries ECS would refuse"; got != want {
		t.Errorf("Outcome = %q, want %q", got, want)
	}
	var table bytes.Buffer
	rep.WriteTable(&table)
	for _, w := range []string{"0 references, 2 refused task-definition entries: 0 ok, 0 warning, 2 fail", "MalformedTaskDefinition"} {
		if !strings.Contains(table.String(), w) {
			t.Errorf("table lacks %q:\n%s", w, table.String())
		}
	}
	if strings.Contains(table.String(), "no references found") {
		t.Errorf("table says no references were found, with two refused entries:\n%s", table.String())
	}
}

// TestOutcome: the line that ends a check counts references, settings and
// entries apart: four failed references and a failed setting are not
// "5 references would not resolve" (issue 19, item 9).
func TestOutcome(t *testing.T) {
	rep := &Report{}
	for range 4 {
		rep.Rows = append(rep.Rows, Row{Verdict: Fail})
	}
	rep.Rows = append(rep.Rows, Row{Verdict: Fail, Setting: true}, Row{Verdict: Warning}, Row{Verdict: Warning, Setting: true},
		Row{Verdict: Warning, Setting: true}, Row{Verdict: OK})
	for v, want := range map[Verdict]string{
		Fail:    "4 references would not resolve, 1 setting would stop the start",
		Warning: "1 reference with warnings, 2 settings with warnings",
	} {
		if got := rep.Outcome(v); got != want {
			t.Errorf("Outcome(%s) = %q, want %q", v, got, want)
		}
	}
}

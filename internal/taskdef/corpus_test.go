package taskdef

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/valuefrom/valuefrom/internal/testkit/corpus"
)

// TestCorpus reads every task definition of testdata/corpus/taskdefs.txt:
// the shapes AWS, Terraform and CloudFormation write are read (issue 19,
// item 3), an entry ECS would refuse is an error naming the container,
// the list and the variable, exit 3 (item 2), and what is no task
// definition is a sentence naming the accepted shapes, with no Go type.
func TestCorpus(t *testing.T) {
	for _, td := range corpus.TaskDefs(t) {
		t.Run(strings.TrimSuffix(td.File[strings.LastIndex(td.File, "/")+1:], ".json")+"/"+td.Container, func(t *testing.T) {
			c, err := Load(context.Background(), td.File, td.Container)
			var bad Errors
			switch td.Outcome {
			case corpus.Vars:
				if err != nil {
					t.Fatalf("line %d: %v", td.Line, err)
				}
				if got := c.Environ(); !slices.Equal(got, td.Vars) {
					t.Errorf("line %d: Environ() =\n%q\nwant\n%q", td.Line, got, td.Vars)
				}
			case corpus.Shape:
				if err == nil || errors.As(err, &bad) {
					t.Fatalf("line %d: error %v, want a shape error", td.Line, err)
				}
				if !strings.Contains(err.Error(), td.Want["error"]) {
					t.Errorf("line %d: error %q, want it to hold %q", td.Line, err, td.Want["error"])
				}
				if strings.Contains(err.Error(), "struct") || strings.Contains(err.Error(), "[]") || strings.Contains(err.Error(), "taskdef.") {
					t.Errorf("line %d: error %q names a Go type", td.Line, err)
				}
			case corpus.Entry:
				if !errors.As(err, &bad) {
					t.Fatalf("line %d: error %v, want an Errors", td.Line, err)
				}
				var coded interface{ ExitCode() int }
				if !errors.As(err, &coded) || coded.ExitCode() != 3 {
					t.Errorf("line %d: the error carries no exit code 3", td.Line)
				}
				e := bad[0]
				if e.Var != td.Want["var"] || e.Where() != td.Want["list"] || e.Container != "orders" || e.File != td.File {
					t.Errorf("line %d: first error in %s container %q at %s, variable %q; want %s, orders, %s, %q",
						td.Line, e.File, e.Container, e.Where(), e.Var, td.File, td.Want["list"], td.Want["var"])
				}
				for _, k := range []string{"error", "error2"} {
					if w := td.Want[k]; !strings.Contains(err.Error(), w) {
						t.Errorf("line %d: error %q, want it to hold %q", td.Line, err, w)
					}
				}
				if c == nil {
					t.Fatalf("line %d: no container with the well-formed entries", td.Line)
				}
				for _, kv := range c.Environ() {
					name, _, _ := strings.Cut(kv, "=")
					for _, e := range bad {
						if e.Var != "" && e.Var == name {
							t.Errorf("line %d: %s is both refused and set", td.Line, name)
						}
					}
				}
			}
		})
	}
}

package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
	"github.com/valuefrom/valuefrom/resolver"
	"github.com/valuefrom/valuefrom/resolver/reference"
)

// failures are three failures of two causes, the second cause between
// the first's two failures, and one with no hint.
func failures(t *testing.T) resolver.Errors {
	t.Helper()
	ref := func(s string) reference.Ref {
		r, err := reference.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	return resolver.Errors{
		{Var: "A", Ref: ref("ssm:/a"), Code: "AccessDeniedException", RequestID: "req-1", Hint: "allow ssm:GetParameters", Err: errors.New("denied")},
		{Var: "B", Ref: ref("secretsmanager:b"), Code: "ResourceNotFoundException", Hint: "create the secret"},
		{Var: "C", Ref: ref("ssm:/c"), Code: "AccessDeniedException", Hint: "allow ssm:GetParameters"},
		{Var: "D", Ref: ref("ssm:/d"), Code: "InternalFailure"},
	}
}

// TestFailuresText: failures that share a hint come together, followed by
// their hint once, in the order each hint first comes; then the count.
func TestFailuresText(t *testing.T) {
	var b strings.Builder
	New(&b, false).Failures(failures(t), 4, "could not be resolved", "the command was not started")
	want := []string{
		"valuefrom: error: A: \"ssm:/a\": AccessDeniedException (request id req-1): denied",
		"valuefrom: error: C: \"ssm:/c\": AccessDeniedException",
		"valuefrom: hint: allow ssm:GetParameters",
		"valuefrom: error: B: \"secretsmanager:b\": ResourceNotFoundException",
		"valuefrom: hint: create the secret",
		"valuefrom: error: D: \"ssm:/d\": InternalFailure",
		"valuefrom: error: 4 references could not be resolved; the command was not started",
	}
	if got := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	b.Reset()
	New(&b, false).Failures(failures(t)[3:], 3, "could not be parsed", "nothing was printed")
	if want := "valuefrom: error: 1 reference could not be parsed; nothing was printed\n"; !strings.HasSuffix(b.String(), want) {
		t.Errorf("got %q, want it to end in %q", b.String(), want)
	}
}

// TestFailuresJSON: one object per failure and per hint, each with the
// exit code; no count line.
func TestFailuresJSON(t *testing.T) {
	var b strings.Builder
	New(&b, true).Failures(failures(t), 4, "could not be resolved", "the command was not started")
	objs := vfbin.JSONLines(t, b.String())
	if len(objs) != 6 {
		t.Fatalf("%d objects, want 6 (4 failures, 2 hints):\n%s", len(objs), b.String())
	}
	first := objs[0]
	for k, want := range map[string]any{"level": "ERROR", "msg": "reference failed", "var": "A", "ref": "ssm:/a", "code": "AccessDeniedException", "request_id": "req-1", "exit_code": 4.0} {
		if first[k] != want {
			t.Errorf("first object's %s = %v, want %v", k, first[k], want)
		}
	}
	if _, ok := objs[1]["request_id"]; ok {
		t.Error("a failure without a request id has one in JSON")
	}
	hint := objs[2]
	if hint["msg"] != "hint" || hint["hint"] != "allow ssm:GetParameters" || hint["exit_code"] != 4.0 {
		t.Errorf("third object = %v, want the hint of A and C", hint)
	}
	if vars, _ := json.Marshal(hint["vars"]); string(vars) != `["A","C"]` {
		t.Errorf("hint's vars = %s, want [\"A\",\"C\"]", vars)
	}
}

func TestErrorAndWarning(t *testing.T) {
	tests := []struct {
		name  string
		json  bool
		write func(*Writer)
		want  string // text, or the JSON object's fields as key=value
	}{
		{"error", false, func(w *Writer) { w.Error("no command given", "run valuefrom -h for usage", 2) },
			"valuefrom: error: no command given\nvaluefrom: hint: run valuefrom -h for usage\n"},
		{"error without hint", false, func(w *Writer) { w.Error("boom", "", 1) }, "valuefrom: error: boom\n"},
		{"warning", false, func(w *Writer) { w.Warning("1 reference with warnings", 6) }, "valuefrom: warning: 1 reference with warnings\n"},
		{"warning on the way", false, func(w *Writer) { w.Warning("a note", 0) }, "valuefrom: warning: a note\n"},
		{"json error", true, func(w *Writer) { w.Error("no command given", "run valuefrom -h for usage", 2) },
			"exit_code=2 hint=run valuefrom -h for usage level=ERROR msg=no command given"},
		{"json error without hint", true, func(w *Writer) { w.Error("boom", "", 1) }, "exit_code=1 level=ERROR msg=boom"},
		{"json warning that ends the run", true, func(w *Writer) { w.Warning("1 reference with warnings", 6) },
			"exit_code=6 level=ERROR msg=1 reference with warnings"},
		{"json warning on the way", true, func(w *Writer) { w.Warning("a note", 0) }, "level=WARN msg=a note"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			tt.write(New(&b, tt.json))
			got := b.String()
			if tt.json {
				objs := vfbin.JSONLines(t, got)
				if len(objs) != 1 {
					t.Fatalf("%d objects, want 1:\n%s", len(objs), got)
				}
				got = fields(objs[0])
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// fields writes obj's fields but time as key=value, in key order.
func fields(obj map[string]any) string {
	var kv []string
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		if k != "time" {
			kv = append(kv, fmt.Sprintf("%s=%v", k, obj[k]))
		}
	}
	return strings.Join(kv, " ")
}

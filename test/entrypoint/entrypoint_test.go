package entrypoint

// The corpus suite: runs the valuefrom binary as a container's
// entrypoint against moto with every reference of the corpus
// (testdata/corpus/references.txt): what parses resolves, what is
// malformed stops the start with exit 3 and names the variable and what
// was meant, what is no reference reaches the program byte for byte; and
// check and policy agree with the start. Every value holds "canary"; no
// failure message prints one.

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/preflight"
	"github.com/valuefrom/valuefrom/internal/testkit/corpus"
	"github.com/valuefrom/valuefrom/internal/testkit/corpus/plan"
	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
	"github.com/valuefrom/valuefrom/resolver/reference"
)

// line is a corpus reference given to the binary as the variable name.
type line struct {
	corpus.Reference
	name string
	ref  reference.Ref
}

// byOutcome returns the corpus's references of outcome, each with a
// variable name of its own.
func byOutcome(t *testing.T, outcome string) []line {
	var out []line
	for _, c := range corpus.References(t) {
		if c.Outcome == outcome {
			out = append(out, line{Reference: c, name: fmt.Sprintf("%s_%03d", strings.ToUpper(outcome), c.Line)})
		}
	}
	return out
}

func TestCorpus(t *testing.T) {
	vfbin.Need(t)
	moto := mototest.Start(t)
	env := mototest.EndpointEnv(moto.URL)
	t.Run("references resolve", func(t *testing.T) { testReferences(t, moto, env) })
	t.Run("malformed stops the start", func(t *testing.T) { testMalformed(t, env) })
	t.Run("values pass through", func(t *testing.T) { testPass(t, env) })
}

// testReferences: every reference moto can hold is created, then resolved
// in one start; check finds every one ok; policy names each managed
// secret by the ARN moto gave it (issue 19, item 1).
func testReferences(t *testing.T, moto *mototest.Server, env []string) {
	seeds := plan.New("us-east-1")
	var lines []line
	for _, l := range byOutcome(t, corpus.Ref) {
		ref, err := reference.Parse(l.In)
		if err != nil {
			t.Fatalf("line %d: %v", l.Line, err)
		}
		if seeds.Add(ref) {
			l.ref = ref
			lines = append(lines, l)
		}
	}
	if len(lines) < 20 {
		t.Fatalf("only %d of the corpus's references can be resolved against moto", len(lines))
	}
	seeds.Seed(t, moto)
	vars := slices.Clone(env)
	want := map[string]string{}
	for _, l := range lines {
		vars = append(vars, l.name+"="+l.In)
		want[l.name] = seeds.Value(l.ref)
	}

	r := vfbin.RunEnv(t, vars, "--", "env", "-0")
	vfbin.NoLeak(t, "start", r, "canary")
	if r.Code != 0 {
		t.Fatalf("start: exit %d:\n%s", r.Code, r.Stderr)
	}
	vfbin.CheckEnviron(t, "start", r.Stdout, want)

	r = vfbin.RunEnv(t, vars, "check", "--format", "json")
	vfbin.NoLeak(t, "check", r, "canary")
	var rep preflight.Report
	if err := json.Unmarshal([]byte(r.Stdout), &rep); err != nil {
		t.Fatalf("check: exit %d, not JSON: %v\n%s", r.Code, err, r.Stderr)
	}
	if len(rep.Rows) != len(lines) || rep.Summary.Fail != 0 {
		t.Errorf("check: %d rows, %d failed; want %d, none failed (exit %d):\n%s", len(rep.Rows), rep.Summary.Fail, len(lines), r.Code, r.Stderr)
	}
	for _, row := range rep.Rows {
		if row.Verdict == preflight.Fail {
			t.Errorf("check: %s %q failed where the start resolved it: %+v", row.Var, row.Ref, row.Problems)
		}
	}

	var managed []string
	for _, l := range lines {
		if strings.Contains(l.ref.Name, "!") {
			managed = append(managed, l.name+"="+l.In)
		}
	}
	if len(managed) < 5 {
		t.Fatalf("only %d managed secrets' names among the references resolved", len(managed))
	}
	r = vfbin.RunEnv(t, append(slices.Clone(env), managed...), "policy")
	var p preflight.Policy
	if err := json.Unmarshal([]byte(r.Stdout), &p); err != nil || len(p.Statement) == 0 {
		t.Fatalf("policy: exit %d, %v:\n%s", r.Code, err, r.Stderr)
	}
	got := p.Statement[0].Resource
	for key, arn := range seeds.ARNs {
		if strings.Contains(key[1], "!") && !slices.Contains(got, arn) {
			t.Errorf("policy: resources %q lack %s, the ARN of the managed secret %s", got, arn, key[1])
		}
	}
	for _, res := range got {
		if strings.ContainsAny(res, "*?") {
			t.Errorf("policy: resource %q is a wildcard for secrets that exist", res)
		}
	}
}

// testMalformed: every malformed reference and near miss stops the start
// before any AWS call (the endpoint is a closed port) with exit 3, naming
// the variable and, for a near miss, the reference meant; check gives
// each a failed row, policy refuses.
func testMalformed(t *testing.T, env []string) {
	lines := byOutcome(t, corpus.Malformed)
	vars := append(slices.Clone(env), "AWS_ENDPOINT_URL=http://127.0.0.1:1")
	for _, l := range lines {
		vars = append(vars, l.name+"="+l.In)
	}
	r := vfbin.RunEnv(t, vars, "--", "env", "-0")
	if r.Code != exitcode.Syntax || r.Stdout != "" {
		t.Fatalf("start: exit %d, want %d and no program:\n%s", r.Code, exitcode.Syntax, r.Stderr)
	}
	for _, l := range lines {
		if !strings.Contains(r.Stderr, "valuefrom: error: "+l.name+": ") {
			t.Errorf("line %d: stderr does not name %s", l.Line, l.name)
		}
		if s := l.Want["suggest"]; s != "" && !strings.Contains(r.Stderr, `did you mean "`+s+`"?`) {
			t.Errorf("line %d: stderr does not suggest %s", l.Line, s)
		}
	}
	if want := fmt.Sprintf("%d references could not be parsed", len(lines)); !strings.Contains(r.Stderr, want) {
		t.Errorf("start: stderr lacks %q", want)
	}

	r = vfbin.RunEnv(t, vars, "check", "--format", "json")
	var rep preflight.Report
	if err := json.Unmarshal([]byte(r.Stdout), &rep); err != nil || r.Code != exitcode.Failures {
		t.Fatalf("check: exit %d, %v; want %d:\n%s", r.Code, err, exitcode.Failures, r.Stderr)
	}
	if rep.Summary.Fail != len(lines) || len(rep.Rows) != len(lines) {
		t.Errorf("check: %+v for %d malformed references", rep.Summary, len(lines))
	}
	if want := fmt.Sprintf("%d references would not resolve", len(lines)); !strings.Contains(r.Stderr, want) {
		t.Errorf("check: stderr lacks %q:\n%s", want, r.Stderr)
	}
	if r := vfbin.RunEnv(t, vars, "policy"); r.Code != exitcode.Syntax {
		t.Errorf("policy: exit %d, want %d", r.Code, exitcode.Syntax)
	}
}

// testPass: what is no reference reaches the program byte for byte, with
// no AWS call; check finds no reference.
func testPass(t *testing.T, env []string) {
	lines := byOutcome(t, corpus.Pass)
	vars := append(slices.Clone(env), "AWS_ENDPOINT_URL=http://127.0.0.1:1")
	want := map[string]string{}
	for _, l := range lines {
		vars = append(vars, l.name+"="+l.In)
		want[l.name] = l.In
	}
	r := vfbin.RunEnv(t, vars, "--", "env", "-0")
	if r.Code != 0 {
		t.Fatalf("start: exit %d:\n%s", r.Code, r.Stderr)
	}
	got := vfbin.Environ(r.Stdout)
	for _, l := range lines {
		if got[l.name] != l.In {
			t.Errorf("line %d: the program got %q, want %q untouched", l.Line, got[l.name], l.In)
		}
	}
	r = vfbin.RunEnv(t, vars, "check")
	if r.Code != 0 || !strings.Contains(r.Stdout, "no references found") {
		t.Errorf("check: exit %d, want 0 and no references found:\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
}

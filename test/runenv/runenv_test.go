package runenv

// The corpus suite: runs valuefrom run, env, render and check with --task-def
// against moto for every task definition of the corpus
// (testdata/corpus/taskdefs.txt): the shapes AWS, Terraform,
// CloudFormation and CDK write are read and their references resolved;
// an entry ECS would refuse stops run, env and render with exit 3 and is
// a failed row in check; what is no task definition is exit 2 with a
// sentence. Every value holds "canary"; no failure message prints one.

import (
	"encoding/json"
	"os"
	"path/filepath"
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

// taskDefArgs returns the --task-def and --container flags of td.
func taskDefArgs(td corpus.TaskDef) []string {
	args := []string{"--task-def", td.File}
	if td.Container != "" {
		args = append(args, "--container", td.Container)
	}
	return args
}

func TestCorpus(t *testing.T) {
	vfbin.Need(t)
	moto := mototest.Start(t)
	env := mototest.EndpointEnv(moto.URL)
	tds := corpus.TaskDefs(t)

	// Every reference of every task definition, its variables read or
	// not, exists in moto: what fails, fails for its shape.
	seeds := plan.New("us-east-1")
	for _, td := range tds {
		for _, kv := range td.Vars {
			if _, v, _ := strings.Cut(kv, "="); reference.Is(v) {
				ref, err := reference.Parse(v)
				if err != nil || !seeds.Add(ref) {
					t.Fatalf("taskdefs.txt:%d: %s cannot be created in moto (%v)", td.Line, v, err)
				}
			}
		}
	}
	ref, _ := reference.Parse("ssm:/orders/api-key") // the other variable of the refused ones
	seeds.Add(ref)
	seeds.Seed(t, moto)

	for _, td := range tds {
		t.Run(strings.TrimSuffix(filepath.Base(td.File), ".json")+"/"+td.Container, func(t *testing.T) {
			switch td.Outcome {
			case corpus.Vars:
				testVars(t, env, td, seeds)
			case corpus.Shape:
				testShape(t, env, td)
			case corpus.Entry:
				testEntry(t, env, td)
			}
		})
	}
}

// testVars: run gives the program the container's variables, resolved;
// env prints them; check finds nothing wrong.
func testVars(t *testing.T, env []string, td corpus.TaskDef, seeds *plan.Plan) {
	want := map[string]string{}
	for _, kv := range td.Vars {
		name, v, _ := strings.Cut(kv, "=")
		if ref, err := reference.Parse(v); err == nil {
			v = seeds.Value(ref)
		}
		want[name] = v
	}
	r := vfbin.RunEnv(t, env, slices.Concat([]string{"run"}, taskDefArgs(td), []string{"--", "env", "-0"})...)
	vfbin.NoLeak(t, "run", r, "canary")
	if r.Code != 0 {
		t.Fatalf("line %d: run: exit %d:\n%s", td.Line, r.Code, r.Stderr)
	}
	vfbin.CheckEnviron(t, "run", r.Stdout, want)

	r = vfbin.RunEnv(t, env, slices.Concat([]string{"env"}, taskDefArgs(td), []string{"--format", "json"})...)
	vfbin.NoLeak(t, "env", r, "canary")
	var printed map[string]string
	if err := json.Unmarshal([]byte(r.Stdout), &printed); err != nil || r.Code != 0 {
		t.Fatalf("line %d: env: exit %d, %v:\n%s", td.Line, r.Code, err, r.Stderr)
	}
	if len(printed) != len(want) {
		t.Errorf("line %d: env printed %d variables, want the container's %d", td.Line, len(printed), len(want))
	}
	for k, w := range want {
		if printed[k] != w {
			t.Errorf("line %d: env: %s is not the value expected (values not shown)", td.Line, k)
		}
	}

	r = vfbin.RunEnv(t, env, slices.Concat([]string{"check"}, taskDefArgs(td))...)
	vfbin.NoLeak(t, "check", r, "canary")
	if r.Code != 0 {
		t.Errorf("line %d: check: exit %d where run starts:\n%s%s", td.Line, r.Code, r.Stdout, r.Stderr)
	}
}

// testShape: what is no task definition, or no container of it, is a
// usage error (exit 2) in a sentence, for every mode.
func testShape(t *testing.T, env []string, td corpus.TaskDef) {
	for _, mode := range [][]string{{"run"}, {"env"}, {"check"}, {"policy"}} {
		args := slices.Concat(mode, taskDefArgs(td))
		if mode[0] == "run" {
			args = append(args, "--", "true")
		}
		r := vfbin.RunEnv(t, env, args...)
		if r.Code != exitcode.Usage || !strings.Contains(r.Stderr, td.Want["error"]) {
			t.Errorf("line %d: %s: exit %d, want %d and %q:\n%s", td.Line, mode[0], r.Code, exitcode.Usage, td.Want["error"], r.Stderr)
		}
		if strings.Contains(r.Stderr, "struct {") || strings.Contains(r.Stderr, "taskdef.") {
			t.Errorf("line %d: %s: a Go type in the error:\n%s", td.Line, mode[0], r.Stderr)
		}
	}
}

// testEntry: an entry ECS would refuse stops run, env and render with
// exit 3, naming the container, the list and the variable, before any
// command starts or any file is written; check fails on it, with a row
// naming it, and examines the container's other variables; policy
// refuses (issue 19, item 2).
func testEntry(t *testing.T, env []string, td corpus.TaskDef) {
	out := filepath.Join(t.TempDir(), "out.env")
	for _, mode := range [][]string{{"run"}, {"env"}, {"render", "--out", out}} {
		args := slices.Concat(mode, taskDefArgs(td))
		if mode[0] == "run" {
			args = append(args, "--", "env", "-0")
		}
		r := vfbin.RunEnv(t, env, args...)
		vfbin.NoLeak(t, mode[0], r, "canary")
		if r.Code != exitcode.Syntax || r.Stdout != "" {
			t.Errorf("line %d: %s: exit %d, want %d and nothing on stdout:\n%s", td.Line, mode[0], r.Code, exitcode.Syntax, r.Stderr)
		}
		want := "container orders: " + td.Want["list"]
		if td.Want["var"] != "" {
			want += " " + td.Want["var"]
		}
		for _, w := range []string{want + ": ", td.Want["error"], td.Want["error2"]} {
			if !strings.Contains(r.Stderr, w) {
				t.Errorf("line %d: %s: stderr lacks %q:\n%s", td.Line, mode[0], w, r.Stderr)
			}
		}
	}
	if fileExists(out) {
		t.Errorf("line %d: render wrote %s", td.Line, out)
	}

	r := vfbin.RunEnv(t, env, slices.Concat([]string{"check", "--format", "json"}, taskDefArgs(td))...)
	vfbin.NoLeak(t, "check", r, "canary")
	var rep preflight.Report
	if err := json.Unmarshal([]byte(r.Stdout), &rep); err != nil || r.Code != exitcode.Failures {
		t.Fatalf("line %d: check: exit %d, %v; want %d:\n%s", td.Line, r.Code, err, exitcode.Failures, r.Stderr)
	}
	name := td.Want["var"]
	if name == "" {
		name = td.Want["list"]
	}
	i := slices.IndexFunc(rep.Rows, func(row preflight.Row) bool { return row.Var == name })
	if i < 0 || !rep.Rows[i].Entry || rep.Rows[i].Verdict != preflight.Fail || rep.Rows[i].Problems[0].Code != preflight.CodeTaskDefinition {
		t.Errorf("line %d: check: no failed entry row for %s: %+v", td.Line, name, rep.Rows)
	}
	for _, row := range rep.Rows {
		if !row.Entry && row.Verdict != preflight.OK {
			t.Errorf("line %d: check: %s, the container's other variable, is %s: %+v", td.Line, row.Var, row.Verdict, row.Problems)
		}
	}
	if !strings.Contains(r.Stderr, "ECS would refuse") {
		t.Errorf("line %d: check: the summary does not count the refused entries:\n%s", td.Line, r.Stderr)
	}
	if r := vfbin.RunEnv(t, env, slices.Concat([]string{"policy"}, taskDefArgs(td))...); r.Code != exitcode.Syntax {
		t.Errorf("line %d: policy: exit %d, want %d:\n%s", td.Line, r.Code, exitcode.Syntax, r.Stderr)
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

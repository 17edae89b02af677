// Package corpus reads the corpus of real-world inputs in testdata/corpus
// at the module's root: references in every form AWS writes them, near
// misses and ordinary values (references.txt), and ECS task definitions
// in the shapes AWS, Terraform and CDK write them (taskdefs.txt and the
// files it names). Each entry carries its expected outcome, so that the
// grammar's tests, taskdef's, check's, policy's and a start through the
// binary all read the same cases, and a bug found anywhere becomes a line
// that every level checks.
//
// The files are line-based: blank lines and lines starting with # are
// comments; other lines are fields separated by tabs. An input that
// starts with a double quote is a Go string literal (strconv.Unquote), for
// inputs with invisible characters. The fields after the outcome are
// KEY=VALUE pairs.
package corpus

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The outcomes of a reference.
const (
	Ref       = "ref"       // a reference that parses
	Pass      = "pass"      // not a reference: passed through untouched
	Malformed = "malformed" // starts like a reference, or nearly: exit 3, never passed through
)

// A Reference is a line of references.txt.
type Reference struct {
	Line    int
	In      string
	Outcome string            // Ref, Pass or Malformed
	Want    map[string]string // the KEY=VALUE fields (see references.txt)
}

// References returns the lines of references.txt, failing the test for a
// line that does not read.
func References(tb testing.TB) []Reference {
	tb.Helper()
	var refs []Reference
	for _, l := range lines(tb, "references.txt") {
		if len(l.fields) < 2 {
			tb.Fatalf("references.txt:%d: want INPUT<TAB>OUTCOME[<TAB>KEY=VALUE...]", l.n)
		}
		in := unquote(tb, "references.txt", l.n, l.fields[0])
		switch l.fields[1] {
		case Ref, Pass, Malformed:
		default:
			tb.Fatalf("references.txt:%d: outcome %q is not ref, pass or malformed", l.n, l.fields[1])
		}
		refs = append(refs, Reference{Line: l.n, In: in, Outcome: l.fields[1], Want: pairs(tb, "references.txt", l.n, l.fields[2:])})
	}
	return refs
}

// The outcomes of a task definition.
const (
	Vars  = "vars"  // read: the container's variables, in order, are the fields
	Shape = "shape" // refused: not a shape valuefrom reads, or no such container (exit 2)
	Entry = "entry" // refused: an entry of the container that ECS would refuse (exit 3, a fail row in check)
)

// A TaskDef is a line of taskdefs.txt.
type TaskDef struct {
	Line      int
	File      string // its path
	Container string // for --container; "" for none
	Outcome   string // Vars, Shape or Entry
	// Vars are the container's variables, NAME=VALUE, in order, for Vars;
	// secrets' values as references.
	Vars []string
	// Want are the KEY=VALUE fields of Shape and Entry: "error", a text
	// the error holds; for Entry also "var", "list" and "container".
	Want map[string]string
}

// TaskDefs returns the lines of taskdefs.txt.
func TaskDefs(tb testing.TB) []TaskDef {
	tb.Helper()
	var tds []TaskDef
	for _, l := range lines(tb, "taskdefs.txt") {
		if len(l.fields) < 3 {
			tb.Fatalf("taskdefs.txt:%d: want FILE<TAB>CONTAINER<TAB>OUTCOME[<TAB>...]", l.n)
		}
		td := TaskDef{Line: l.n, File: Path(tb, filepath.Join("taskdefs", l.fields[0])), Container: l.fields[1], Outcome: l.fields[2]}
		if td.Container == "-" {
			td.Container = ""
		}
		switch td.Outcome {
		case Vars:
			for _, f := range l.fields[3:] {
				td.Vars = append(td.Vars, unquote(tb, "taskdefs.txt", l.n, f))
			}
		case Shape, Entry:
			td.Want = pairs(tb, "taskdefs.txt", l.n, l.fields[3:])
		default:
			tb.Fatalf("taskdefs.txt:%d: outcome %q is not vars, shape or entry", l.n, td.Outcome)
		}
		tds = append(tds, td)
	}
	return tds
}

// Path returns the path of name in testdata/corpus.
func Path(tb testing.TB, name string) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "testdata", "corpus", name)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatalf("corpus: no go.mod above the test's directory")
		}
		dir = parent
	}
}

type line struct {
	n      int
	fields []string
}

func lines(tb testing.TB, name string) []line {
	tb.Helper()
	f, err := os.Open(Path(tb, name))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []line
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		text := sc.Text()
		if strings.TrimSpace(text) == "" || strings.HasPrefix(text, "#") {
			continue
		}
		out = append(out, line{n: n, fields: strings.Split(text, "\t")})
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

func unquote(tb testing.TB, file string, n int, s string) string {
	tb.Helper()
	if !strings.HasPrefix(s, `"`) {
		return s
	}
	u, err := strconv.Unquote(s)
	if err != nil {
		tb.Fatalf("%s:%d: %s is not a Go string literal: %v", file, n, s, err)
	}
	return u
}

func pairs(tb testing.TB, file string, n int, fields []string) map[string]string {
	tb.Helper()
	m := map[string]string{}
	for _, f := range fields {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			tb.Fatalf("%s:%d: field %q is not KEY=VALUE", file, n, f)
		}
		m[k] = unquote(tb, file, n, v)
	}
	return m
}

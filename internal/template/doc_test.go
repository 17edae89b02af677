package template

import (
	"bufio"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/valuefrom/valuefrom/internal/awsapi"
	"github.com/valuefrom/valuefrom/internal/envfmt"
)

const docPage = "../../docs/templates.md"

// A docExample is an example of the docs page: a fenced block whose info
// string has the word "template" (and may have name=FILE, the name errors
// use), then optionally one with "values" (dotenv, read as --env-file
// reads it), then one with "output" (what Render writes) or "error" (what
// Parse or Render says, one error a line).
type docExample struct {
	line                int // of the template block
	name, src, values   string
	want                string
	wantErr, hasOutcome bool
}

func docExamples(t *testing.T) []docExample {
	t.Helper()
	data, err := os.ReadFile(docPage)
	if err != nil {
		t.Fatal(err)
	}
	var (
		examples []docExample
		cur      *docExample
		words    []string // the open block's info string, nil outside a block
		body     strings.Builder
	)
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case words == nil && strings.HasPrefix(line, "```"):
			words = append(strings.Fields(strings.TrimPrefix(line, "```")), "")
			body.Reset()
			if slices.Contains(words, "template") {
				examples = append(examples, docExample{line: n, name: "template"})
				cur = &examples[len(examples)-1]
				for _, w := range words {
					if name, ok := strings.CutPrefix(w, "name="); ok {
						cur.name = name
					}
				}
			}
		case words != nil && line == "```":
			switch text := body.String(); {
			case slices.Contains(words, "template"):
				cur.src = text
			case cur == nil || cur.hasOutcome:
				// a block that is no part of an example
			case slices.Contains(words, "values"):
				cur.values = text
			case slices.Contains(words, "output"), slices.Contains(words, "error"):
				cur.want, cur.wantErr, cur.hasOutcome = text, slices.Contains(words, "error"), true
			}
			words = nil
		case words != nil:
			body.WriteString(line + "\n")
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return examples
}

// TestDocExamples renders every example of docs/templates.md and compares
// what it writes, or the error, with what the page shows.
func TestDocExamples(t *testing.T) {
	examples := docExamples(t)
	if len(examples) < 10 {
		t.Fatalf("found %d examples in %s; the page has more", len(examples), docPage)
	}
	used := map[string]bool{}
	for _, ex := range examples {
		if !ex.hasOutcome {
			t.Errorf("%s:%d: a template block with no output or error block after it", docPage, ex.line)
			continue
		}
		environ, err := envfmt.ParseDotenv(strings.NewReader(ex.values), "values")
		if err != nil {
			t.Errorf("%s:%d: %v", docPage, ex.line, err)
			continue
		}
		values := map[string]string{}
		for _, kv := range environ {
			name, value, _ := strings.Cut(kv, "=")
			values[name] = value
		}
		got, err := render(ex.name, ex.src, values)
		if ex.wantErr {
			if err == nil || err.Error()+"\n" != ex.want {
				t.Errorf("%s:%d: error\n%v\nwant\n%s", docPage, ex.line, err, ex.want)
			}
			continue
		}
		if err != nil || got != ex.want {
			t.Errorf("%s:%d: output\n%s\n(err %v), want\n%s", docPage, ex.line, got, err, ex.want)
		}
		for _, m := range regexp.MustCompile(`\|\s*(\w+)`).FindAllStringSubmatch(ex.src, -1) {
			used[m[1]] = true
		}
	}
	for _, f := range filters {
		if !used[f.name] {
			t.Errorf("no example of %s uses the filter %s", docPage, f.name)
		}
	}
}

func render(name, src string, values map[string]string) (string, error) {
	tmpl, err := Parse(name, []byte(src))
	if err != nil {
		return "", err
	}
	out, err := tmpl.Render(vars(values))
	return string(out), err
}

// TestDocNamesEverything: the page has a section for each filter and
// names every error code.
func TestDocNamesEverything(t *testing.T) {
	data, err := os.ReadFile(docPage)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	for _, f := range filters {
		if !strings.Contains(doc, "\n### `"+f.name+"`\n") {
			t.Errorf("%s has no section ### `%s`", docPage, f.name)
		}
	}
	for _, code := range []string{CodeSyntax, CodeUnknownFilter, CodeUnknownName, CodeUnencodable, awsapi.CodeJSONKey, awsapi.CodeNotJSONObject} {
		if !strings.Contains(doc, "| `"+code+"` |") {
			t.Errorf("%s does not list the error code %s", docPage, code)
		}
	}
}

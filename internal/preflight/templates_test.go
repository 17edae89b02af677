package preflight

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/valuefrom/valuefrom/internal/settings"
	"github.com/valuefrom/valuefrom/internal/template"
	"github.com/valuefrom/valuefrom/resolver"
)

// TestCheckTemplates: each template is loaded and rendered as a start
// would, with the values the rows read: a template that renders is an ok
// row; one that does not, a failed row per problem, named by template,
// line and column, saying the variable and never the value. A variable
// whose reference fails is named as such, not as unknown.
func TestCheckTemplates(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	good := write("good.tmpl", "{{ DB.user | yaml }} {{ KEY_FILE }} {{ API }}\n")
	bad := write("bad.tmpl", "{{ DB.pasword | json }}\n{{ BIN | xml }} {{ GONE }} {{ HOME }}\n")
	syntax := write("syntax.tmpl", "{{ DB | jsno }}")
	in := Inputs{Templates: []settings.Target{
		{Src: good, Dest: filepath.Join(dir, "good")},
		{Src: bad, Dest: filepath.Join(dir, "bad")},
		{Src: syntax, Dest: filepath.Join(dir, "syntax")},
		{Src: filepath.Join(dir, "none.tmpl"), Dest: filepath.Join(dir, "none")},
	}}
	// The rows as examine leaves them: values read, one reference failed.
	rows := []*row{
		{Row: Row{Var: "DB", Verdict: OK}, value: []byte(`{"user":"` + canary + `"}`)},
		{Row: Row{Var: "KEY_FILE", Verdict: OK}, value: []byte(canary)},
		{Row: Row{Var: "BIN", Verdict: OK}, value: []byte(canary + "\x00")},
		{Row: Row{Var: "GONE", Verdict: Fail}},
	}
	bulk := []resolver.Value{{Var: "API", Value: []byte(canary)}}
	environ := []string{"HOME=/root", "DB=secretsmanager:db"}

	got := templateRows(context.Background(), in, rows, bulk, environ, nil)
	type want struct{ place, code, msg string }
	wants := []want{
		{good, "", ""},
		{bad + ":1:7", "JSONKeyNotFound", `DB: JSON key "pasword" is not in the secret`},
		{bad + ":2:10", template.CodeUnencodable, "BIN: filter xml:"},
		{bad + ":2:20", CodeTemplateInput, "GONE: its reference would not resolve (see its row)"},
		{bad + ":2:31", template.CodeUnknownName, "HOME: no such variable"},
		{syntax + ":1:9", template.CodeUnknownFilter, `unknown filter "jsno"`},
		{filepath.Join(dir, "none.tmpl"), CodeTemplateUnusable, "no such file or directory"},
	}
	if len(got) != len(wants) {
		t.Fatalf("%d rows, want %d", len(got), len(wants))
	}
	for i, w := range wants {
		r := got[i]
		if r.Var != w.place || r.Template == "" {
			t.Errorf("row %d is %q (template %q), want %s", i, r.Var, r.Template, w.place)
		}
		if w.code == "" {
			if len(r.Problems) != 0 {
				t.Errorf("%s: problems %+v, want none", r.Var, r.Problems)
			}
			continue
		}
		if len(r.Problems) != 1 || r.Problems[0].Code != w.code || r.Problems[0].Verdict != Fail || !strings.Contains(r.Problems[0].Message, w.msg) {
			t.Errorf("%s: problems %+v, want %s %q", r.Var, r.Problems, w.code, w.msg)
		}
	}
	for _, r := range rows {
		if r.value != nil {
			t.Errorf("%s: the value was kept", r.Var)
		}
	}

	// With TemplateEnv, the plain environment, and only that: a reference
	// is not its value.
	in.TemplateEnv = true
	in.Templates = []settings.Target{{Src: write("env.tmpl", "{{ HOME }}"), Dest: filepath.Join(dir, "env")},
		{Src: write("ref.tmpl", "{{ DB }}"), Dest: filepath.Join(dir, "ref")}}
	got = templateRows(context.Background(), in, nil, nil, environ, func(string) bool { return false })
	if len(got) != 2 || len(got[0].Problems) != 0 || len(got[1].Problems) != 1 || got[1].Problems[0].Code != template.CodeUnknownName {
		t.Errorf("with TemplateEnv: %+v", got)
	}

	// Through CheckFor: the rows last, counted as templates, no value.
	c := New(Config{AWS: aws.Config{Region: "us-east-1"}})
	rep := c.CheckFor(context.Background(), environ[:1], nil, in)
	var table, js bytes.Buffer
	rep.WriteTable(&table)
	rep.WriteJSON(&js)
	for _, w := range []string{"0 references, 2 templates: 1 ok, 0 warning, 1 fail", "ref.tmpl:1:4: fail: UnknownVariable: DB: no such variable"} {
		if !strings.Contains(table.String(), w) {
			t.Errorf("table lacks %q:\n%s", w, table.String())
		}
	}
	if got, want := rep.Outcome(Fail), "1 template would not render"; got != want {
		t.Errorf("Outcome = %q, want %q", got, want)
	}
	if rep.Credentials != nil {
		t.Error("a check of templates alone asked STS who it is")
	}
	t.Run("json schema", func(t *testing.T) { checkSchema(t, js.Bytes()) })
	for where, out := range map[string]string{"table": table.String(), "json": js.String()} {
		if strings.Contains(out, canary) || strings.Contains(out, "/root") {
			t.Errorf("%s: a value leaked", where)
		}
	}
}

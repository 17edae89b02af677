package template

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/valuefrom/valuefrom/internal/awsapi"
)

// vars returns a lookup of the values in m.
func vars(m map[string]string) func(string) ([]byte, bool) {
	return func(name string) ([]byte, bool) {
		v, ok := m[name]
		return []byte(v), ok
	}
}

func TestRender(t *testing.T) {
	values := map[string]string{
		"USER":   "app",
		"PASS":   `p"a$s'w\rd`,
		"PADDED": "  \tsecret\n",
		"DB":     `{"username":"app","password":"p\"w","port":5432,"ssl":true,"opts":{"a": 1},"none":null,"a.b c":"dotted","x-y":"dash"}`,
		"EMPTY":  "",
	}
	tests := []struct {
		name, src, want string
	}{
		{"no actions", "plain text, { } }} and {x}\n", "plain text, { } }} and {x}\n"},
		{"empty", "", ""},
		{"raw value", "user={{USER}} pass={{ PASS }}", `user=app pass=p"a$s'w\rd`},
		{"white space of any kind", "{{\n\tUSER \r\n}}", "app"},
		{"json", "{{ PASS | json }}", `"p\"a$s'w\\rd"`},
		{"yaml", "{{ PASS | yaml }}", `"p\"a$s'w\\rd"`},
		{"shell", "{{ PASS | shell }}", `'p"a$s'\''w\rd'`},
		{"url", "{{ PASS | url }}", `p%22a%24s%27w%5Crd`},
		{"base64", "{{ USER | base64 }}", "YXBw"},
		{"xml", "{{ PASS | xml }}", `p&quot;a$s&apos;w\rd`},
		{"trim", "[{{ PADDED | trim }}]", "[secret]"},
		{"a chain, left to right", "{{ PADDED | trim | json }} {{ PADDED|json|base64 }}", `"secret" IiAgXHRzZWNyZXRcbiI=`},
		{"a key", "{{ DB.username }}:{{ DB.password }}", `app:p"w`},
		{"a key, filtered", "{{ DB.password | json }}", `"p\"w"`},
		{"a number as written", "{{ DB.port }}", "5432"},
		{"a boolean", "{{ DB.ssl }}", "true"},
		{"an object as compact JSON", "{{ DB.opts }}", `{"a":1}`},
		{"null as empty", "[{{ DB.none }}]", "[]"},
		{"a key with a dot and a space", `{{ DB["a.b c"] }}`, "dotted"},
		{"a key with a dash", `{{ DB.x-y }} {{ DB[ "x-y" ] }}`, "dash dash"},
		{"an empty value", "[{{ EMPTY }}][{{ EMPTY | json }}][{{ EMPTY | shell }}]", `[][""]['']`},
		{"the escape", `{{"{{"}} USER }}`, "{{ USER }}"},
		{"a string with }} and escapes", `{{ "}} \"q\" \\" }}`, `}} "q" \`},
		{"a string, filtered", `{{ "a b" | url }}`, "a%20b"},
		{"adjacent actions", "{{USER}}{{USER}}", "appapp"},
		{"a lone {", "{ {{USER}} }", "{ app }"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, err := Parse("t.tmpl", []byte(tt.src))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got, err := tmpl.Render(vars(values))
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("Render = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src string
		pos       string // line:column
		code      string
		says      string
	}{
		{"unterminated", "a\nb {{ X", "2:3", CodeSyntax, "unterminated action"},
		{"unterminated after a filter", "{{ X | json", "1:1", CodeSyntax, "unterminated action"},
		{"unterminated after a bar", "{{ X |", "1:1", CodeSyntax, "unterminated action"},
		{"unterminated string", `{{ "abc`, "1:4", CodeSyntax, "unterminated string"},
		{"a string across lines", "{{ \"a\nb\" }}", "1:4", CodeSyntax, "ends on its line"},
		{"unknown escape", `{{ "a\n" }}`, "1:6", CodeSyntax, "unknown escape"},
		{"empty", "x {{ }}", "1:6", CodeSyntax, "empty action"},
		{"a Go template", "{{ .Values.x }}", "1:4", CodeSyntax, `found '.'; to write {{ as text, write {{"{{"}}`},
		{"a trim marker", "{{- X }}", "1:3", CodeSyntax, `found '-'`},
		{"a name starting with a digit", "{{ 9LIVES }}", "1:4", CodeSyntax, "9LIVES is not a variable name"},
		{"unknown filter", "line1\n  {{ X | jsno }}", "2:10", CodeUnknownFilter, `unknown filter "jsno"; the filters are json, yaml, shell, url, base64, xml and trim`},
		{"filter names are case-sensitive", "{{ X | JSON }}", "1:8", CodeUnknownFilter, `unknown filter "JSON"`},
		{"no filter after the bar", "{{ X | }}", "1:8", CodeSyntax, "want a filter name after |, found '}'"},
		{"two names", "{{ X Y }}", "1:6", CodeSyntax, "want | or }}, found 'Y'"},
		{"one brace", "{{ X }", "1:6", CodeSyntax, "want | or }}, found '}'"},
		{"a nested key", "{{ X.a.b }}", "1:7", CodeSyntax, `a key selects a top-level key of a JSON object, one level; for a key with '.' in it write X["..."]`},
		{"a dot and nothing", "{{ X. }}", "1:6", CodeSyntax, `want a key after X., found ' '`},
		{"a bracket without a string", "{{ X[key] }}", "1:6", CodeSyntax, `want a "key" after X[`},
		{"a bracket not closed", `{{ X["k" }}`, "1:10", CodeSyntax, "want ] after the key"},
		{"columns count characters", "héllo wörld {{ X | nope }}", "1:20", CodeUnknownFilter, "unknown filter"},
		{"a byte that is not UTF-8", "{{ \xff }}", "1:4", CodeSyntax, "found the byte 0xff"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.tmpl", []byte(tt.src))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse error = %v, want an *Error", err)
			}
			if e.Op != "parse" || e.Code != tt.code {
				t.Errorf("Op, Code = %q, %q, want parse, %q", e.Op, e.Code, tt.code)
			}
			prefix := "t.tmpl:" + tt.pos + ": "
			if msg := err.Error(); !strings.HasPrefix(msg, prefix) || !strings.Contains(msg, tt.says) {
				t.Errorf("error = %q, want it to start %q and say %q", msg, prefix, tt.says)
			}
		})
	}
}

// failures returns the *Errors that err, from Render, joins.
func failures(err error) []*Error {
	joined, _ := err.(interface{ Unwrap() []error })
	if joined == nil {
		return nil
	}
	var es []*Error
	for _, e := range joined.Unwrap() {
		if e, ok := e.(*Error); ok {
			es = append(es, e)
		}
	}
	return es
}

// canary is a value that must never appear in an error.
const canary = "CANARY-7f3a\"'\n"

func TestRenderErrors(t *testing.T) {
	values := map[string]string{
		"SECRET":  canary,
		"JSON":    `{"user":"` + "CANARY-7f3a" + `"}`,
		"NOTJSON": canary,
		"ARRAY":   `["CANARY-7f3a"]`,
		"BINARY":  canary + "\xff\x00",
	}
	tests := []struct {
		name, src string
		errs      []string // each error: its code and its message
	}{
		{"unknown name", "{{ SECRET }}\n{{ MISSING | json }}", []string{
			CodeUnknownName, "t.tmpl:2:4: MISSING: no such variable"}},
		{"a key not in the object", "{{ JSON.password }}", []string{
			awsapi.CodeJSONKey, `t.tmpl:1:9: JSON: JSON key "password" is not in the secret`}},
		{"a value that is not JSON", "{{ NOTJSON.user }}", []string{
			awsapi.CodeNotJSONObject, `t.tmpl:1:12: NOTJSON: cannot select JSON key "user": the value is not a JSON object`}},
		{"a JSON array", `{{ ARRAY["0"] }}`, []string{
			awsapi.CodeNotJSONObject, `t.tmpl:1:10: ARRAY: cannot select JSON key "0": the value is not a JSON object`}},
		{"not UTF-8 into json", "{{ BINARY | trim | json }}", []string{
			CodeUnencodable, "t.tmpl:1:20: BINARY: filter json: the value is not UTF-8 text"}},
		{"not UTF-8 into yaml", "{{ BINARY | yaml }}", []string{
			CodeUnencodable, "t.tmpl:1:13: BINARY: filter yaml: the value is not UTF-8 text"}},
		{"NUL into shell", "{{ BINARY | shell }}", []string{
			CodeUnencodable, "t.tmpl:1:13: BINARY: filter shell: the value holds a NUL byte"}},
		{"not UTF-8 into xml", "{{ BINARY | xml }}", []string{
			CodeUnencodable, "t.tmpl:1:13: BINARY: filter xml: the value is not UTF-8 text"}},
		{"every failing action", "{{ A }} {{ SECRET }} {{ B.k }}\n{{ BINARY | json }}", []string{
			CodeUnknownName, "t.tmpl:1:4: A: no such variable",
			CodeUnknownName, "t.tmpl:1:25: B: no such variable",
			CodeUnencodable, "t.tmpl:2:13: BINARY: filter json:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, err := Parse("t.tmpl", []byte(tt.src))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			out, err := tmpl.Render(vars(values))
			if out != nil {
				t.Errorf("Render returned %d bytes of output with an error; want none", len(out))
			}
			if err == nil {
				t.Fatal("Render succeeded, want an error")
			}
			if strings.Contains(err.Error(), "CANARY") {
				t.Errorf("the error holds a value: %q", strings.ReplaceAll(err.Error(), "CANARY", "<value>"))
			}
			errs := failures(err)
			if len(errs) != len(tt.errs)/2 {
				t.Fatalf("Render error = %v, want %d errors", err, len(tt.errs)/2)
			}
			for i, e := range errs {
				code, msg := tt.errs[2*i], tt.errs[2*i+1]
				if e.Op != "render" || e.Code != code || !strings.HasPrefix(e.Error(), msg) {
					t.Errorf("error %d = %s %s %q, want render %s %q...", i, e.Op, e.Code, e, code, msg)
				}
			}
			if e := (*Error)(nil); !errors.As(err, &e) || e != errs[0] {
				t.Errorf("errors.As(*Error) does not find the first error")
			}
		})
	}
}

// TestNoEnvironment: a template reaches only what lookup gives, never
// the process environment.
func TestNoEnvironment(t *testing.T) {
	t.Setenv("VF_TEMPLATE_ENV_CANARY", canary)
	tmpl, err := Parse("t.tmpl", []byte("{{ VF_TEMPLATE_ENV_CANARY }}"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := tmpl.Render(vars(nil))
	if e := (*Error)(nil); !errors.As(err, &e) || e.Code != CodeUnknownName || out != nil {
		t.Fatalf("Render of a variable only the environment has = %d bytes, %v; want no output and %s", len(out), err, CodeUnknownName)
	}
}

func TestNames(t *testing.T) {
	tmpl, err := Parse("t.tmpl", []byte(`{{ B }} {{ A | json }} {{ B.k }} {{ "LITERAL" }} {{ C["x"] | trim }} {{ A }}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(tmpl.Names()), "[A B C]"; got != want {
		t.Errorf("Names = %s, want %s", got, want)
	}
	if tmpl.Name() != "t.tmpl" {
		t.Errorf("Name = %q, want t.tmpl", tmpl.Name())
	}
	none, _ := Parse("none", []byte("text only"))
	if names := none.Names(); len(names) != 0 {
		t.Errorf("Names of text = %v, want none", names)
	}
}

// TestParseCopiesSource: a template does not change when the caller
// reuses the buffer it was parsed from.
func TestParseCopiesSource(t *testing.T) {
	src := []byte("a {{ X }} b")
	tmpl, err := Parse("t", src)
	if err != nil {
		t.Fatal(err)
	}
	copy(src, "zzzzzzzzzzz")
	got, err := tmpl.Render(vars(map[string]string{"X": "x"}))
	if err != nil || string(got) != "a x b" {
		t.Errorf("Render = %q, %v; want %q", got, err, "a x b")
	}
}

func TestConcurrentRender(t *testing.T) {
	tmpl, err := Parse("t", []byte("{{ X | json }} {{ X.k | yaml }}"))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			want := fmt.Sprintf(`"{\"k\":%d}" "%d"`, i, i)
			got, err := tmpl.Render(vars(map[string]string{"X": fmt.Sprintf(`{"k":%d}`, i)}))
			if err != nil || string(got) != want {
				t.Errorf("Render %d = %q, %v; want %q", i, got, err, want)
			}
		})
	}
	wg.Wait()
}

package templates

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

// TestOneExamplePerFilter pins what the release binary writes for each
// filter, and a JSON key, on one value with a quote, a dollar sign,
// markup and a newline: the examples of docs/templates.md, as run.
func TestOneExamplePerFilter(t *testing.T) {
	vfbin.Need(t)
	moto := mototest.Start(t)
	const v = "canary: it's \"$5\" <&>\n"
	sd := moto.Seeder(t, "us-east-1")
	sd.Secret("filters/v", v)
	sd.Secret("filters/j", `{"k":"canary-key","n":5432,"o":{"a":[1,true,null]}}`)
	dir := t.TempDir()
	target := writeTemplate(t, dir, "filters.txt.tmpl", `raw:    {{ V }}
json:   {{ V | json }}
yaml:   {{ V | yaml }}
shell:  {{ V | shell }}
url:    {{ V | url }}
base64: {{ V | base64 }}
xml:    {{ V | xml }}
trim:   {{ V | trim | json }}
key:    {{ J.k }} {{ J.n }} {{ J["o"] }}
brace:  {{"{{"}} not an action }}
`)
	env := append(moto.Env(), "V=secretsmanager:filters/v", "J=secretsmanager:filters/j")
	r := vfbin.RunEnv(t, env, "render", "--template", target)
	vfbin.NoValue(t, "valuefrom's output", r.Stdout+r.Stderr, "canary")
	if r.Code != 0 {
		t.Fatalf("render exited %d:\n%s", r.Code, r.Stderr)
	}
	got, err := os.ReadFile(filepath.Join(dir, "filters.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want := `raw:    canary: it's "$5" <&>

json:   "canary: it's \"$5\" <&>\n"
yaml:   "canary: it's \"$5\" <&>\n"
shell:  'canary: it'\''s "$5" <&>
'
url:    canary%3A%20it%27s%20%22%245%22%20%3C%26%3E%0A
base64: ` + base64.StdEncoding.EncodeToString([]byte(v)) + `
xml:    canary: it&apos;s &quot;$5&quot; &lt;&amp;&gt;&#xA;
trim:   "canary: it's \"$5\" <&>"
key:    canary-key 5432 {"a":[1,true,null]}
brace:  {{ not an action }}
`
	// Each line that differs is named by its filter, not shown: it
	// holds the value.
	gotLines, wantLines := strings.Split(string(got), "\n"), strings.Split(want, "\n")
	if len(gotLines) != len(wantLines) {
		t.Fatalf("the binary rendered %d lines, want %d", len(gotLines), len(wantLines))
	}
	for i := range wantLines {
		if gotLines[i] != wantLines[i] {
			label, _, _ := strings.Cut(wantLines[i], ":")
			t.Errorf("line %d (%s) differs from what docs/templates.md says the filter writes", i+1, label)
		}
	}
}

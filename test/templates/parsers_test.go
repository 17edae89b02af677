package templates

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/testfs"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

// TestRealParsersReadTheValuesBack: the entrypoint renders a template per
// format with hostile values, before the program starts; the program, sh
// and bash sourcing the shell file and Python's parsers reading the
// others, reads back every value byte for byte, and nothing in a value
// is run. Each file is private (0400).
func TestRealParsersReadTheValuesBack(t *testing.T) {
	vfbin.Need(t)
	py := python(t)
	moto := mototest.Start(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	if err := os.Mkdir(out, 0o700); err != nil {
		t.Fatal(err)
	}
	var args []string
	for _, name := range []string{"settings.json.tmpl", "application.yml.tmpl", "vars.sh.tmpl", "links.txt.tmpl", "data.b64.tmpl", "context.xml.tmpl"} {
		args = append(args, "--template", copyTemplate(t, dir, name))
	}
	decode, err := filepath.Abs(filepath.Join("testdata", "decode.py"))
	if err != nil {
		t.Fatal(err)
	}
	// sh (dash here) and bash source the shell file and write each value
	// back; a value that ran would leave the file pwned.
	const program = `set -e
for sh in sh bash; do
  $sh -c '. "$1"; for v in QUOTES LINES DOLLAR MARKUP UNICODE LONG DB_PASSWORD; do eval "printf %s \"\$$v\"" > "$2/$3.$v"; done' - "$DIR/vars.sh" "$DIR/out" "$sh"
done
test ! -e pwned
exec "$PY" "$DECODE" "$DIR" "$DIR/out"`
	cmd := vfbin.Command(t, append(append(moto.Env(), seedHostile(t, moto)...), "DIR="+dir, "PY="+py, "DECODE="+decode),
		append(args, "--", "sh", "-c", program)...)
	cmd.Dir = dir
	r := vfbin.RunCmd(t, cmd)
	vfbin.NoValue(t, "valuefrom's and the program's output", r.Stdout+r.Stderr, "canary")
	if r.Code != 0 || strings.TrimSpace(r.Stdout) != "decoded" {
		t.Fatalf("exit code %d, stdout %q; want the program to decode every file:\n%s", r.Code, r.Stdout, r.Stderr)
	}
	for _, name := range []string{"settings.json", "application.yml", "vars.sh", "links.txt", "data.b64", "context.xml"} {
		testfs.CheckMode(t, filepath.Join(dir, name), 0o400, -1)
	}

	want := map[string]string{}
	add := func(prefix string, names ...string) {
		for _, n := range names {
			want[prefix+strings.ToLower(n)] = hostile[n]
		}
	}
	add("json.", "QUOTES", "LINES", "DOLLAR", "MARKUP", "UNICODE", "LONG")
	want["json.db_password"], want["json.db_port"], want["json.trimmed"] = dbPassword, "5432", "canary-trim"
	add("yaml.", "QUOTES", "LINES", "DOLLAR", "MARKUP", "UNICODE", "LONG")
	add("yaml.flow.", "QUOTES", "MARKUP", "LINES")
	want["yaml.map.dollar"], want["yaml.map.unicode"] = hostile["DOLLAR"], hostile["UNICODE"]
	want["yaml.db_password"], want["yaml.db_port"], want["yaml.yes_stays_a_string"] = dbPassword, "5432", "yes"
	for _, sh := range []string{"sh.", "bash."} {
		for _, n := range []string{"QUOTES", "LINES", "DOLLAR", "MARKUP", "UNICODE", "LONG"} {
			want[sh+n] = hostile[n]
		}
		want[sh+"DB_PASSWORD"] = dbPassword
	}
	add("url.", "QUOTES", "LINES", "DOLLAR", "MARKUP", "UNICODE")
	add("url.query.", "QUOTES", "LINES", "DOLLAR", "MARKUP", "UNICODE")
	want["url.binary"], want["url.query.binary"] = string(blob), string(blob)
	want["url.dsn_password"], want["url.dsn_query"] = dbPassword, "require"
	add("base64.", "QUOTES", "LINES", "LONG")
	want["base64.binary"] = string(blob)
	for _, form := range []string{"xml.attr.", "xml.single.", "xml.text."} {
		add(form, "QUOTES", "LINES", "DOLLAR", "MARKUP", "UNICODE")
		want[form+"db_password"] = dbPassword
	}
	for name, w := range want {
		got, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Errorf("%s: not read back: %v", name, err)
			continue
		}
		if !bytes.Equal(got, []byte(w)) {
			t.Errorf("%s: the value read back differs from the secret", name)
		}
	}
	if entries, _ := os.ReadDir(out); len(entries) != len(want) {
		t.Errorf("%d values read back, want %d", len(entries), len(want))
	}
}

package templates

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/testfs"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

// reloader is the supervised program: a shell that prints the SHA-256 of
// the file $1 when it starts and on each SIGHUP, as nginx or pgbouncer
// reads its configuration again, and exits 0 on SIGTERM, or once
// valuefrom is gone. It prints no value.
const reloader = `f=$1
report() { echo "$1 $(sha256sum < "$f" | cut -c1-64)"; }
trap 'report hup' HUP
trap 'echo term; exit 0' TERM
report start
while kill -0 $PPID 2>/dev/null; do sleep 1 >/dev/null & wait $!; done`

// expectSum waits for the program's line "what SUM" and fails the test
// unless SUM is that of want, the file's expected content.
func expectSum(t *testing.T, p *vfbin.Proc, what, want string) {
	t.Helper()
	if m := p.Expect(vfbin.Stdout, `^`+what+` ([0-9a-f]{64})$`); m[1] != sum(want) {
		t.Errorf("%s: the program read another file than the one rendered", what)
	}
}

// expectCycles waits for n more cycles of valuefrom (its debug summary
// lines), so that what a cycle would do has had its chance.
func expectCycles(p *vfbin.Proc, n int) {
	for range n {
		p.Expect(vfbin.Stderr, `msg="resolved references"`)
	}
}

// TestSuperviseRendersAgainAndSignals: in supervise mode with
// signal:SIGHUP, a rotation renders the template again, atomically, then
// signals the program, which reads the new file; a rotation the template
// cannot render (a JSON key gone) leaves the previous file in place and
// the program running, with one warning however many cycles it fails;
// the next good rotation renders and signals again.
func TestSuperviseRendersAgainAndSignals(t *testing.T) {
	vfbin.Need(t)
	moto := mototest.Start(t)
	sd := moto.Seeder(t, "us-east-1")
	sd.Secret("rot/db", `{"user":"app","password":"canary-pw-1"}`)
	dir := t.TempDir()
	target := writeTemplate(t, dir, "userlist.txt.tmpl", `"{{ DB.user }}" "{{ DB.password }}"`+"\n")
	dest := filepath.Join(dir, "userlist.txt")
	content := func(pw string) string { return `"app" "` + pw + `"` + "\n" }

	cmd := vfbin.Command(t, append(moto.Env(), "DB=secretsmanager:rot/db", "VALUEFROM_LOG_LEVEL=debug"),
		"--watch", "200ms", "--splay", "0s", "--on-change", "signal:SIGHUP", "--template", target, "--", "sh", "-c", reloader, "sh", dest)
	p := vfbin.Start(t, cmd)
	expectSum(t, p, "start", content("canary-pw-1"))

	sd.NewVersion("rot/db", `{"user":"app","password":"canary-pw-2"}`)
	p.Expect(vfbin.Stderr, `msg="watch: files rewritten; signalling the program" changed=\[DB\] files=\[\] templates=\[`+dest+`\] signal=hangup`)
	expectSum(t, p, "hup", content("canary-pw-2"))
	testfs.CheckMode(t, dest, 0o400, -1)

	sd.NewVersion("rot/db", `{"user":"app","pasword":"canary-pw-3"}`)
	p.Expect(vfbin.Stderr, `level=WARN msg="watch: the new values could not be written; every file, templates' included, is as it was, and the program keeps running" error=".*userlist.txt.tmpl:1:24: DB: JSON key \\"password\\" is not in the secret"`)
	expectCycles(p, 3)
	if n := len(p.Lines(`new values could not be written`)); n != 1 {
		t.Errorf("%d warnings for a rotation that fails every cycle, want 1", n)
	}
	p.Signal(syscall.SIGHUP) // forwarded: the program still runs, on the previous file
	expectSum(t, p, "hup", content("canary-pw-2"))

	sd.NewVersion("rot/db", `{"user":"app","password":"canary-pw-4"}`)
	p.Expect(vfbin.Stderr, `msg="watch: writing works again"`)
	expectSum(t, p, "hup", content("canary-pw-4"))

	p.Signal(syscall.SIGTERM)
	p.Expect(vfbin.Stdout, `^term$`)
	if code := p.Wait(); code != 0 {
		t.Errorf("exit code %d, want the program's 0", code)
	}
	vfbin.NoValue(t, "valuefrom's and the program's output", p.Output(), "canary")
}

// TestRenderWatchRendersAgain: render --watch renders a template again
// when its values change, beside --out; a change the template cannot
// render leaves both files as they were, with one warning, and render
// running; it exits 0 on SIGTERM.
func TestRenderWatchRendersAgain(t *testing.T) {
	vfbin.Need(t)
	moto := mototest.Start(t)
	sd := moto.Seeder(t, "us-east-1")
	sd.Secret("watch/key", "canary-key-1")
	dir := t.TempDir()
	target := writeTemplate(t, dir, "settings.json.tmpl", `{"api_key": {{ API_KEY | json }}}`)
	dest, out := filepath.Join(dir, "settings.json"), filepath.Join(dir, "app.env")
	read := func(path string) string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	cmd := vfbin.Command(t, append(moto.Env(), "API_KEY=secretsmanager:watch/key", "VALUEFROM_LOG_LEVEL=debug"),
		"render", "--watch", "200ms", "--template", target, "--out", out)
	p := vfbin.Start(t, cmd)
	p.Expect(vfbin.Stderr, `msg="templates rendered" files=\[`+dest+`\]`)
	if read(dest) != `{"api_key": "canary-key-1"}` || !strings.Contains(read(out), "canary-key-1") {
		t.Fatal("the first render does not hold the value")
	}

	sd.NewVersion("watch/key", "canary-key-2")
	p.Expect(vfbin.Stderr, `msg="watch: changes written"`)
	if read(dest) != `{"api_key": "canary-key-2"}` || !strings.Contains(read(out), "canary-key-2") {
		t.Error("the change was not rendered")
	}

	sd.NewVersion("watch/key", "canary-key-\x01")
	p.Expect(vfbin.Stderr, `level=WARN msg="watch: the change could not be written; retrying at the next interval"`)
	expectCycles(p, 3)
	if n := len(p.Lines(`change could not be written`)); n != 1 {
		t.Errorf("%d warnings for a change that fails every cycle, want 1", n)
	}
	if read(dest) != `{"api_key": "canary-key-2"}` || !strings.Contains(read(out), "canary-key-2") {
		t.Error("a change that did not render changed the files")
	}

	sd.NewVersion("watch/key", "canary-key-3")
	p.Expect(vfbin.Stderr, `msg="watch: writing works again"`)
	p.Expect(vfbin.Stderr, `msg="watch: changes written"`)
	if read(dest) != `{"api_key": "canary-key-3"}` {
		t.Error("the good change after a bad one was not rendered")
	}

	p.Signal(syscall.SIGTERM)
	if code := p.Wait(); code != 0 {
		t.Errorf("exit code %d, want 0", code)
	}
	vfbin.NoValue(t, "valuefrom's output", p.Output(), "canary")
}

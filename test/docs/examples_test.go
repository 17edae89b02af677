package docs

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

// home is the working directory, and $HOME, that the examples show: each
// page's examples run in a directory of their own, which the output calls
// this.
const home = "/home/app"

// blockTimeout bounds one block's run.
const blockTimeout = 3 * time.Minute

// TestExamples runs every page's examples in order, in a directory of the
// page's own, against moto reset and seeded with docs/README.md's
// fixture, and compares what each command prints with what the page
// shows.
func TestExamples(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "valuefrom")
	if err := os.Symlink(vfbin.Need(t), bin); err != nil {
		t.Fatal(err)
	}
	moto := mototest.Start(t)
	addrs := startEndpoints(t, moto.URL)
	fixture := readFixture(t)
	total := 0
	for _, page := range pages(t) {
		t.Run(rel(page), func(t *testing.T) {
			r := &runner{t: t, page: page, bin: bin, moto: moto, addrs: addrs, dir: t.TempDir()}
			r.seed(fixture)
			lines, blocks := readPage(t, page)
			for _, b := range blocks {
				r.run(b)
			}
			total += r.ran
			t.Logf("%d commands and blocks run", r.ran)
			if *update && len(r.edits) > 0 {
				writeEdits(t, page, lines, r.edits)
			}
		})
	}
	t.Logf("%d examples run in all", total)
}

// A runner runs the blocks of one page.
type runner struct {
	t     *testing.T
	page  string
	bin   string
	moto  *mototest.Server
	addrs *addrMap
	dir   string
	ran   int
	edits []edit
}

// An edit replaces lines [from, to) of a page, for -update.
type edit struct {
	from, to int
	lines    []string
}

// docBinary is where the output shows the binary: the image's path.
const docBinary = "/usr/local/bin/valuefrom"

// docPATH is the PATH the output shows for the test's.
const docPATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// path is the examples' PATH: the release binary first.
func (r *runner) path() string { return filepath.Dir(r.bin) + ":" + os.Getenv("PATH") }

// env is the environment of a page's commands: the release binary first
// on PATH, the page's directory as HOME, and unless bare, moto's
// endpoint, dummy keys and us-east-1, as the one-minute try sets them.
func (r *runner) env(bare bool) []string {
	env := []string{
		"PATH=" + r.path(),
		"HOME=" + r.dir,
		"LANG=C.UTF-8",
		"TZ=UTC",
	}
	if !bare {
		env = append(env, mototest.EndpointEnv(r.moto.URL)...)
	}
	return env
}

// seed resets moto, makes its ids repeatable, and creates the fixture.
func (r *runner) seed(f []fixtureRow) {
	r.moto.Reset(r.t)
	resp, err := http.Post(r.moto.URL+"/moto-api/seed?a=42", "", nil)
	if err != nil {
		r.t.Fatalf("seeding moto's ids: %v", err)
	}
	resp.Body.Close()
	sd := r.moto.Seeder(r.t, "us-east-1")
	created := map[string]bool{}
	for _, row := range f {
		switch {
		case row.kind == "secret" && created[row.name]:
			sd.NewVersion(row.name, row.value)
		case row.kind == "secret":
			sd.Secret(row.name, row.value)
			created[row.name] = true
		default:
			sd.Parameter(row.name, ssmtypes.ParameterType(row.kind), row.value)
		}
	}
}

func (r *runner) run(b *block) {
	if name, ok := b.attr("file"); ok {
		if err := os.WriteFile(filepath.Join(r.dir, name), []byte(r.addrs.command(b.text())), 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
	if b.has("norun") {
		return
	}
	switch {
	case b.lang == "console":
		r.console(b)
	case b.lang == "sh":
		r.ran++
		out, code := r.shell("set -e\n"+r.addrs.command(b.text()), b.has("bare"))
		if code != 0 {
			r.t.Errorf("%s: exit %d:\n%s", b.where(), code, out)
		}
	case b.lang == "text" && b.has("generated"):
		r.generated(b)
	case b.lang == "json" && b.has("taskdef"):
		r.taskdef(b)
	case b.lang == "dotenv":
		r.ran++
		f := filepath.Join(r.dir, fmt.Sprintf(".block-%d.env", b.line))
		if err := os.WriteFile(f, []byte(b.text()), 0o600); err != nil {
			r.t.Fatal(err)
		}
		if out, code := r.shell("valuefrom --env-file "+f+" -- true", false); code != 0 {
			r.t.Errorf("%s: its references do not resolve against the fixture: exit %d:\n%s", b.where(), code, out)
		}
	}
}

// shell runs script with bash in the page's directory, stdout and stderr
// in one stream as a terminal shows them, in a process group of its own
// that is killed when it ends, and returns the output with the page's
// addresses and directory.
func (r *runner) shell(script string, bare bool) (string, int) {
	ctx, cancel := context.WithTimeout(context.Background(), blockTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Dir = r.dir
	cmd.Env = r.env(bare)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Start()
	if err != nil {
		r.t.Fatalf("running bash: %v", err)
	}
	err = cmd.Wait()
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // what the script left behind
	if ctx.Err() != nil {
		r.t.Errorf("a block ran for more than %v", blockTimeout)
	}
	code := 0
	if err != nil {
		code = -1
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
	}
	return r.output(out.String()), code
}

func (r *runner) output(s string) string {
	s = r.addrs.output(s)
	s = strings.ReplaceAll(s, r.path(), docPATH)
	s = strings.ReplaceAll(s, vfbin.Need(r.t), docBinary)
	s = strings.ReplaceAll(s, r.dir, home)
	if strings.Contains(s, mototest.Canary) {
		r.t.Errorf("%s: an example printed a canary, the mark of a value that must never be shown (output not shown)", rel(r.page))
		return "(not shown: it holds a canary)"
	}
	return s
}

// mark ends each command's output in a console block's script, with its
// exit status.
var mark = regexp.MustCompile("\x1e(-?\\d+)\x1e")

// console runs a console block's commands in one shell, so that what one
// sets (a variable, a directory) the next sees, and $? is the status of
// the command before.
func (r *runner) console(b *block) {
	cmds := commands(r.t, b)
	var script strings.Builder
	for _, c := range cmds {
		script.WriteString(r.addrs.command(strings.Join(c.cmd, "\n")) + "\n")
		script.WriteString("__vf_rc=$?; printf '\\036%d\\036' \"$__vf_rc\"; (exit $__vf_rc)\n")
	}
	script.WriteString("kill $(jobs -p) 2>/dev/null; wait\n")
	out, _ := r.shell(script.String(), b.has("bare"))
	ends := mark.FindAllStringSubmatchIndex(out, -1)
	if len(ends) != len(cmds) {
		r.t.Errorf("%s: %d of %d commands ran; the output:\n%s", b.where(), len(ends), len(cmds), out)
		return
	}
	start := 0
	for i, c := range cmds {
		r.ran++
		got := out[start:ends[i][0]]
		code, _ := strconv.Atoi(out[ends[i][2]:ends[i][3]])
		start = ends[i][1]
		shown := i+1 < len(cmds) && strings.Join(cmds[i+1].cmd, "\n") == "echo $?"
		if want, ok := b.attr("exit"); ok && !shown && code != 0 && strconv.Itoa(code) != want {
			r.t.Errorf("%s:%d: %s exited %d, not %s as the block says (exit=%s)", rel(r.page), c.line, c.cmd[0], code, want, want)
		} else if !ok && !shown && code != 0 {
			r.t.Errorf("%s:%d: %s exited %d, and the page does not show it (add a line $ echo $?, or exit=N to the block)", rel(r.page), c.line, c.cmd[0], code)
		}
		gotLines := slices.DeleteFunc(lines(got), sdkNoise)
		if !match(c.out, gotLines) {
			r.t.Errorf("%s:%d: $ %s\nprinted:\n%s\nthe page shows:\n%s", rel(r.page), c.line, strings.Join(c.cmd, "\n"), strings.Join(gotLines, "\n"), strings.Join(c.out, "\n"))
			r.edits = append(r.edits, edit{c.at, c.at + len(c.out), indent(b.indent, gotLines)})
		}
	}
}

// generated compares a block with the output of the command it names.
func (r *runner) generated(b *block) {
	r.ran++
	out, code := r.shell(r.addrs.command(b.rest("generated")), false)
	if code != 0 {
		r.t.Errorf("%s: %s: exit %d:\n%s", b.where(), b.rest("generated"), code, out)
		return
	}
	if got := lines(out); strings.Join(got, "\n") != strings.Join(b.body, "\n") {
		r.t.Errorf("%s: not what %s prints now (go test ./test/docs -update rewrites it)", b.where(), b.rest("generated"))
		r.edits = append(r.edits, edit{b.first, b.first + len(b.body), indent(b.indent, got)})
	}
}

// taskdef feeds a task definition to valuefrom check, which must find
// every reference of it resolving against the fixture.
func (r *runner) taskdef(b *block) {
	r.ran++
	name, ok := b.attr("file")
	if !ok {
		name = fmt.Sprintf(".block-%d.json", b.line)
		if err := os.WriteFile(filepath.Join(r.dir, name), []byte(b.text()), 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
	args := "valuefrom check --task-def " + name
	if c, ok := b.attr("container"); ok {
		args += " --container " + c
	}
	if out, code := r.shell(args, false); code != 0 {
		r.t.Errorf("%s: %s: exit %d:\n%s", b.where(), args, code, out)
	}
}

// sdkNoise reports whether line is the AWS SDK's own warning that it
// could not drain an answer's body for the connection's reuse: under load
// it comes and goes with the timing of a connection's end, and says
// nothing of what a page shows.
func sdkNoise(line string) bool {
	return strings.Contains(line, "source=aws-sdk") && strings.Contains(line, "failed to discard remaining HTTP response body")
}

// lines splits output into lines.
func lines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		out = append(out, strings.TrimSuffix(sc.Text(), "\r")) // a terminal's line ends
	}
	return out
}

// normalisers make what varies from run to run the same on the page and
// in the output: docs/README.md lists them.
var normalisers = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`), "2026-11-30T08:00:00Z"},
	{regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`), "5767290c-0000-4000-8000-000000000000"},
	{regexp.MustCompile(`(assumed-role/[^/\s]+/)\d+`), "${1}1796632748982470173"},
	{regexp.MustCompile(`"CreatedDate":"\d+(\.\d+)?"`), `"CreatedDate":"1764489600.000"`},
	{regexp.MustCompile(`\b20\d\d-\d\d-\d\d\b`), "2026-11-30"},
	{regexp.MustCompile(`\b(\w+_ms)=[\d.]+`), "${1}=5"},
	{regexp.MustCompile(`"(\w+_ms)":[\d.]+`), `"${1}":5`},
	{regexp.MustCompile(`request id [^)\s,]+`), "request id 5c1e"},
	{regexp.MustCompile(`"request_id":"[^"]*"`), `"request_id":"5c1e"`},
	{regexp.MustCompile(`\brequest_id=\S+`), "request_id=5c1e"},
	{regexp.MustCompile(`\b\d+ attempts\b`), "5 attempts"},
	{regexp.MustCompile(`\battempts=\d+`), "attempts=5"},
}

func normalise(s string) string {
	for _, n := range normalisers {
		s = n.re.ReplaceAllString(s, n.with)
	}
	return s
}

// match reports whether got is what the page shows in want, line by
// line; … in a line of want stands for any text.
func match(want, got []string) bool {
	if len(want) != len(got) {
		return false
	}
	for i, w := range want {
		w, g := normalise(w), normalise(got[i])
		if !strings.Contains(w, "…") {
			if w != g {
				return false
			}
			continue
		}
		parts := strings.Split(w, "…")
		for j := range parts {
			parts[j] = regexp.QuoteMeta(parts[j])
		}
		if !regexp.MustCompile("^" + strings.Join(parts, ".*") + "$").MatchString(g) {
			return false
		}
	}
	return true
}

func indent(prefix string, lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = prefix + l
	}
	return out
}

// writeEdits applies a page's edits, last first, and writes it.
func writeEdits(t *testing.T, page string, lines []string, edits []edit) {
	for i := len(edits) - 1; i >= 0; i-- {
		e := edits[i]
		lines = append(lines[:e.from], append(append([]string{}, e.lines...), lines[e.to:]...)...)
	}
	if err := os.WriteFile(page, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: rewrote %d outputs", rel(page), len(edits))
}

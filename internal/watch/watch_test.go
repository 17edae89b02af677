package watch

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/valuefrom/valuefrom/exec"
	"github.com/valuefrom/valuefrom/internal/pipeline"
	"github.com/valuefrom/valuefrom/internal/settings"
	"github.com/valuefrom/valuefrom/resolver"
)

func result(values map[string]string) *pipeline.Result {
	res := &pipeline.Result{}
	for name, v := range values {
		res.Values = append(res.Values, resolver.Value{Var: name, Value: []byte(v), VersionID: "v-" + v[len(v)-1:]})
	}
	return res
}

// TestTrackerLogsOnce: a problem is logged once however many cycles it
// fails, again after a good cycle; a change is a different value.
func TestTrackerLogsOnce(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	tr := newTracker(log, result(map[string]string{"A": "value-aaaa-1", "B": "value-bbbb-1"}))
	fail := resolver.Errors{{Var: "A", Code: "ThrottlingException", Err: errors.New("slow down")}}
	for range 3 {
		tr.failed(fail)
	}
	if n := strings.Count(buf.String(), "level=WARN"); n != 1 {
		t.Errorf("%d warnings for three failed cycles, want 1:\n%s", n, buf.String())
	}
	if got := tr.changed(result(map[string]string{"A": "value-aaaa-1", "B": "value-bbbb-1"})); len(got) != 0 {
		t.Errorf("changed = %v for the same values, want none", got)
	}
	if !strings.Contains(buf.String(), "resolving works again") {
		t.Error("no line for the recovery")
	}
	tr.failed(fail)
	if n := strings.Count(buf.String(), "level=WARN"); n != 2 {
		t.Errorf("%d warnings, want 2 after a good cycle and a new failure", n)
	}
	got := tr.changed(result(map[string]string{"A": "value-aaaa-1", "B": "value-bbbb-2"}))
	if len(got) != 1 || got[0] != "B" {
		t.Errorf("changed = %v, want [B]", got)
	}
	if strings.Contains(buf.String(), "value-") {
		t.Error("a value reached the log")
	}
}

// TestTrackerRemoval: a variable that a cycle no longer has (a parameter
// deleted under a path, a key removed from a JSON secret) is a change.
func TestTrackerRemoval(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	tr := newTracker(log, result(map[string]string{"A": "value-aaaa-1", "B": "value-bbbb-1"}))
	got := tr.changed(result(map[string]string{"A": "value-aaaa-1"}))
	if len(got) != 1 || got[0] != "B" {
		t.Errorf("changed = %v after B went away, want [B]", got)
	}
	if !strings.Contains(buf.String(), "var=B") {
		t.Error("the removal was not logged with its variable")
	}
	if strings.Contains(buf.String(), "value-") {
		t.Error("a value reached the log")
	}
}

func TestNextJitter(t *testing.T) {
	for range 1000 {
		if d := next(time.Second); d < 900*time.Millisecond || d > 1100*time.Millisecond {
			t.Fatalf("next(1s) = %v, want within ±10%%", d)
		}
		if d := splay(time.Second); d < 0 || d > time.Second {
			t.Fatalf("splay(1s) = %v, want 0 to 1s", d)
		}
	}
	if d := splay(0); d != 0 {
		t.Errorf("splay(0) = %v", d)
	}
}

// TestActWritesWarnOnce: a change whose _FILE file cannot be rewritten
// is warned about once however many cycles it fails, and the recovery is
// logged when a write succeeds.
func TestActWritesWarnOnce(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "KEY") // where KEY_FILE's file goes
	if err := os.Mkdir(blocker, 0o700); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	s := &supervision{log: log, sup: &exec.Supervisor{}, plan: &exec.Plan{FilesDir: dir, Drop: settings.IsSetting},
		change: settings.OnChange{Action: settings.Signal, Signal: syscall.SIGHUP}}
	tr := newTracker(log, result(map[string]string{"KEY_FILE": "canary-old-1"}))
	next := result(map[string]string{"KEY_FILE": "canary-new-2"})
	for range 3 {
		if done, err := s.act(context.Background(), tr, next, []string{"KEY_FILE"}); done || err != nil {
			t.Fatalf("act = %v, %v; want the program kept running", done, err)
		}
	}
	if n := strings.Count(buf.String(), "level=WARN"); n != 1 {
		t.Errorf("%d warnings for three failed writes, want 1:\n%s", n, buf.String())
	}
	if err := os.Remove(blocker); err != nil {
		t.Fatal(err)
	}
	if done, err := s.act(context.Background(), tr, next, []string{"KEY_FILE"}); done || err != nil {
		t.Fatalf("act = %v, %v after the blocker went", done, err)
	}
	if !strings.Contains(buf.String(), "writing works again") {
		t.Errorf("no line for the recovery:\n%s", buf.String())
	}
	if strings.Contains(buf.String(), "canary") {
		t.Error("a value reached the log")
	}
}

// TestTrackerWriteProblems: write failures are told apart by variable and
// kind, not by the paths of temporary files.
func TestTrackerWriteProblems(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	tr := newTracker(log, result(map[string]string{"A": "value-aaaa-1"}))
	full := func(path string) error { return &fs.PathError{Op: "write", Path: path, Err: syscall.ENOSPC} }
	tr.writeFailed("write failed", full("/out/.tmp-1"))
	tr.writeFailed("write failed", full("/out/.tmp-2"))
	if n := strings.Count(buf.String(), "level=WARN"); n != 1 {
		t.Errorf("%d warnings for the same full disk, want 1:\n%s", n, buf.String())
	}
	tr.writeFailed("write failed", &fs.PathError{Op: "open", Path: "/out", Err: syscall.EACCES})
	tr.writeFailed("write failed", &exec.FileError{Var: "B_FILE", Err: full("/files/.tmp-3")})
	if n := strings.Count(buf.String(), "level=WARN"); n != 3 {
		t.Errorf("%d warnings for three distinct problems, want 3:\n%s", n, buf.String())
	}
	tr.wrote()
	tr.wrote()
	if n := strings.Count(buf.String(), "writing works again"); n != 1 {
		t.Errorf("%d recovery lines, want 1", n)
	}
	tr.writeFailed("write failed", full("/out/.tmp-4"))
	if n := strings.Count(buf.String(), "level=WARN"); n != 4 {
		t.Errorf("%d warnings, want 4 after a good write and a new failure", n)
	}
}

// TestActRendersTemplates: a change renders the templates again before
// the action; a template that no longer renders leaves its file as it
// was and the program running, with one warning however many cycles it
// fails; the variable a template carries gets no warning that the
// program cannot see it.
func TestActRendersTemplates(t *testing.T) {
	dir := t.TempDir()
	src, dest := filepath.Join(dir, "app.json.tmpl"), filepath.Join(dir, "app.json")
	if err := os.WriteFile(src, []byte(`{"pw": {{ DB.password | json }}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	o := pipeline.Options{Settings: settings.Settings{Template: []string{src + ":" + dest}, Timeout: time.Second}}
	templates, err := o.Templates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	s := &supervision{log: log, sup: &exec.Supervisor{}, plan: &exec.Plan{Drop: settings.IsSetting, Templates: templates},
		change: settings.OnChange{Action: settings.Signal, Signal: syscall.SIGHUP}}
	first := result(map[string]string{"DB": `{"password":"canary-old-1"}`})
	if _, _, err := s.plan.Rewrite(first.Environ, first.Vars()); err != nil {
		t.Fatal(err)
	}
	tr := newTracker(log, first)

	broken := result(map[string]string{"DB": `{"pasword":"canary-new-2"}`})
	for range 3 {
		if done, err := s.act(context.Background(), tr, broken, []string{"DB"}); done || err != nil {
			t.Fatalf("act = %v, %v; want the program kept running", done, err)
		}
	}
	if n := strings.Count(buf.String(), "level=WARN"); n != 1 || !strings.Contains(buf.String(), `JSON key \"password\" is not in the secret`) {
		t.Errorf("%d warnings for three failed renders, want 1 naming the key:\n%s", n, buf.String())
	}
	if b, _ := os.ReadFile(dest); string(b) != `{"pw": "canary-old-1"}` {
		t.Error("a failed render changed the file")
	}

	fixed := result(map[string]string{"DB": `{"password":"canary-new-3"}`})
	if done, err := s.act(context.Background(), tr, fixed, []string{"DB"}); done || err != nil {
		t.Fatalf("act = %v, %v", done, err)
	}
	if b, _ := os.ReadFile(dest); string(b) != `{"pw": "canary-new-3"}` {
		t.Error("the template was not rendered again")
	}
	for _, w := range []string{"writing works again", `msg="watch: files rewritten; signalling the program" changed=[DB] files=[] templates=[` + dest + "]"} {
		if !strings.Contains(buf.String(), w) {
			t.Errorf("the log lacks %q:\n%s", w, buf.String())
		}
	}
	if strings.Contains(buf.String(), "running program cannot see") {
		t.Errorf("a template's variable was warned about as an environment variable:\n%s", buf.String())
	}
	if strings.Contains(buf.String(), "canary") {
		t.Error("a value reached the log")
	}
}

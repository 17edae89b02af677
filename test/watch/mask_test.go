package watch

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/valuefrom/valuefrom/internal/mototest"
)

// TestMaskSplitWrites: with --mask, a value the program writes in two
// writes, on stdout and on stderr, reaches valuefrom's output masked, and
// after a restart the new value is masked too.
func TestMaskSplitWrites(t *testing.T) {
	srv := mototest.Start(t)
	sd := srv.Seeder(t, "us-east-1")
	name := unique("watch/mask")
	old, next := canary("mask1"), canary("mask2")
	sd.Secret(name, old)
	p := start(t, srv, []string{"VAL=secretsmanager:" + name}, append(args("--mask"), "split")...)
	if m := p.expect(p.stdout, `^start pid=(\d+) val=(.*) file=`); m[2] != "[valuefrom:VAL]" {
		t.Error("the value in the start line was not masked")
	}
	p.send("rest")
	p.expect(p.stdout, `^split=\[valuefrom:VAL\]$`)
	p.expect(p.stderr, `^split=\[valuefrom:VAL\]$`)
	sd.NewVersion(name, next)
	p.expect(p.stdout, `^term pid=`)
	p.expect(p.stdout, `^start pid=(\d+) val=\[valuefrom:VAL\] file=`)
	p.send("rest")
	p.expect(p.stdout, `^split=\[valuefrom:VAL\]$`)
	p.expect(p.stderr, `^split=\[valuefrom:VAL\]$`)
	p.signal(syscall.SIGTERM)
	p.wait()
	noValues(t, "valuefrom's output", p.output(), old, next)
}

// TestRenderWatch: render --watch rewrites its output when a value
// changes, and exits 0 on SIGTERM.
func TestRenderWatch(t *testing.T) {
	srv := mototest.Start(t)
	sd := srv.Seeder(t, "us-east-1")
	name := unique("watch/render")
	old, next := canary("render1"), canary("render2")
	sd.Secret(name, old)
	out := filepath.Join(t.TempDir(), "app.env")
	p := start(t, srv, []string{"VAL=secretsmanager:" + name, "VALUEFROM_LOG_LEVEL=debug"}, "render", "--out", out, "--watch", "200ms")
	p.expect(p.stderr, `msg="resolved references" ok=true`)
	p.expect(p.stderr, `msg="resolved references" ok=true`) // a cycle: the first write is done
	if b, err := os.ReadFile(out); err != nil || !strings.Contains(string(b), old) {
		t.Fatalf("the first render lacks the value: %v", err)
	}
	sd.NewVersion(name, next)
	p.expect(p.stderr, `msg="watch: changes written"`)
	if b, err := os.ReadFile(out); err != nil || !strings.Contains(string(b), next) || strings.Contains(string(b), old) {
		t.Errorf("the output does not hold the new value alone: %v", err)
	}
	p.signal(syscall.SIGTERM)
	if code := p.wait(); code != 0 {
		t.Errorf("exit code %d, want 0", code)
	}
	noValues(t, "valuefrom's output", p.output(), old, next)
}

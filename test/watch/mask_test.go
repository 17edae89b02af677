package watch

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

// TestMaskSplitWrites: with --mask, a value the program writes in two
// writes, on stdout and on stderr, reaches valuefrom's output masked, and
// after a restart the new value is masked too.
func TestMaskSplitWrites(t *testing.T) {
	r := newRotating(t, "mask")
	p := start(t, r.srv, []string{"VAL=secretsmanager:" + r.name}, append(args("--mask"), "split")...)
	if m := p.Expect(vfbin.Stdout, `^start pid=(\d+) val=(.*) file=`); m[2] != "[valuefrom:VAL]" {
		t.Error("the value in the start line was not masked")
	}
	p.Send("rest")
	p.Expect(vfbin.Stdout, `^split=\[valuefrom:VAL\]$`)
	p.Expect(vfbin.Stderr, `^split=\[valuefrom:VAL\]$`)
	r.rotate()
	p.Expect(vfbin.Stdout, `^term pid=`)
	p.Expect(vfbin.Stdout, `^start pid=(\d+) val=\[valuefrom:VAL\] file=`)
	p.Send("rest")
	p.Expect(vfbin.Stdout, `^split=\[valuefrom:VAL\]$`)
	p.Expect(vfbin.Stderr, `^split=\[valuefrom:VAL\]$`)
	p.Signal(syscall.SIGTERM)
	p.Wait()
	noValues(t, "valuefrom's output", p.Output(), r.old, r.next)
}

// TestRenderWatch: render --watch rewrites its output when a value
// changes, and exits 0 on SIGTERM.
func TestRenderWatch(t *testing.T) {
	r := newRotating(t, "render")
	out := filepath.Join(t.TempDir(), "app.env")
	p := start(t, r.srv, []string{"VAL=secretsmanager:" + r.name, "VALUEFROM_LOG_LEVEL=debug"}, "render", "--out", out, "--watch", "200ms")
	p.Expect(vfbin.Stderr, `msg="resolved references" ok=true`)
	p.Expect(vfbin.Stderr, `msg="resolved references" ok=true`) // a cycle: the first write is done
	if b, err := os.ReadFile(out); err != nil || !strings.Contains(string(b), r.old) {
		t.Fatalf("the first render lacks the value: %v", err)
	}
	r.rotate()
	p.Expect(vfbin.Stderr, `msg="watch: changes written"`)
	if b, err := os.ReadFile(out); err != nil || !strings.Contains(string(b), r.next) || strings.Contains(string(b), r.old) {
		t.Errorf("the output does not hold the new value alone: %v", err)
	}
	p.Signal(syscall.SIGTERM)
	if code := p.Wait(); code != 0 {
		t.Errorf("exit code %d, want 0", code)
	}
	noValues(t, "valuefrom's output", p.Output(), r.old, r.next)
}

package supervise

import (
	"syscall"
	"testing"

	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

// TestMaskSplitWrites: with --mask, a value the program writes in two
// writes, on stdout and on stderr, reaches valuefrom's output masked, and
// after a restart the new value is masked too.
func TestMaskSplitWrites(t *testing.T) {
	r := newRotating(t, "mask")
	p := start(t, r.srv, []string{"VAL=secretsmanager:" + r.name}, append(watch("--mask"), "split")...)
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
	vfbin.NoValue(t, "valuefrom's output", p.Output(), r.old, r.next)
}

package render

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

// TestRenderWatch: render --watch rewrites its output when a value
// changes, and exits 0 on SIGTERM. (Once in test/watch, with supervise
// mode.)
func TestRenderWatch(t *testing.T) {
	vfbin.Need(t)
	moto := mototest.Start(t)
	sd := moto.Seeder(t, "us-east-1")
	const name, old, next = "watch/render", "canary-render1-3f9a1c", "canary-render2-3f9a1c"
	sd.Secret(name, old)
	out := filepath.Join(t.TempDir(), "app.env")
	p := vfbin.Start(t, vfbin.Command(t, append(moto.Env(), "VAL=secretsmanager:"+name, "VALUEFROM_LOG_LEVEL=debug"), "render", "--out", out, "--watch", "200ms"))
	p.Expect(vfbin.Stderr, `msg="resolved references" ok=true`)
	p.Expect(vfbin.Stderr, `msg="resolved references" ok=true`) // a cycle: the first write is done
	if b, err := os.ReadFile(out); err != nil || !strings.Contains(string(b), old) {
		t.Fatalf("the first render lacks the value: %v", err)
	}
	sd.NewVersion(name, next)
	p.Expect(vfbin.Stderr, `msg="watch: changes written"`)
	if b, err := os.ReadFile(out); err != nil || !strings.Contains(string(b), next) || strings.Contains(string(b), old) {
		t.Errorf("the output does not hold the new value alone: %v", err)
	}
	p.Signal(syscall.SIGTERM)
	if code := p.Wait(); code != 0 {
		t.Errorf("exit code %d, want 0", code)
	}
	for i, v := range []string{old, next} {
		if strings.Contains(p.Output(), v) {
			t.Errorf("valuefrom's output: value %d leaked", i)
		}
	}
}

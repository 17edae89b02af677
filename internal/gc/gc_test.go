package gc

import (
	"runtime/debug"
	"testing"
)

// settings returns the collector's percent and memory limit, leaving them.
func settings() (int, int64) {
	p := debug.SetGCPercent(-1)
	debug.SetGCPercent(p)
	return p, debug.SetMemoryLimit(-1)
}

func TestHoldRelease(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	p0, l0 := settings()
	Hold()
	if p, l := settings(); p != -1 || l != Limit {
		t.Errorf("after Hold: GOGC %d, limit %d; want -1, %d", p, l, Limit)
	}
	Release()
	if p, l := settings(); p != p0 || l != l0 {
		t.Errorf("after Release: GOGC %d, limit %d; want them as before Hold: %d, %d", p, l, p0, l0)
	}
}

func TestHoldLeavesOperatorsChoice(t *testing.T) {
	for _, v := range []string{"GOGC", "GOMEMLIMIT"} {
		t.Run(v, func(t *testing.T) {
			t.Setenv("GOGC", "")
			t.Setenv("GOMEMLIMIT", "")
			t.Setenv(v, "200") // read by Hold; the runtime read its own at start
			Hold()
			if p, l := settings(); p == -1 || l == Limit {
				t.Errorf("Hold with %s set: GOGC %d, limit %d; want them untouched", v, p, l)
			}
			Release()
		})
	}
}

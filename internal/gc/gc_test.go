package gc

import (
	"os"
	"path/filepath"
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
	if p, l := settings(); p != -1 || l != limit() {
		t.Errorf("after Hold: GOGC %d, limit %d; want -1, %d", p, l, limit())
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
			if p, l := settings(); p == -1 || l == limit() {
				t.Errorf("Hold with %s set: GOGC %d, limit %d; want them untouched", v, p, l)
			}
			Release()
		})
	}
}

func TestLimit(t *testing.T) {
	dir := t.TempDir()
	saved := cgroupLimits
	t.Cleanup(func() { cgroupLimits = saved })
	for _, tt := range []struct {
		name, content string
		want          int64
	}{
		{"no cgroup file", "", Limit},
		{"unlimited (v2)", "max\n", Limit},
		{"unlimited (v1)", "9223372036854771712\n", Limit},
		{"a 1 GiB container", "1073741824\n", Limit},
		{"a 48 MiB container", "50331648\n", 24 << 20},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := filepath.Join(dir, "memory.max")
			os.Remove(f)
			if tt.content != "" {
				if err := os.WriteFile(f, []byte(tt.content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			cgroupLimits = []string{f}
			if got := limit(); got != tt.want {
				t.Errorf("limit() = %d, want %d", got, tt.want)
			}
		})
	}
}

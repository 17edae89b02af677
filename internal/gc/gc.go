// Package gc holds the garbage collector off while valuefrom starts a
// program.
//
// A start allocates a few MiB (the SDK's package init, then the calls),
// nearly all of it live or about to be dropped by exec: collecting it
// only delays the program. Measured on 150 references, the two
// collections of a start cost 3 to 14 ms. Hold turns collection off under
// a memory limit, so that a start that allocates far more than usual
// (hundreds of large secrets) still collects rather than growing without
// bound. The modes that keep running after the start (supervise, serve,
// render --watch) call Release once they have started.
package gc

import (
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
)

// Limit is the memory limit Hold sets, at most: past it the collector
// runs again. A start with 500 references peaks at 24 MiB of RSS over TLS,
// 12 MiB more than a start with none (BENCHMARKS.md). In a container whose memory limit is less
// than twice Limit, Hold sets half the container's limit instead, so that
// a start of unusually many or large values collects before the kernel
// kills it.
const Limit = 64 << 20

// cgroupLimits are where a container's memory limit is, under cgroup v2
// and v1; a file that is missing or says "max" sets none.
var cgroupLimits = []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}

// limit returns Limit, or half of the container's memory limit when that
// is lower.
func limit() int64 {
	for _, f := range cgroupLimits {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && n > 0 {
			return min(Limit, n/2)
		}
		break
	}
	return Limit
}

var (
	mu    sync.Mutex
	held  bool
	saved struct {
		percent int
		limit   int64
	}
)

// Hold turns the garbage collector off under Limit (or half the
// container's memory limit), unless the operator
// has set GOGC or GOMEMLIMIT, whose choice stands.
func Hold() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	mu.Lock()
	defer mu.Unlock()
	if held {
		return
	}
	saved.percent = debug.SetGCPercent(-1)
	saved.limit = debug.SetMemoryLimit(limit())
	held = true
}

// Release restores the collector's settings from before Hold. It does
// nothing if Hold did nothing.
func Release() {
	mu.Lock()
	defer mu.Unlock()
	if !held {
		return
	}
	debug.SetGCPercent(saved.percent)
	debug.SetMemoryLimit(saved.limit)
	held = false
}

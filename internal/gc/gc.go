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
	"sync"
)

// Limit is the memory limit Hold sets: past it the collector runs again.
// A start with 500 references peaks near 20 MiB.
const Limit = 64 << 20

var (
	mu    sync.Mutex
	held  bool
	saved struct {
		percent int
		limit   int64
	}
)

// Hold turns the garbage collector off under Limit, unless the operator
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
	saved.limit = debug.SetMemoryLimit(Limit)
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

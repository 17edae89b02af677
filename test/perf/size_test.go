package perf

import (
	"os"
	"testing"

	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

// TestBinarySizeBudget guards the size of the stripped release binary. The
// likeliest way to blow it is a dependency that calls
// reflect.Value.MethodByName (text/template does), which makes the linker
// keep every exported method of the AWS clients: +5.6 MiB when it last
// happened. The binary is 11.7 MiB (12,239,010 bytes on linux/amd64);
// issue 14 set 12 MiB as the budget (BENCHMARKS.md). Unlike the rest of
// this package it is an assertion, and runs without VALUEFROM_PERF.
func TestBinarySizeBudget(t *testing.T) {
	const limit = 12 << 20
	fi, err := os.Stat(vfbin.Need(t))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() >= limit {
		t.Errorf("stripped binary is %.2f MiB, want under 12 MiB: look for text/template or reflect.Value.MethodByName with go build -ldflags=-dumpdep", float64(fi.Size())/(1<<20))
	}
}

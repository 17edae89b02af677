// Package entrypoint runs the valuefrom binary as a container's
// entrypoint, `valuefrom [flags] [--] COMMAND`, against moto and against
// endpoints that fail: every reference of the corpus and every form, and
// what the program gets,
// _FILE files, the errors and hints of a start that cannot resolve (a
// closed port, a stalled endpoint, a proxy, throttling, denials, KMS),
// the deadline, a signal while resolving, near-miss references, and the
// exec itself. Nothing runs under go test -short.
//
// Canary values: every secret value holds "canary"; a failure message
// never prints one.
package entrypoint

import (
	"testing"

	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

func TestMain(m *testing.M) { vfbin.Main(m, nil) }

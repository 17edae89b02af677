// Package render runs the valuefrom binary's render subcommand against
// moto: each format and file mode, all-or-nothing writes that change
// nothing on failure, files that shells source without running anything,
// and render --watch rewriting its output when a value changes. Nothing
// runs under go test -short.
//
// Canary values: every secret value holds "canary"; a failure message
// never prints one.
package render

import (
	"testing"

	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

func TestMain(m *testing.M) { vfbin.Main(m, nil) }

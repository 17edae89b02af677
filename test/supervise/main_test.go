// Package supervise runs the valuefrom binary in supervise mode (--watch)
// against moto, with the test binary as the supervised program (see
// helperMain): rotation and its actions, exit codes and signals, reaping
// as PID 1, a fault storm, API calls per cycle, and masking. (render
// --watch: test/render.) Nothing sleeps to wait: every step waits for a
// line of the program's output or of valuefrom's log.
//
// Canary values: every secret value holds "canary"; a failure message
// never prints one.
package supervise

import (
	"os"
	"testing"

	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		helperMain()
		return
	}
	vfbin.Main(m, nil)
}

// Package supervise runs the valuefrom binary in supervise mode (--watch)
// against moto, with the test binary as the supervised program (program):
// rotation and its actions, exit codes and signals, reaping as PID 1, a
// fault storm, API calls per cycle and split writes masked (once
// test/watch's tests); masking every value a live process holds while
// values change, and a stop signal that is never lost, whenever it comes
// (issue 20). (render --watch: test/render.)
// Nothing sleeps to wait: each step waits for a line of the program's
// output or of valuefrom's log, or for a process to exit.
//
// Canary values: every secret value holds "canary"; a failure message
// never prints one.
package supervise

import (
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"

	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

// programEnv, set, makes the test binary the program valuefrom
// supervises (program), in the mode its first argument names.
const programEnv = "SUPERVISE_PROGRAM"

func TestMain(m *testing.M) {
	if os.Getenv(programEnv) != "" {
		program()
		return
	}
	vfbin.Main(m, nil)
}

// start starts command(t, moto, env, args...).
func start(t *testing.T, moto *mototest.Server, env []string, args ...string) *vfbin.Proc {
	t.Helper()
	return vfbin.Start(t, command(t, moto, env, args...))
}

// command is valuefrom (vfbin.Command) with args, such as watch's, whose
// environment marks the test binary as the program and sets the region,
// then env, then, when moto is not nil, moto's endpoint settings.
func command(t *testing.T, moto *mototest.Server, env []string, args ...string) *exec.Cmd {
	t.Helper()
	env = append([]string{programEnv + "=1", "AWS_REGION=us-east-1"}, env...)
	if moto != nil {
		env = append(env, moto.Env()...)
	}
	return vfbin.Command(t, env, args...)
}

// wrap makes cmd run under the program at path, with args before cmd's
// own: unshare, strace.
func wrap(cmd *exec.Cmd, path string, args ...string) {
	cmd.Args = append(append([]string{path}, args...), cmd.Args...)
	cmd.Path = path
}

// watch returns the arguments of a fast watch (200ms, no splay) of the
// test binary as the program, with extra flags before it; the program's
// mode and its arguments may follow.
func watch(extra ...string) []string {
	return append(append([]string{"--watch", "200ms", "--splay", "0s"}, extra...), "--", os.Args[0])
}

// canary returns a distinct secret value. (Each test starts a moto of its
// own, so secret names need not be unique.)
func canary(tag string) string { return "canary-" + tag + "-" + strconv.Itoa(os.Getpid()) + "-7d2e" }

// alive reports whether the process pid exists (a zombie counts).
func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

// Package supervise runs the valuefrom binary in supervise mode (--watch)
// against moto, with the test binary as the supervised program: rotation
// and its actions, exit codes and signals, reaping as PID 1, a fault
// storm, API calls per cycle and split writes masked (the program
// helperMain, once test/watch's); masking every value a live process holds
// while values change, and a stop signal that is never lost, whenever it
// comes (the program program, issue 20). (render --watch: test/render.)
// Nothing sleeps to wait: each step waits for a line of the program's
// output or of valuefrom's log, or for a process to exit.
//
// Canary values: every secret value holds "canary"; a failure message
// never prints one.
package supervise

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
	"testing"

	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

// programEnv, set, makes the test binary the supervised program, in the
// mode it names.
const programEnv = "SUPERVISE_PROGRAM"

func TestMain(m *testing.M) {
	if mode := os.Getenv(programEnv); mode != "" {
		program(mode)
		return
	}
	if os.Getenv(helperEnv) != "" {
		helperMain()
		return
	}
	vfbin.Main(m, nil)
}

// program is what valuefrom supervises in these tests. It writes a line
// per event to stdout:
//
//	start pid=P val=V          at start, with $VAL
//	start pid=P child=C val=V  mode linger: C is its child (below)
//	term pid=P                 on SIGTERM; then it exits $TERM_CODE
//	val pid=P VAL=V GONE=G     on the stdin line "print"
//	child pid=C val=V          mode child, on SIGUSR1
//
// Modes: serve runs until SIGTERM; stubborn ignores SIGTERM; linger starts
// a child in its process group that ignores SIGTERM and outlives it, and
// then runs as serve; child is that child. Every mode ignores SIGHUP, the
// signal of --on-change signal:SIGHUP.
func program(mode string) {
	pid := os.Getpid()
	val := os.Getenv("VAL")
	signal.Ignore(syscall.SIGHUP)
	sigs := make(chan os.Signal, 8)
	switch mode {
	case "child":
		signal.Ignore(syscall.SIGTERM)
		signal.Notify(sigs, syscall.SIGUSR1)
		for range sigs {
			fmt.Printf("child pid=%d val=%s\n", pid, val)
		}
		return
	case "stubborn":
		signal.Ignore(syscall.SIGTERM)
	case "linger":
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), programEnv+"=child")
		cmd.Stdout = os.Stdout
		if err := cmd.Start(); err != nil {
			fmt.Println("child failed:", err)
			os.Exit(3)
		}
		fmt.Printf("start pid=%d child=%d val=%s\n", pid, cmd.Process.Pid, val)
	}
	if mode != "stubborn" {
		signal.Notify(sigs, syscall.SIGTERM)
	}
	if mode != "linger" {
		fmt.Printf("start pid=%d val=%s\n", pid, val)
	}
	go func() {
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			if sc.Text() == "print" {
				fmt.Printf("val pid=%d VAL=%s GONE=%s\n", pid, os.Getenv("VAL"), os.Getenv("GONE"))
			}
		}
	}()
	<-sigs
	fmt.Printf("term pid=%d\n", pid)
	code, _ := strconv.Atoi(os.Getenv("TERM_CODE"))
	os.Exit(code)
}

// start runs valuefrom with args, the environment env, moto's endpoints
// and the program's mode.
func start(t *testing.T, moto *mototest.Server, mode string, env []string, args ...string) *vfbin.Proc {
	t.Helper()
	return vfbin.Start(t, command(t, moto, mode, env, args...))
}

// command is the command start runs.
func command(t *testing.T, moto *mototest.Server, mode string, env []string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(vfbin.Need(t), args...)
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "AWS_REGION=us-east-1", programEnv + "=" + mode}, env...)
	if moto != nil {
		cmd.Env = append(cmd.Env, moto.Env()...)
	}
	return cmd
}

// watch returns the arguments of a fast watch (200ms, no splay) of the
// test binary as the program, with extra flags before it.
func watch(extra ...string) []string {
	return append(append([]string{"--watch", "200ms", "--splay", "0s"}, extra...), "--", os.Args[0])
}

// canary returns a distinct secret value. (Each test starts a moto of its
// own, so secret names need not be unique.)
func canary(tag string) string { return "canary-" + tag + "-" + strconv.Itoa(os.Getpid()) + "-7d2e" }

// alive reports whether the process pid exists (a zombie counts).
func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

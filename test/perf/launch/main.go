// Command launch runs a command and reports, as its last line on stderr,
// the moment just before it started the command and the command's peak
// resident set size:
//
//	launch: start_ns=1764489600000000000 maxrss_kib=9216 code=0
//
// It exists so that the benchmark can read a child's peak RSS honestly.
// Linux reports, in wait4's ru_maxrss, the high-water mark of every memory
// map the PID has had, and Go starts a child by vfork, sharing the
// parent's map until exec: a child of a big process (the go test binary)
// reads at least the parent's peak. launch is small, so its own peak, the
// floor of what it can report, is a couple of MiB; run `launch true` to
// see it.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: launch PROGRAM [ARG...]")
		os.Exit(2)
	}
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	start := time.Now()
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		fmt.Fprintln(os.Stderr, "launch:", err)
		os.Exit(1)
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss
	}
	fmt.Fprintf(os.Stderr, "launch: start_ns=%d maxrss_kib=%d code=%d\n", start.UnixNano(), rss, cmd.ProcessState.ExitCode())
}

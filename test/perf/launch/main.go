// Command launch runs a command and reports, as its last line on stderr,
// the moment just before it started the command, the command's peak
// resident set size and the CPU time it used (user and system, from
// wait4's rusage, which counts every thread of the process and of the
// programs it execs):
//
//	launch: start_ns=1764489600000000000 maxrss_kib=9216 utime_us=31000 stime_us=9000 code=0
//
// With -cgroup DIR, launch first moves itself into the cgroup DIR (by
// writing its PID to DIR/cgroup.procs, which cgroup v1 and v2 both
// have), so that the command starts there, under its CPU quota.
//
// It exists so that the benchmark can read a child's peak RSS honestly.
// Linux reports, in wait4's ru_maxrss, the high-water mark of every memory
// map the PID has had, and Go starts a child by vfork, sharing the
// parent's memory map until exec: a child of a big process (the go test binary)
// reads at least the parent's peak. launch is small, so its own peak, the
// floor of what it can report, is a couple of MiB; run `launch true` to
// see it.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

func main() {
	cgroup := flag.String("cgroup", "", "start the command in this cgroup `directory`")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: launch [-cgroup DIR] PROGRAM [ARG...]")
		os.Exit(2)
	}
	flag.Parse()
	if flag.NArg() < 1 {
		flag.Usage()
	}
	if *cgroup != "" {
		procs := filepath.Join(*cgroup, "cgroup.procs")
		if err := os.WriteFile(procs, []byte(strconv.Itoa(os.Getpid())), 0); err != nil {
			fmt.Fprintln(os.Stderr, "launch:", err)
			os.Exit(1)
		}
	}
	cmd := exec.Command(flag.Arg(0), flag.Args()[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	start := time.Now()
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		fmt.Fprintln(os.Stderr, "launch:", err)
		os.Exit(1)
	}
	var ru syscall.Rusage
	if r, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		ru = *r
	}
	fmt.Fprintf(os.Stderr, "launch: start_ns=%d maxrss_kib=%d utime_us=%d stime_us=%d code=%d\n",
		start.UnixNano(), ru.Maxrss, micros(ru.Utime), micros(ru.Stime), cmd.ProcessState.ExitCode())
}

func micros(tv syscall.Timeval) int64 { return tv.Sec*1_000_000 + int64(tv.Usec) }

package exec_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	osexec "os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/valuefrom/valuefrom/exec"
	"github.com/valuefrom/valuefrom/internal/mask"
	"github.com/valuefrom/valuefrom/internal/testkit/syncbuf"
)

// The supervisor's reaper waits for every child of the process, which
// would take the exit status of the other tests' commands: each test here
// runs alone in a new test process (isolate), some as PID 1 of a new PID
// namespace. The programs supervised are the test binary again, in a mode
// that superviseHelperEnv selects (the os/exec helper-process pattern).

const (
	superviseHelperEnv = "VALUEFROM_SUPERVISE_HELPER"
	isolatedEnv        = "VALUEFROM_SUPERVISE_ISOLATED"
)

// superviseWaitLimit bounds every wait for an event, so that a bug fails a test
// rather than hanging it.
const superviseWaitLimit = 20 * time.Second

func init() {
	if mode := os.Getenv(superviseHelperEnv); mode != "" {
		superviseHelper(mode)
		os.Exit(0)
	}
}

// superviseHelper is the program. It writes what it does, one line at a
// time, to stdout.
func superviseHelper(mode string) {
	switch mode {
	case "exit":
		code, _ := strconv.Atoi(os.Getenv("CODE"))
		os.Exit(code)
	case "kill-self":
		n, _ := strconv.Atoi(os.Getenv("SIG"))
		signal.Reset()
		syscall.Kill(os.Getpid(), syscall.Signal(n))
		io.Copy(io.Discard, os.Stdin) // until the signal is delivered
		os.Exit(99)
	case "trap":
		// Report every signal it gets; exit on STOP (SIGTERM by
		// default), or only report it when IGNORE_STOP is set.
		stop := int(syscall.SIGTERM)
		if s := os.Getenv("STOP"); s != "" {
			stop, _ = strconv.Atoi(s)
		}
		ch := make(chan os.Signal, 16)
		signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT,
			syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH)
		if os.Getenv("GRANDCHILD") != "" {
			fmt.Printf("grandchild %d\n", startGrandchild("hold"))
		}
		fmt.Printf("ready VAL=%s\n", os.Getenv("VAL"))
		for sig := range ch {
			n := int(sig.(syscall.Signal))
			fmt.Printf("got %d\n", n)
			if n == stop && os.Getenv("IGNORE_STOP") == "" {
				os.Exit(0)
			}
		}
	case "hold":
		io.Copy(io.Discard, os.Stdin)
	case "orphans":
		// Leave N grandchildren of GRANDCHILD_MODE behind and exit CODE.
		n, _ := strconv.Atoi(os.Getenv("N"))
		for range n {
			fmt.Printf("orphan %d\n", startGrandchild(os.Getenv("GRANDCHILD_MODE")))
		}
		code, _ := strconv.Atoi(os.Getenv("CODE"))
		os.Exit(code)
	case "tty":
		// Report whether the program leads its process group and whether
		// that group is the foreground one of its stdin's terminal.
		var fg int32
		_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, 0, syscall.TIOCGPGRP, uintptr(unsafe.Pointer(&fg)))
		fmt.Printf("group leader %v, foreground %v\n", syscall.Getpgrp() == os.Getpid(), errno == 0 && int(fg) == syscall.Getpgrp())
	case "print":
		// The value whole, then split over two writes, on both outputs.
		v := os.Getenv("TOKEN")
		for _, f := range []*os.File{os.Stdout, os.Stderr} {
			fmt.Fprintf(f, "token=%s\n", v)
			f.WriteString("split=" + v[:5])
			f.WriteString(v[5:] + " end\n")
		}
	default:
		fmt.Fprintf(os.Stderr, "unknown %s mode %q\n", superviseHelperEnv, mode)
		os.Exit(2)
	}
}

// startGrandchild starts the test binary in mode, in the program's process
// group, with its stdin and stdout, and does not wait for it. Mode "exit"
// starts /bin/true, which starts faster.
func startGrandchild(mode string) int {
	path := os.Args[0]
	if mode == "exit" {
		path = "/bin/true"
	}
	pid, err := syscall.ForkExec(path, []string{path}, &syscall.ProcAttr{
		Env:   []string{superviseHelperEnv + "=" + mode},
		Files: []uintptr{0, 1, 2},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "start grandchild:", err)
		os.Exit(3)
	}
	return pid
}

// isolate runs the calling test alone in a new test process, as PID 1 of a
// new PID namespace when pid1 is set, and reports whether it is that
// process, where the test goes on.
func isolate(t *testing.T, pid1 bool) bool {
	t.Helper()
	if os.Getenv(isolatedEnv) != "" {
		return true
	}
	args := []string{os.Args[0], "-test.run=^" + t.Name() + "$", "-test.v", "-test.count=1", "-test.timeout=120s"}
	if pid1 {
		if os.Geteuid() != 0 {
			t.Skip("a PID namespace needs root")
		}
		if out, err := osexec.Command("unshare", "-pf", "--mount-proc", "true").CombinedOutput(); err != nil {
			t.Skipf("unshare -pf --mount-proc: %v: %s", err, out)
		}
		args = append([]string{"unshare", "-pf", "--mount-proc", "--"}, args...)
	}
	cmd := osexec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), isolatedEnv+"=1")
	out, err := cmd.CombinedOutput()
	switch {
	case err != nil:
		t.Fatalf("isolated test: %v\n%s", err, out)
	case bytes.Contains(out, []byte("--- SKIP: "+t.Name())):
		t.Skipf("isolated test skipped:\n%s", out)
	case !bytes.Contains(out, []byte("--- PASS: "+t.Name())):
		t.Fatalf("isolated test did not pass:\n%s", out)
	}
	return false
}

// A superviseHarness supervises the helper program and reads what it writes.
type superviseHarness struct {
	t       *testing.T
	s       *exec.Supervisor
	lines   chan string  // the program's stdout, line by line
	stdin   *os.File     // the write end of the programs' stdin
	orphans chan int     // the pids of the orphans reaped
	reaped  map[int]bool // the pids received from orphans
}

func newSuperviseHarness(t *testing.T) *superviseHarness {
	t.Helper()
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	h := &superviseHarness{
		t:       t,
		lines:   make(chan string, 100),
		stdin:   inW,
		orphans: make(chan int, 1000),
		reaped:  make(map[int]bool),
	}
	h.s = &exec.Supervisor{
		Path:   os.Args[0],
		Stdin:  inR,
		Stdout: outW,
		Stderr: os.Stderr,
		Logger: slog.New(reapHandler{h.orphans}),
	}
	go func() {
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			h.lines <- sc.Text()
		}
		close(h.lines)
	}()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), superviseWaitLimit)
		defer cancel()
		if err := h.s.Stop(ctx); err != nil {
			t.Errorf("Stop at cleanup: %v", err)
		}
		if err := h.s.Close(ctx); err != nil {
			t.Errorf("Close at cleanup: %v", err)
		}
		inW.Close()
		outW.Close()
	})
	return h
}

// newReadyHarness returns a harness whose program, started in mode trap
// with kv in its environment, has said it is ready.
func newReadyHarness(t *testing.T, kv ...string) *superviseHarness {
	t.Helper()
	h := newSuperviseHarness(t)
	h.start(programEnv("trap", kv...))
	h.expect("ready VAL=")
	return h
}

// start starts the program with env, and fails the test if it cannot.
func (h *superviseHarness) start(env []string) {
	h.t.Helper()
	if err := h.s.Start(env); err != nil {
		h.t.Fatal(err)
	}
}

// programEnv returns the environment of the helper program in mode.
func programEnv(mode string, kv ...string) []string {
	return append([]string{superviseHelperEnv + "=" + mode}, kv...)
}

// expect fails the test unless the program's next line is want.
func (h *superviseHarness) expect(want string) {
	h.t.Helper()
	if got := h.next(); got != want {
		h.t.Fatalf("program wrote %q, want %q", got, want)
	}
}

// next returns the program's next line.
func (h *superviseHarness) next() string {
	h.t.Helper()
	select {
	case line, ok := <-h.lines:
		if !ok {
			h.t.Fatal("program output closed")
		}
		return line
	case <-time.After(superviseWaitLimit):
		h.t.Fatal("no line from the program")
	}
	return ""
}

// pidAfter returns the pid on the program's next line, which must start
// with prefix and a space.
func (h *superviseHarness) pidAfter(prefix string) int {
	h.t.Helper()
	line := h.next()
	s, ok := strings.CutPrefix(line, prefix+" ")
	pid, err := strconv.Atoi(s)
	if !ok || err != nil {
		h.t.Fatalf("program wrote %q, want %q and a pid", line, prefix)
	}
	return pid
}

// wait returns the exit of the program once it has exited.
func (h *superviseHarness) wait() exec.Exit {
	h.t.Helper()
	select {
	case <-h.s.Done():
	case <-time.After(superviseWaitLimit):
		h.t.Fatal("the program did not exit")
	}
	e, ok := h.s.Exit()
	if !ok {
		h.t.Fatal("Done is closed but Exit reports the program running")
	}
	return e
}

// waitReaped waits until the reaper reports having reaped the orphan pid.
func (h *superviseHarness) waitReaped(pid int) {
	h.t.Helper()
	timeout := time.After(superviseWaitLimit)
	for !h.reaped[pid] {
		select {
		case p := <-h.orphans:
			h.reaped[p] = true
		case <-timeout:
			h.t.Fatalf("orphan %d not reaped", pid)
		}
	}
}

// reapHandler passes on the pids of the orphans the reaper reports.
type reapHandler struct{ orphans chan<- int }

func (reapHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h reapHandler) WithAttrs([]slog.Attr) slog.Handler     { return h }
func (h reapHandler) WithGroup(string) slog.Handler          { return h }

func (h reapHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "reaped an orphan" {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "pid" {
			h.orphans <- int(a.Value.Int64())
		}
		return true
	})
	return nil
}

// procStat returns the state and the parent pid of pid from /proc, and
// false when there is no such process.
func procStat(t *testing.T, pid int) (state string, ppid int, ok bool) {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if errors.Is(err, os.ErrNotExist) {
		return "", 0, false
	}
	if err != nil {
		t.Fatal(err)
	}
	// pid (comm) state ppid ...; comm may hold spaces.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	ppid, _ = strconv.Atoi(f[1])
	return f[0], ppid, true
}

func TestSuperviseExitCodes(t *testing.T) {
	if !isolate(t, false) {
		return
	}
	tests := []struct {
		name string
		env  []string
		want exec.Exit
		code int
	}{
		{"zero", programEnv("exit", "CODE=0"), exec.Exit{Code: 0}, 0},
		{"one", programEnv("exit", "CODE=1"), exec.Exit{Code: 1}, 1},
		{"three", programEnv("exit", "CODE=3"), exec.Exit{Code: 3}, 3},
		{"255", programEnv("exit", "CODE=255"), exec.Exit{Code: 255}, 255},
		{"SIGTERM", programEnv("kill-self", "SIG=15"), exec.Exit{Code: -1, Signal: syscall.SIGTERM}, 143},
		{"SIGKILL", programEnv("kill-self", "SIG=9"), exec.Exit{Code: -1, Signal: syscall.SIGKILL}, 137},
		{"SIGHUP", programEnv("kill-self", "SIG=1"), exec.Exit{Code: -1, Signal: syscall.SIGHUP}, 129},
	}
	h := newSuperviseHarness(t)
	for _, tt := range tests {
		if err := h.s.Start(tt.env); err != nil {
			t.Fatalf("%s: Start: %v", tt.name, err)
		}
		got := h.wait()
		if got != tt.want || got.ExitCode() != tt.code {
			t.Errorf("%s: exit %+v, ExitCode %d; want %+v, %d", tt.name, got, got.ExitCode(), tt.want, tt.code)
		}
	}
}

func TestSuperviseForwardsSignals(t *testing.T) {
	if !isolate(t, false) {
		return
	}
	h := newSuperviseHarness(t)
	h.s.Forward(t.Context())
	h.start(programEnv("trap", "VAL=1"))
	h.expect("ready VAL=1")
	// SIGTERM last: the program exits on it.
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT,
		syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH, syscall.SIGTERM} {
		if err := syscall.Kill(os.Getpid(), sig); err != nil {
			t.Fatal(err)
		}
		h.expect(fmt.Sprintf("got %d", sig))
	}
	if e := h.wait(); e.ExitCode() != 0 {
		t.Fatalf("exit %v, want 0", e)
	}
	if err := h.s.Signal(syscall.SIGUSR1); !errors.Is(err, exec.ErrNotRunning) {
		t.Fatalf("Signal after exit: %v, want ErrNotRunning", err)
	}
}

func TestSuperviseRestart(t *testing.T) {
	if !isolate(t, false) {
		return
	}
	h := newSuperviseHarness(t)
	h.s.StopSignal = syscall.SIGUSR2
	h.start(programEnv("trap", "VAL=first", "STOP=12"))
	h.expect("ready VAL=first")
	firstDone := h.s.Done()
	if err := h.s.Restart(t.Context(), programEnv("trap", "VAL=second", "STOP=12")); err != nil {
		t.Fatal(err)
	}
	// Restart returned: the first program got the stop signal and is gone.
	select {
	case <-firstDone:
	default:
		t.Fatal("Restart returned before the first program exited")
	}
	h.expect("got 12")
	h.expect("ready VAL=second")
	if _, exited := h.s.Exit(); exited {
		t.Fatal("Exit reports the second program exited")
	}
	if err := h.s.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	h.expect("got 12")
	if e := h.wait(); e.ExitCode() != 0 {
		t.Fatalf("exit %v, want 0", e)
	}
}

func TestSuperviseKillsAfterStopTimeout(t *testing.T) {
	if !isolate(t, false) {
		return
	}
	h := newSuperviseHarness(t)
	h.s.StopTimeout = 100 * time.Millisecond
	h.start(programEnv("trap", "IGNORE_STOP=1", "GRANDCHILD=1"))
	grandchild := h.pidAfter("grandchild")
	h.expect("ready VAL=")
	if err := h.s.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	h.expect("got 15")
	if e := h.wait(); e.Signal != syscall.SIGKILL || e.ExitCode() != 137 {
		t.Fatalf("exit %v (ExitCode %d), want SIGKILL (137)", e, e.ExitCode())
	}
	// The SIGKILL went to the process group: the grandchild, which waits
	// for its stdin to close, is gone too.
	h.waitReaped(grandchild)
}

func TestSuperviseStopWhenContextEnds(t *testing.T) {
	if !isolate(t, false) {
		return
	}
	h := newReadyHarness(t, "IGNORE_STOP=1")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := h.s.Stop(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Stop: %v, want context.Canceled", err)
	}
	if e := h.wait(); e.Signal != syscall.SIGKILL {
		t.Fatalf("exit %v, want SIGKILL", e)
	}
	if err := h.s.Restart(ctx, programEnv("exit")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Restart: %v, want context.Canceled", err)
	}
	if _, exited := h.s.Exit(); !exited {
		t.Fatal("Restart started a program with its context done")
	}
}

func TestSuperviseStartErrors(t *testing.T) {
	if !isolate(t, false) {
		return
	}
	h := newReadyHarness(t)
	if err := h.s.Start(programEnv("trap")); err == nil {
		t.Fatal("Start while running: no error")
	}
	missing := &exec.Supervisor{Path: "/nonexistent/program"}
	defer missing.Close(t.Context())
	if err := missing.Start(nil); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Start of a missing program: %v, want ErrNotExist", err)
	}
	// The failed start's child was waited for by os.StartProcess, not
	// taken for the running program's exit.
	if _, exited := h.s.Exit(); exited {
		t.Fatal("the running program is reported exited")
	}
}

// TestSuperviseStartExitCodes: a program the kernel will not start is an
// *exec.Error with the exit code a shell, and the entrypoint's exec, give
// it: 127 for a missing program or a script whose interpreter is missing,
// 126 for a file that is no program.
func TestSuperviseStartExitCodes(t *testing.T) {
	if !isolate(t, false) {
		return
	}
	dir := t.TempDir()
	writeFile(t, dir+"/badinterp", "#!/nonexistent/valuefrom-interp\n", 0o755)
	writeFile(t, dir+"/garbage", "\x00\x01\x02\x03 not a program", 0o755)
	tests := []struct {
		path string
		want error
		code int
	}{
		{dir + "/missing", exec.ErrNotFound, 127},
		{dir + "/badinterp", exec.ErrNotFound, 127},
		{dir + "/garbage", exec.ErrNotExecutable, 126},
	}
	for _, tt := range tests {
		s := &exec.Supervisor{Path: tt.path}
		err := s.Start(nil)
		s.Close(t.Context())
		var ee *exec.Error
		if !errors.As(err, &ee) || !errors.Is(err, tt.want) || ee.ExitCode() != tt.code {
			t.Errorf("Start of %s: %v, want an *exec.Error wrapping %v, exit code %d", tt.path, err, tt.want, tt.code)
		}
		// The path once, as the error's name, as execve's error says it.
		if n := strings.Count(err.Error(), tt.path); n != 1 {
			t.Errorf("Start of %s: %q names the path %d times, want once", tt.path, err, n)
		}
		// Named otherwise (a path found in a PATH that came from a
		// reference), the error does not show the path at all.
		s = &exec.Supervisor{Path: tt.path, Name: "prog"}
		err = s.Start(nil)
		s.Close(t.Context())
		if err == nil || strings.Contains(err.Error(), dir) || !strings.HasPrefix(err.Error(), "prog: ") {
			t.Errorf("Start of %s named prog: the error shows the path, or does not start with prog", tt.path)
		}
	}
}

func TestSuperviseSubreaper(t *testing.T) {
	if !isolate(t, false) {
		return
	}
	if os.Getpid() == 1 {
		t.Skip("PID 1 is no subreaper")
	}
	h := newSuperviseHarness(t)
	h.start(programEnv("orphans", "N=1", "GRANDCHILD_MODE=hold", "CODE=4"))
	orphan := h.pidAfter("orphan")
	if e := h.wait(); e.ExitCode() != 4 {
		t.Fatalf("exit %v, want 4", e)
	}
	if _, ppid, ok := procStat(t, orphan); !ok || ppid != os.Getpid() {
		t.Fatalf("orphan %d: parent %d (exists %v), want this process, %d", orphan, ppid, ok, os.Getpid())
	}
	h.stdin.Close() // the orphan exits
	h.waitReaped(orphan)
	if state, _, ok := procStat(t, orphan); ok {
		t.Fatalf("orphan %d still there, state %s", orphan, state)
	}
}

// TestSuperviseReapsAsPID1 runs programs that exit while their orphans
// exit, many times, as PID 1: every orphan is reaped, no zombie stays, and
// the program's own exit status always reaches Exit.
func TestSuperviseReapsAsPID1(t *testing.T) {
	if !isolate(t, true) {
		return
	}
	if os.Getpid() != 1 {
		t.Fatalf("pid %d, want 1", os.Getpid())
	}
	h := newSuperviseHarness(t)
	for round := range 30 {
		code := 1 + round%5
		err := h.s.Start(programEnv("orphans", "N=3", "GRANDCHILD_MODE=exit", fmt.Sprintf("CODE=%d", code)))
		if err != nil {
			t.Fatal(err)
		}
		var orphans []int
		for range 3 {
			orphans = append(orphans, h.pidAfter("orphan"))
		}
		if e := h.wait(); e.ExitCode() != code {
			t.Fatalf("round %d: exit %v, want %d", round, e, code)
		}
		for _, pid := range orphans {
			h.waitReaped(pid)
			if state, _, ok := procStat(t, pid); ok {
				t.Fatalf("round %d: orphan %d still there, state %s", round, pid, state)
			}
		}
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if state, _, ok := procStat(t, pid); ok && state == "Z" {
			t.Errorf("process %d is a zombie", pid)
		}
	}
}

func TestSuperviseMasksOutput(t *testing.T) {
	if !isolate(t, false) {
		return
	}
	const value = "canary-supervise-4c1d9e" // must never be written
	var stdout, stderr syncbuf.Buffer
	values := map[string]string{"TOKEN": value}
	maskOut, maskErr := mask.New(&stdout, values), mask.New(&stderr, values)
	s := &exec.Supervisor{Path: os.Args[0], Stdout: maskOut, Stderr: maskErr}
	for range 2 { // twice: the pipes last across starts
		if err := s.Start(programEnv("print", "TOKEN="+value)); err != nil {
			t.Fatal(err)
		}
		select {
		case <-s.Done():
		case <-time.After(superviseWaitLimit):
			t.Fatal("the program did not exit")
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), superviseWaitLimit)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	maskOut.Close()
	maskErr.Close()
	want := strings.Repeat("token=[valuefrom:TOKEN]\nsplit=[valuefrom:TOKEN] end\n", 2)
	for name, got := range map[string]string{"stdout": stdout.String(), "stderr": stderr.String()} {
		if strings.Contains(got, value) || strings.Contains(got, value[5:]) {
			t.Errorf("%s holds the value or its end", name)
		}
		if got != want {
			t.Errorf("%s: %d bytes, %d masked, want %d bytes, 4 masked",
				name, len(got), strings.Count(got, "[valuefrom:TOKEN]"), len(want))
		}
	}
}

func TestSuperviseTerminalForeground(t *testing.T) {
	if !isolate(t, false) {
		return
	}
	// Make a new terminal this process's controlling one, with this
	// process in its foreground, as a shell leaves valuefrom. Closing it
	// hangs it up, which must not end the test.
	signal.Ignore(syscall.SIGHUP)
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	var unlock, n int32
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, ptmx.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); errno != 0 {
		t.Fatal(errno)
	}
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, ptmx.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); errno != 0 {
		t.Fatal(errno)
	}
	tty, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	if _, err := syscall.Setsid(); err != nil {
		t.Fatal(err)
	}
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, tty.Fd(), syscall.TIOCSCTTY, 0); errno != 0 {
		t.Fatal(errno)
	}

	h := newSuperviseHarness(t)
	h.s.Stdin = tty
	h.start(programEnv("tty"))
	h.expect("group leader true, foreground true")
	h.wait()
	// A restart: the terminal is the exited program's, and goes to the
	// new one, so that Ctrl-C still reaches it.
	h.start(programEnv("tty"))
	h.expect("group leader true, foreground true")
	h.wait()

	// Not a terminal: a group of its own all the same.
	h.s.Stdin = nil
	h.s.Close(t.Context())
	h.start(programEnv("tty"))
	h.expect("group leader true, foreground false")
	h.wait()
}

// TestHoldReapingLetsOSExecWait: while a Supervisor's reaper runs, an
// os/exec child started and waited for under HoldReaping keeps its own
// exit status, as an AWS credential_process must.
func TestHoldReapingLetsOSExecWait(t *testing.T) {
	if !isolate(t, false) {
		return
	}
	h := newReadyHarness(t)
	for i := range 50 {
		code := i % 4
		release := exec.HoldReaping()
		cmd := osexec.Command(os.Args[0])
		cmd.Env = programEnv("exit", fmt.Sprintf("CODE=%d", code))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// EOF once the child has exited: the reaper, were it not held,
		// would now race Wait for its status, and mostly win.
		io.Copy(io.Discard, out)
		err = cmd.Wait()
		release()
		var ee *osexec.ExitError
		switch {
		case code == 0 && err != nil, code != 0 && !errors.As(err, &ee):
			t.Fatalf("run %d: %v, want exit status %d", i, err, code)
		case code != 0 && ee.ExitCode() != code:
			t.Fatalf("run %d: exit status %d, want %d", i, ee.ExitCode(), code)
		}
	}
	if err := h.s.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	if e := h.wait(); e.ExitCode() != 0 {
		t.Fatalf("the program's exit %v, want 0", e)
	}
}

// TestSuperviseStopSignalBetweenPrograms (issue 20): a stop signal that
// comes after a program has exited and before the next is started is not
// lost: Start starts nothing and returns a *StopError, 128+N.
func TestSuperviseStopSignalBetweenPrograms(t *testing.T) {
	if !isolate(t, false) {
		return
	}
	h := newSuperviseHarness(t)
	h.s.Forward(t.Context())
	h.start(programEnv("trap", "VAL=first"))
	h.expect("ready VAL=first")
	if err := h.s.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	h.expect("got 15")
	first := h.wait()
	// No program runs: the signal finds none to go to.
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-h.s.Stopping():
	case <-time.After(superviseWaitLimit):
		t.Fatal("Stopping was not closed after SIGTERM")
	}
	err := h.s.Start(programEnv("trap", "VAL=second"))
	var se *exec.StopError
	if !errors.As(err, &se) || se.Signal != syscall.SIGTERM || se.ExitCode() != 143 {
		t.Fatalf("Start after SIGTERM: %v, want a *StopError for SIGTERM (143)", err)
	}
	if e, ok := h.s.Exit(); !ok || e != first {
		t.Fatalf("Exit = %v, %v; want the first program's %v: nothing started", e, ok, first)
	}
}

// TestSuperviseStopSignalDuringStart (issue 20): a stop signal that comes
// while Start starts the program (the seam holds Start between its check
// and the start) goes to the new program, which it ends; and nothing
// starts after.
func TestSuperviseStopSignalDuringStart(t *testing.T) {
	if !isolate(t, false) {
		return
	}
	h := newSuperviseHarness(t)
	h.s.Forward(t.Context())
	exec.SetStartHook(h.s, func() {
		if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
			t.Error(err)
		}
	})
	h.start(programEnv("trap", "VAL=1"))
	// The program dies of SIGTERM, or handles it and exits 0, depending
	// on whether it came before its handler: either way it got it.
	if e := h.wait(); e.Signal != syscall.SIGTERM && e.Code != 0 {
		t.Fatalf("exit %v, want SIGTERM's", e)
	}
	<-h.s.Stopping()
	exec.SetStartHook(h.s, nil)
	var se *exec.StopError
	if err := h.s.Start(programEnv("trap", "VAL=2")); !errors.As(err, &se) {
		t.Fatalf("Start after SIGTERM: %v, want a *StopError", err)
	}
}

// TestSuperviseAwaitStop: after a stop signal that the program ignores,
// AwaitStop kills it after StopTimeout, without sending it another.
func TestSuperviseAwaitStop(t *testing.T) {
	if !isolate(t, false) {
		return
	}
	h := newSuperviseHarness(t)
	h.s.StopTimeout = 100 * time.Millisecond
	h.s.Forward(t.Context())
	h.start(programEnv("trap", "IGNORE_STOP=1"))
	h.expect("ready VAL=")
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	h.expect("got 15")
	if err := h.s.AwaitStop(t.Context()); err != nil {
		t.Fatal(err)
	}
	if e := h.wait(); e.Signal != syscall.SIGKILL {
		t.Fatalf("exit %v, want SIGKILL after the stop timeout", e)
	}
	select {
	case line := <-h.lines:
		t.Errorf("the program wrote %q after the stop signal: it got another", line)
	default:
	}
}

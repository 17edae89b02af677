package supervise

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

// stopTimeout is VALUEFROM_STOP_TIMEOUT in these tests: valuefrom must
// exit within it and a second of a stop signal.
const stopTimeout = time.Second

// checkExit waits for valuefrom, sent a stop signal at sent, and checks
// that it exited within stopTimeout + 1 s (and extra, for time the test
// itself added) with one of the codes in want, and that no program it
// started (pids) is left.
func checkExit(t *testing.T, p *vfbin.Proc, sent time.Time, extra time.Duration, pids []int, want ...int) {
	t.Helper()
	code := p.Wait()
	if took := time.Since(sent); took > stopTimeout+time.Second+extra {
		t.Errorf("valuefrom exited %v after the stop signal, want within %v", took.Round(time.Millisecond), stopTimeout+time.Second+extra)
	}
	if !slices.Contains(want, code) {
		t.Errorf("exit %d, want one of %v; its log:\n%s", code, want, p.Log())
	}
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("the program %d is still running after valuefrom exited", pid)
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// pids returns the pids of the programs valuefrom started so far: those
// that said so, and at debug level those valuefrom logged, which may have
// died of a signal before they could.
func pids(p *vfbin.Proc) []int {
	var out []int
	for _, line := range p.Lines(`^start pid=\d+|msg="program started"`) {
		for _, f := range strings.Fields(line) {
			if pid, err := strconv.Atoi(strings.TrimPrefix(f, "pid=")); err == nil && strings.HasPrefix(f, "pid=") {
				out = append(out, pid)
			}
		}
	}
	return out
}

// TestStopTimeoutBoundsTheExit (issue 20, medium): a program that ignores
// SIGTERM is killed after VALUEFROM_STOP_TIMEOUT, and valuefrom exits
// with its status (137) within a second of that.
func TestStopTimeoutBoundsTheExit(t *testing.T) {
	p := start(t, nil, nil, append(watch("--stop-timeout", stopTimeout.String()), "stubborn")...)
	p.Expect(vfbin.Stdout, `^start pid=`)
	sent := time.Now()
	p.Signal(syscall.SIGTERM)
	checkExit(t, p, sent, 0, pids(p), 128+9)
}

// TestStopSignalRaceTrials (issue 20, medium): a stop signal sent as a
// change is acted on, in each action's window (the restart's, between the
// old program's exit and the new one's start; the exit action's; the
// signal action's), is never lost: valuefrom exits with a program's
// status, never hangs, and leaves no program running. The trials are
// plain, not held open: TestStopSignalInTheRestartWindow widens the
// window with strace, and exec's TestSuperviseStopSignal* hold it open.
func TestStopSignalRaceTrials(t *testing.T) {
	trials := 60
	if n, err := strconv.Atoi(os.Getenv("VALUEFROM_TRIALS")); err == nil {
		trials = n
	}
	srv := mototest.Start(t)
	sd := srv.Seeder(t, "us-east-1")
	name := "supervise/race"
	sd.Secret(name, canary("race-0"))
	env := []string{"VAL=secretsmanager:" + name, "TERM_CODE=7"}
	actions := []struct {
		action string
		after  string // the line after which the stop signal is sent
		codes  []int  // the old program's 7; the new one's 7, or 143 when SIGTERM came before its handler; the exit action's 8, or 143 when SIGTERM came after it was decided
	}{
		{"restart", `^term pid=`, []int{7, 128 + 15}},
		{"exit", `^term pid=`, []int{7, 8, 128 + 15}},
		{"signal:SIGHUP", `signalling the program; no file changed`, []int{7}},
	}
	trial := -1
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("failed in trial %d (%s)", trial, actions[trial%len(actions)].action)
		}
	})
	for i := range trials {
		trial = i
		a := actions[i%len(actions)]
		p := start(t, srv, env, watch("--stop-timeout", stopTimeout.String(), "--on-change", a.action)...)
		p.Expect(vfbin.Stdout, `^start pid=`)
		sd.NewVersion(name, canary("race-"+strconv.Itoa(i+1)))
		stream := vfbin.Stdout
		if !strings.HasPrefix(a.after, "^") {
			stream = vfbin.Stderr
		}
		p.Expect(stream, a.after)
		sent := time.Now()
		// The exit action may have ended valuefrom already.
		syscall.Kill(p.Pid(), syscall.SIGTERM)
		checkExit(t, p, sent, 0, pids(p), a.codes...)
		if t.Failed() {
			t.FailNow()
		}
	}
}

// TestStopSignalInTheRestartWindow (issue 20, medium): strace delays every
// program start by 1.5 s, so that a SIGTERM sent once the old program has
// exited lands while the new one starts: it goes to the new program, and
// valuefrom exits with its status. Before, it was dropped ("no program
// running") and valuefrom never exited.
func TestStopSignalInTheRestartWindow(t *testing.T) {
	srv := mototest.Start(t)
	sd := srv.Seeder(t, "us-east-1")
	name := "supervise/window"
	sd.Secret(name, canary("window-0"))
	env := []string{"VAL=secretsmanager:" + name, "TERM_CODE=7", "VALUEFROM_LOG_LEVEL=debug"}
	p := startDelayed(t, srv, env, watch("--stop-timeout", stopTimeout.String())...)
	old := p.Expect(vfbin.Stdout, `^start pid=(\d+) `)[1]
	valuefrom := straceChild(t, p)
	sd.NewVersion(name, canary("window-1"))
	p.Expect(vfbin.Stderr, `msg="program exited" pid=`+old+` `)
	sent := time.Now()
	if err := syscall.Kill(valuefrom, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// The new program's start takes the delay more.
	checkExit(t, p, sent, execDelay, pids(p), 7, 128+15)
	if n := len(p.Lines(`msg="program started"`)); n != 2 {
		t.Errorf("%d programs started, want 2: the signal came while the second started", n)
	}
}

// TestStopSignalDuringTheFirstStart (issue 20, a sibling): a SIGTERM that
// comes while the first program starts goes to it, or keeps it from
// starting; either way valuefrom exits 143 or with its status.
func TestStopSignalDuringTheFirstStart(t *testing.T) {
	srv := mototest.Start(t)
	name := "supervise/first"
	srv.Seeder(t, "us-east-1").Secret(name, canary("first"))
	env := []string{"VAL=secretsmanager:" + name, "TERM_CODE=7"}
	p := startDelayed(t, srv, env, watch("--stop-timeout", stopTimeout.String())...)
	p.Expect(vfbin.Stderr, `msg="resolved references"`)
	sent := time.Now()
	if err := syscall.Kill(straceChild(t, p), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	checkExit(t, p, sent, execDelay, pids(p), 7, 128+15)
}

// execDelay is how long strace holds each program start (execve).
const execDelay = 1500 * time.Millisecond

// startDelayed starts valuefrom under strace, which delays every execve
// but valuefrom's own by execDelay. It skips when strace cannot trace
// here.
func startDelayed(t *testing.T, srv *mototest.Server, env []string, args ...string) *vfbin.Proc {
	t.Helper()
	strace, err := exec.LookPath("strace")
	if err != nil {
		t.Skip("strace is not installed")
	}
	if out, err := exec.Command(strace, "-f", "-qq", "-o", "/dev/null", "true").CombinedOutput(); err != nil {
		t.Skipf("strace cannot trace here: %v: %s", err, out)
	}
	cmd := command(t, srv, env, args...)
	delay := fmt.Sprintf("inject=execve:delay_enter=%d", execDelay.Microseconds())
	wrap(cmd, strace, "-f", "-qq", "-o", "/dev/null", "-e", "trace=execve", "-e", delay, "--")
	return vfbin.Start(t, cmd)
}

// straceChild returns the pid of valuefrom, the child of the strace that
// p runs, once valuefrom has written a line.
func straceChild(t *testing.T, p *vfbin.Proc) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", p.Pid(), p.Pid()))
	if err != nil {
		t.Skipf("cannot find strace's child: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("strace's children: %q", b)
	}
	return pid
}

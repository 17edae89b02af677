package supervise

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"

	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/valuefrom/valuefrom/internal/testkit/faultproxy"
	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

// TestRotationRestarts: a new AWSCURRENT version stops the program with
// the stop signal and starts it again with the new value, in the
// environment and in its _FILE file, whose path stays the same; each
// cycle makes as many API calls as the start, the batched minimum; on
// SIGTERM valuefrom forwards it, exits with the program's code and
// removes the directory of _FILE values.
func TestRotationRestarts(t *testing.T) {
	r := newRotating(t, "restart")
	// Twelve parameters: two GetParameters calls of at most ten names.
	env := []string{"VAL=secretsmanager:" + r.name, "VAL_FILE=secretsmanager:" + r.name, "TERM_CODE=7"}
	var params []string
	for i := range 12 {
		p := fmt.Sprintf("/watch/p%02d", i)
		v := canary("p" + strconv.Itoa(i))
		r.sd.Parameter(p, ssmtypes.ParameterTypeSecureString, v)
		params = append(params, v)
		env = append(env, fmt.Sprintf("P%02d=ssm:%s", i, p))
	}
	p := start(t, r.srv, append(env, "VALUEFROM_LOG_LEVEL=debug"), watch()...)
	m := p.Expect(vfbin.Stdout, `^start pid=(\d+) val=(.*) file=(.*) path=(.*)$`)
	pid1, path := m[1], m[4]
	if m[2] != r.old || m[3] != r.old {
		t.Fatal("the program did not start with the first value")
	}
	// Two cycles that see no change, then the rotation.
	p.Expect(vfbin.Stderr, `msg="resolved references".*api_calls=`)
	p.Expect(vfbin.Stderr, `msg="resolved references".*api_calls=`)
	r.rotate()
	p.Expect(vfbin.Stdout, `^term pid=`+pid1+`$`)
	m = p.Expect(vfbin.Stdout, `^start pid=(\d+) val=(.*) file=(.*) path=(.*)$`)
	if m[1] == pid1 {
		t.Error("the program was not restarted")
	}
	if m[2] != r.next || m[3] != r.next {
		t.Error("the restarted program did not get the new value")
	}
	if m[4] != path {
		t.Errorf("the _FILE path changed from %s to %s", path, m[4])
	}
	p.Signal(syscall.SIGTERM)
	p.Expect(vfbin.Stdout, `^term pid=`+m[1]+`$`)
	if code := p.Wait(); code != 7 {
		t.Errorf("exit code %d, want the program's 7", code)
	}
	if _, err := os.Stat(filepath.Dir(path)); !os.IsNotExist(err) {
		t.Errorf("the _FILE directory %s is still there: %v", filepath.Dir(path), err)
	}
	// Every resolve, the start's and each cycle's, made 3 calls: one
	// GetSecretValue for the secret both variables name, two GetParameters.
	calls := p.Lines(`msg="resolved references"`)
	if len(calls) < 3 {
		t.Fatalf("%d resolves logged, want the start and at least two cycles", len(calls))
	}
	rx := regexp.MustCompile(`api_calls=(\d+)`)
	for _, line := range calls {
		if m := rx.FindStringSubmatch(line); m == nil || m[1] != "3" {
			t.Errorf("a resolve made other than 3 calls: %s", line)
		}
	}
	vfbin.NoValue(t, "valuefrom's log", p.Log(), append(params, r.old, r.next)...)
}

// TestSignalAction: signal:SIGHUP rewrites the _FILE file in place and
// sends SIGHUP; the program is not restarted, and a changed environment
// variable is warned about once.
func TestSignalAction(t *testing.T) {
	r := newRotating(t, "signal")
	third := canary("signal3")
	env := []string{"VAL=secretsmanager:" + r.name, "VAL_FILE=secretsmanager:" + r.name}
	p := start(t, r.srv, env, watch("--on-change", "signal:SIGHUP")...)
	pid := p.Expect(vfbin.Stdout, `^start pid=(\d+) `)[1]
	for _, v := range []string{r.next, third} {
		r.sd.NewVersion(r.name, v)
		m := p.Expect(vfbin.Stdout, `^(hup|start|term) pid=(\d+)(?: file=(.*))?$`)
		if m[1] != "hup" || m[2] != pid {
			t.Fatalf("got %q from pid %s, want hup from %s", m[1], m[2], pid)
		}
		if m[3] != v {
			t.Error("the file did not hold the new value when the signal came")
		}
	}
	p.Signal(syscall.SIGTERM)
	p.Expect(vfbin.Stdout, `^term pid=`+pid+`$`)
	if code := p.Wait(); code != 0 {
		t.Errorf("exit code %d, want 0", code)
	}
	if n := len(p.Lines(`environment variable.*var=VAL$`)); n != 1 {
		t.Errorf("warned %d times that VAL cannot reach the program, want once", n)
	}
	vfbin.NoValue(t, "valuefrom's log", p.Log(), r.old, r.next, third)
}

// TestExitAction: exit stops the program and exits 8.
func TestExitAction(t *testing.T) {
	r := newRotating(t, "exit")
	p := start(t, r.srv, []string{"VAL=secretsmanager:" + r.name, "TERM_CODE=3"}, watch("--on-change", "exit")...)
	pid := p.Expect(vfbin.Stdout, `^start pid=(\d+) `)[1]
	r.rotate()
	p.Expect(vfbin.Stdout, `^term pid=`+pid+`$`)
	if code := p.Wait(); code != 8 {
		t.Errorf("exit code %d, want 8", code)
	}
	if n := len(p.Lines(`^start pid=`)); n != 1 {
		t.Errorf("the program started %d times, want once", n)
	}
}

// TestExitCodes: the program's exit code, or 128+N for signal N, is
// valuefrom's.
func TestExitCodes(t *testing.T) {
	r := newRotating(t, "codes")
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"exit 0", []string{"exit", "0"}, 0},
		{"exit 7", []string{"exit", "7"}, 7},
		{"SIGKILL", []string{"kill"}, 128 + 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := start(t, r.srv, []string{"VAL=secretsmanager:" + r.name}, append(watch(), tt.args...)...)
			if code := p.Wait(); code != tt.want {
				t.Errorf("exit code %d, want %d", code, tt.want)
			}
		})
	}
	t.Run("SIGTERM not handled", func(t *testing.T) {
		// The helper handles SIGTERM; sh -c 'kill -TERM $$' dies of it.
		p := start(t, nil, nil, "--watch", "1s", "--", "/bin/sh", "-c", "kill -TERM $$")
		if code := p.Wait(); code != 128+15 {
			t.Errorf("exit code %d, want 143", code)
		}
	})
}

// TestForwardsSignals: SIGUSR1 and SIGHUP reach the program, which keeps
// running; SIGINT, which it does not handle, ends it: 130.
func TestForwardsSignals(t *testing.T) {
	p := start(t, nil, nil, watch()...)
	pid := p.Expect(vfbin.Stdout, `^start pid=(\d+) `)[1]
	p.Signal(syscall.SIGUSR1)
	p.Expect(vfbin.Stdout, `^usr1 pid=`+pid+`$`)
	p.Signal(syscall.SIGHUP)
	p.Expect(vfbin.Stdout, `^hup pid=`+pid+` `)
	p.Signal(syscall.SIGINT)
	if code := p.Wait(); code != 128+2 {
		t.Errorf("exit code %d, want 130", code)
	}
}

// TestReapsAsPID1: under unshare -pf, valuefrom is PID 1; the orphans the
// program leaves are reaped, no zombie stays, and the program's exit code
// is still valuefrom's.
func TestReapsAsPID1(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("a PID namespace needs root")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("unshare is not installed")
	}
	if out, err := exec.Command(unshare, "-pf", "--mount-proc", "true").CombinedOutput(); err != nil {
		t.Skipf("unshare -pf --mount-proc: %v: %s", err, out)
	}
	cmd := command(t, nil, []string{"VALUEFROM_LOG_LEVEL=debug"}, append(watch(), "orphans")...)
	wrap(cmd, unshare, "-pf", "--mount-proc", "--kill-child", "--")
	p := vfbin.Start(t, cmd)
	var orphans []string
	for range 3 {
		orphans = append(orphans, p.Expect(vfbin.Stdout, `^orphan pid=(\d+)$`)[1])
	}
	// In whatever order they are reaped.
	reaped := map[string]bool{}
	for !reaped[orphans[0]] || !reaped[orphans[1]] || !reaped[orphans[2]] {
		reaped[p.Expect(vfbin.Stderr, `msg="reaped an orphan" pid=(\d+) `)[1]] = true
	}
	p.Send("zombies")
	if n := p.Expect(vfbin.Stdout, `^zombies=(\d+)$`)[1]; n != "0" {
		t.Errorf("%s zombies, want none", n)
	}
	p.Send("exit 5")
	if code := p.Wait(); code != 5 {
		t.Errorf("exit code %d, want the program's 5", code)
	}
}

// TestFaultStorm: every call fails with 503 for six cycles; the program
// keeps running, the problem is logged once, and a change made during the
// storm is picked up when it ends.
func TestFaultStorm(t *testing.T) {
	r := newRotating(t, "storm")
	u := faultproxy.Unavailable
	proxy := faultproxy.Serve(t, r.srv.URL, faultproxy.Config{Ops: map[string]faultproxy.Rule{
		"secretsmanager.GetSecretValue": {Script: []faultproxy.Fault{faultproxy.None, u, u, u, u, u, u}},
	}})
	env := append(mototest.EndpointEnv(proxy.URL()), "VAL=secretsmanager:"+r.name, "VALUEFROM_MAX_ATTEMPTS=1")
	p := start(t, nil, env, watch()...)
	pid := p.Expect(vfbin.Stdout, `^start pid=(\d+) `)[1]
	p.Expect(vfbin.Stderr, `level=WARN msg="watch: a reference could not be resolved`)
	r.rotate()
	p.Expect(vfbin.Stdout, `^term pid=`+pid+`$`)
	if m := p.Expect(vfbin.Stdout, `^start pid=(\d+) val=(.*) file=`); m[2] != r.next {
		t.Error("the change made during the storm was not picked up")
	}
	p.Signal(syscall.SIGTERM)
	p.Wait()
	if n := len(p.Lines(`level=WARN msg="watch: a reference could not be resolved`)); n != 1 {
		t.Errorf("the storm was logged %d times, want once", n)
	}
	if got := proxy.Counts()["secretsmanager.GetSecretValue"].Unavailable; got != 6 {
		t.Errorf("%d answers were 503, want 6", got)
	}
	if n := len(p.Lines(`^term pid=`)); n != 2 {
		t.Errorf("the program was stopped %d times, want twice (the change, then SIGTERM)", n)
	}
	vfbin.NoValue(t, "valuefrom's log", p.Log(), r.old, r.next)
}

// TestFailedRewriteKeepsFiles: when a cycle cannot write every _FILE
// file, the program keeps running with each file as it was: none is
// removed, none holds the new value.
func TestFailedRewriteKeepsFiles(t *testing.T) {
	r := newRotating(t, "rewrite")
	dir := t.TempDir()
	env := []string{"VAL_FILE=secretsmanager:" + r.name, "ZZ_FILE=secretsmanager:" + r.name}
	p := start(t, r.srv, env, watch("--on-change", "signal:SIGHUP", "--files-dir", dir)...)
	pid := p.Expect(vfbin.Stdout, `^start pid=(\d+) `)[1]
	// ZZ's file becomes a directory, which no rename can replace.
	zz := filepath.Join(dir, "ZZ")
	if err := os.Remove(zz); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(zz, 0o700); err != nil {
		t.Fatal(err)
	}
	r.rotate()
	p.Expect(vfbin.Stderr, `new values could not be written`)
	b, err := os.ReadFile(filepath.Join(dir, "VAL"))
	switch {
	case err != nil:
		t.Errorf("VAL's file after a failed rewrite: %v", err)
	case string(b) != r.old:
		t.Error("VAL's file does not hold the old value after a failed rewrite")
	}
	p.Signal(syscall.SIGTERM)
	p.Expect(vfbin.Stdout, `^term pid=`+pid+`$`)
	p.Wait()
	if n := len(p.Lines(`^hup pid=`)); n != 0 {
		t.Errorf("the program was signalled %d times after a failed rewrite, want none", n)
	}
	vfbin.NoValue(t, "valuefrom's log", p.Log(), r.old, r.next)
}

// Package watch runs the valuefrom binary in supervise mode (--watch)
// against moto, with the test binary as the supervised program (see
// helperMain): rotation and its actions, exit codes and signals, reaping
// as PID 1, a fault storm, API calls per cycle, masking and render
// --watch. Nothing sleeps to wait: every step waits for a line of the
// program's output or of valuefrom's log.
//
// Canary values: every secret value holds "canary"; a failure message
// never prints one.
package watch

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/valuefrom/valuefrom/internal/mototest"
	"github.com/valuefrom/valuefrom/internal/vfbin"
)

// binary is valuefrom, built as a release build is.
var binary string

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		helperMain()
		return
	}
	vfbin.Main(m, &binary)
}

// waitFor bounds every wait for an event; no test waits by sleeping.
const waitFor = 30 * time.Second

// A proc is a running valuefrom, its output read line by line.
type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout chan string // the program's output, through valuefrom
	stderr chan string // valuefrom's log lines, and the program's stderr
	mu     sync.Mutex
	all    strings.Builder // stdout and stderr, for the canary checks
	done   chan struct{}   // closed when valuefrom has exited
	code   int
}

// start runs valuefrom with env (added to moto's endpoint settings and
// the helper's marker) and args.
func start(t *testing.T, moto *mototest.Server, env []string, args ...string) *proc {
	t.Helper()
	bin := vfbin.Need(t)
	name := bin
	if len(args) > 0 && args[0] == "unshare" {
		name, args = "unshare", append([]string{"-pf", "--mount-proc", "--kill-child", "--", bin}, args[1:]...)
	}
	cmd := exec.Command(name, args...)
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", helperEnv + "=1", "AWS_REGION=us-east-1"}, env...)
	if moto != nil {
		cmd.Env = append(cmd.Env, moto.Env()...)
	}
	p := &proc{t: t, cmd: cmd, stdout: make(chan string, 1000), stderr: make(chan string, 1000), done: make(chan struct{})}
	var err error
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	outR, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	errR, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var reading sync.WaitGroup
	for r, ch := range map[io.Reader]chan string{outR: p.stdout, errR: p.stderr} {
		reading.Add(1)
		go func() {
			defer reading.Done()
			sc := bufio.NewScanner(r)
			for sc.Scan() {
				p.mu.Lock()
				p.all.WriteString(sc.Text() + "\n")
				p.mu.Unlock()
				ch <- sc.Text()
			}
		}()
	}
	go func() {
		reading.Wait()
		cmd.Wait()
		p.code = cmd.ProcessState.ExitCode()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			p.code = 128 + int(ws.Signal())
		}
		close(p.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		select {
		case <-p.done:
		case <-time.After(waitFor):
			t.Errorf("valuefrom's output still open %v after it was killed", waitFor)
		}
	})
	return p
}

// expect waits for a line of ch that matches re and returns its
// submatches. Lines before it are skipped.
func (p *proc) expect(ch chan string, re string) []string {
	p.t.Helper()
	rx := regexp.MustCompile(re)
	timeout := time.After(waitFor)
	for {
		select {
		case line := <-ch:
			if m := rx.FindStringSubmatch(line); m != nil {
				return m
			}
		case <-p.done:
			// The readers are done: drain what is left.
			for {
				select {
				case line := <-ch:
					if m := rx.FindStringSubmatch(line); m != nil {
						return m
					}
				default:
					p.t.Fatalf("valuefrom exited (%d) before a line matching %q; its log:\n%s", p.code, re, stderrOf(p))
				}
			}
		case <-timeout:
			p.t.Fatalf("no line matching %q within %v", re, waitFor)
		}
	}
}

// signal sends sig to valuefrom.
func (p *proc) signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatal(err)
	}
}

// send writes a command line to the program's stdin.
func (p *proc) send(line string) {
	p.t.Helper()
	if _, err := io.WriteString(p.stdin, line+"\n"); err != nil {
		p.t.Fatal(err)
	}
}

// wait waits for valuefrom to exit and returns its exit code.
func (p *proc) wait() int {
	p.t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(waitFor):
		p.t.Fatalf("valuefrom did not exit within %v", waitFor)
		return -1
	}
}

// output returns everything read so far from stdout and stderr.
func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.all.String()
}

// stderrLines returns the lines of stderr read so far that match re, once
// valuefrom has exited.
func (p *proc) lines(re string) []string {
	rx := regexp.MustCompile(re)
	var out []string
	for _, line := range strings.Split(p.output(), "\n") {
		if rx.MatchString(line) {
			out = append(out, line)
		}
	}
	return out
}

// noValues fails the test if any of values is in s, naming only where.
func noValues(t *testing.T, where, s string, values ...string) {
	t.Helper()
	for i, v := range values {
		if strings.Contains(s, v) {
			t.Errorf("%s: value %d leaked", where, i)
		}
	}
}

// counter makes names unique across the tests that share a moto.
var counter struct {
	sync.Mutex
	n int
}

func unique(prefix string) string {
	counter.Lock()
	defer counter.Unlock()
	counter.n++
	return fmt.Sprintf("%s-%d", prefix, counter.n)
}

// canary returns a distinct secret value.
func canary(tag string) string { return "canary-" + tag + "-" + strconv.Itoa(os.Getpid()) + "-3f9a1c" }

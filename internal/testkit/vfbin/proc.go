package vfbin

import (
	"bufio"
	"io"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// WaitLimit bounds every wait of a Proc for an event; no test waits by
// sleeping.
const WaitLimit = 30 * time.Second

// Stream is an output stream of a Proc.
type Stream int

// The streams of a Proc.
const (
	Stdout Stream = iota
	Stderr
)

// Proc is a running process, valuefrom or a wrapper around it, whose
// stdout and stderr are read line by line as they come.
type Proc struct {
	tb    testing.TB
	cmd   *exec.Cmd
	stdin io.WriteCloser

	mu    sync.Mutex
	lines [2][]string   // each stream's lines so far
	next  [2]int        // each stream's first line Expect has not passed
	all   []string      // both streams' lines, in the order read
	more  chan struct{} // closed, and replaced, when a line comes

	done chan struct{} // closed when the process has exited and its output is read
	code int
}

// Start starts cmd with pipes on its stdin, stdout and stderr, and reads
// its output. When the test ends, the process is killed, if it still
// runs, and waited for.
func Start(tb testing.TB, cmd *exec.Cmd) *Proc {
	tb.Helper()
	p := &Proc{tb: tb, cmd: cmd, more: make(chan struct{}), done: make(chan struct{})}
	var err error
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		tb.Fatal(err)
	}
	outR, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	errR, err := cmd.StderrPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	var reading sync.WaitGroup
	for s, r := range []io.Reader{Stdout: outR, Stderr: errR} {
		reading.Go(func() { p.read(Stream(s), r) })
	}
	go func() {
		reading.Wait()
		cmd.Wait()
		p.code = cmd.ProcessState.ExitCode()
		close(p.done)
	}()
	tb.Cleanup(func() { p.Kill() })
	return p
}

// read reads the lines of stream s from r.
func (p *Proc) read(s Stream, r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		p.mu.Lock()
		p.lines[s] = append(p.lines[s], sc.Text())
		p.all = append(p.all, sc.Text())
		close(p.more)
		p.more = make(chan struct{})
		p.mu.Unlock()
	}
}

// Expect waits for a line of stream s that matches the regular
// expression re and returns its submatches. Lines before it, back to the
// line the last Expect on s returned, are passed over. If the process
// exits first, or WaitLimit passes, the test fails, showing valuefrom's
// log but not the program's output.
func (p *Proc) Expect(s Stream, re string) []string {
	p.tb.Helper()
	rx := regexp.MustCompile(re)
	timeout := time.After(WaitLimit)
	for {
		m, more := p.scan(s, rx)
		if m != nil {
			return m
		}
		select {
		case <-more:
		case <-p.done:
			// Every line is read: one last look.
			if m, _ := p.scan(s, rx); m != nil {
				return m
			}
			p.tb.Fatalf("valuefrom exited (%d) before a line matching %q; its log:\n%s", p.code, re, p.Log())
		case <-timeout:
			p.tb.Fatalf("no line matching %q within %v", re, WaitLimit)
		}
	}
}

// scan looks for a line of s that matches rx among those not yet passed.
// Without one, it returns a channel closed when the next line comes.
func (p *Proc) scan(s Stream, rx *regexp.Regexp) ([]string, <-chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.next[s] < len(p.lines[s]) {
		line := p.lines[s][p.next[s]]
		p.next[s]++
		if m := rx.FindStringSubmatch(line); m != nil {
			return m, nil
		}
	}
	return nil, p.more
}

// Pid returns the process id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Signal sends sig to the process.
func (p *Proc) Signal(sig syscall.Signal) {
	p.tb.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.tb.Fatal(err)
	}
}

// Send writes line, and a newline, to the process's stdin.
func (p *Proc) Send(line string) {
	p.tb.Helper()
	if _, err := io.WriteString(p.stdin, line+"\n"); err != nil {
		p.tb.Fatal(err)
	}
}

// Wait waits, at most WaitLimit, for the process to exit and its output
// to be read, and returns its
// exit code: -1 if a signal ended it, so that a valuefrom that dies of a
// signal is told from one that exits 128+N on it.
func (p *Proc) Wait() int {
	p.tb.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(WaitLimit):
		p.tb.Fatalf("valuefrom did not exit, or its output is still open, after %v", WaitLimit)
		return -1
	}
}

// Kill kills the process, if it still runs, and waits for it as Wait
// does.
func (p *Proc) Kill() int {
	p.tb.Helper()
	p.cmd.Process.Kill()
	return p.Wait()
}

// Output returns the lines read so far from stdout and stderr, each
// ended by a newline.
func (p *Proc) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.all) == 0 {
		return ""
	}
	return strings.Join(p.all, "\n") + "\n"
}

// Lines returns the lines read so far, from stdout and stderr, that match
// the regular expression re.
func (p *Proc) Lines(re string) []string {
	rx := regexp.MustCompile(re)
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, line := range p.all {
		if rx.MatchString(line) {
			out = append(out, line)
		}
	}
	return out
}

// Log returns valuefrom's own lines read so far: its log records and
// error lines, not what the program it runs writes.
func (p *Proc) Log() string {
	var s strings.Builder
	for _, line := range p.Lines(`^(time=|valuefrom:)`) {
		s.WriteString(line + "\n")
	}
	return s.String()
}

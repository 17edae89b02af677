package runenv

// The reads of files a user names (item 7 of issue 12): a FIFO nobody
// writes to gives way to SIGTERM, and an endless or huge file is a usage
// error, not an out-of-memory crash. The task definition is run's and
// env's; render, check and serve read theirs, and their token files, the
// same way (internal/readfile), and are tested here with them.

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/testkit/testfs"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

const exitSIGTERM = exitcode.SignalOffset + int(syscall.SIGTERM)

// bound is how long a process is given to do what a test waits for: far
// more than it needs, so that only a hang fails.
const bound = 20 * time.Second

// start starts valuefrom with a region, env and args; it is killed when
// the test ends.
func start(t *testing.T, env []string, args ...string) *vfbin.Proc {
	t.Helper()
	return vfbin.Start(t, vfbin.Command(t, append([]string{"AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true"}, env...), args...))
}

// waitOpeningFIFO waits, at most bound, until a thread of process pid is
// blocked opening a FIFO, waiting for a writer, as /proc shows: a poll of
// the process's state, the one readiness signal a blocked open(2) gives.
func waitOpeningFIFO(t *testing.T, pid int) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(bound)
	for {
		tasks, _ := filepath.Glob(filepath.Join("/proc", strconv.Itoa(pid), "task", "*", "wchan"))
		for _, task := range tasks {
			if b, _ := os.ReadFile(task); string(b) == "wait_for_partner" {
				return
			}
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("valuefrom did not open the FIFO within %v", bound)
		}
	}
}

// fifoCases are the reads of the FIFO fifo: --task-def of run, env and
// render, and serve's token file.
func fifoCases(fifo string) map[string][]string {
	return map[string][]string{
		"run":    {"run", "--task-def", fifo, "--", "true"},
		"env":    {"env", "--task-def", fifo},
		"render": {"render", "--task-def", fifo, "--out", filepath.Join(filepath.Dir(fifo), "out.env")},
		"check":  {"check", "--task-def", fifo},
		"serve":  {"serve"},
	}
}

// TestFIFOGivesWayToSIGTERM: valuefrom blocked opening a FIFO that nobody
// writes to, or reading one whose writer has written part of a document
// and waits, exits 143 on SIGTERM, promptly.
func TestFIFOGivesWayToSIGTERM(t *testing.T) {
	vfbin.Need(t)
	writers := map[string]func(t *testing.T, p *vfbin.Proc, fifo string){
		"without writer": func(t *testing.T, p *vfbin.Proc, _ string) { waitOpeningFIFO(t, p.Pid()) },
		"with idle writer": func(t *testing.T, _ *vfbin.Proc, fifo string) {
			// Opening for writing returns once valuefrom has opened the
			// FIFO: it is then in its read.
			w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { w.Close() })
			if _, err := w.Write([]byte("{")); err != nil {
				t.Fatal(err)
			}
		},
	}
	for writer, ready := range writers {
		for name := range fifoCases("") {
			t.Run(writer+"/"+name, func(t *testing.T) {
				fifo := testfs.FIFO(t)
				p := start(t, []string{"VALUEFROM_TOKEN_FILE=" + fifo}, fifoCases(fifo)[name]...)
				ready(t, p, fifo)
				p.Signal(syscall.SIGTERM)
				if code := p.Wait(); code != exitSIGTERM {
					t.Errorf("exit %d, want %d; log: %s", code, exitSIGTERM, p.Log())
				}
			})
		}
	}
}

// TestEndlessTaskDefIsAUsageError: --task-def /dev/zero, or a file over
// the limit, stops with a usage error naming the flag and the limit, not
// an out-of-memory crash.
func TestEndlessTaskDefIsAUsageError(t *testing.T) {
	vfbin.Need(t)
	big := filepath.Join(t.TempDir(), "big.json")
	if err := os.WriteFile(big, bytes.Repeat([]byte(" "), 2<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/dev/zero", big} {
		for _, sub := range []string{"run", "env"} {
			args := []string{sub, "--task-def", path}
			if sub == "run" {
				args = append(args, "--", "true")
			}
			r := vfbin.RunEnv(t, []string{"AWS_REGION=us-east-1"}, args...)
			if r.Code != exitcode.Usage {
				t.Errorf("%s --task-def %s: exit %d, want %d", sub, path, r.Code, exitcode.Usage)
			}
			if !strings.Contains(r.Stderr, "--task-def "+path) || !strings.Contains(r.Stderr, "1 MiB") {
				t.Errorf("%s --task-def %s: stderr does not name the flag and the limit: %q", sub, path, r.Stderr)
			}
			if strings.Contains(r.Stderr, "goroutine ") || strings.Contains(r.Stderr, "fatal error") {
				t.Errorf("%s --task-def %s: a crash: %.300s", sub, path, r.Stderr)
			}
		}
	}
	r := vfbin.RunEnv(t, []string{"AWS_REGION=us-east-1", "VALUEFROM_TOKEN_FILE=/dev/zero"}, "serve")
	if r.Code != exitcode.Usage || !strings.Contains(r.Stderr, "VALUEFROM_TOKEN_FILE") || !strings.Contains(r.Stderr, "64 KiB") {
		t.Errorf("serve with VALUEFROM_TOKEN_FILE=/dev/zero: exit %d, want %d naming the variable and the limit: %q", r.Code, exitcode.Usage, r.Stderr)
	}
}

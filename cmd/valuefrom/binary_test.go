package main

import (
	"bytes"
	"cmp"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

// The end-to-end tests: the binary as `make build` builds it, for what
// only a process shows: the version stamped in, the exec itself, signals,
// a terminal.

// TestBinaryVersion: make build stamps the version scripts/buildinfo
// tells, the commit, and the commit's time as the build date.
func TestBinaryVersion(t *testing.T) {
	r := runBinary(t, nil, "--version")
	git := func(args ...string) string {
		out, err := exec.Command("git", args...).Output()
		if err != nil {
			t.Skipf("no git commit to compare with: git %s: %v", strings.Join(args, " "), err)
		}
		return strings.TrimSpace(string(out))
	}
	head := git("rev-parse", "HEAD")
	epoch := cmp.Or(os.Getenv("SOURCE_DATE_EPOCH"), git("log", "-1", "--format=%ct", "HEAD"))
	sec, err := strconv.ParseInt(epoch, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("../../scripts/buildinfo", "version").Output()
	if err != nil {
		t.Fatalf("scripts/buildinfo version: %v", err)
	}
	want := fmt.Sprintf("valuefrom %s (commit %s, %s, %s/%s, built %s)\n", strings.TrimSpace(string(out)), head,
		runtime.Version(), runtime.GOOS, runtime.GOARCH, time.Unix(sec, 0).UTC().Format(time.RFC3339))
	if r.code != 0 || r.stdout != want {
		t.Errorf("--version: exit %d, stdout %q, want exit 0 and %q", r.code, r.stdout, want)
	}
}

func TestBinaryExec(t *testing.T) {
	moto := startMoto(t)
	seed(t, moto)
	tds := taskDefs(t)
	env := append(moto.Env(), "VALUEFROM_LOG_LEVEL=debug", "PW=secretsmanager:app/db:password::", "WEIRD=a=b\nc ☃")
	r := runBinary(t, env, "--", "env", "-0")
	got := vfbin.Environ(r.stdout)
	if r.code != 0 || got["PW"] != canaryJSON || got["WEIRD"] != "a=b\nc ☃" {
		t.Errorf("exit %d, PW of %d bytes, WEIRD=%q; stderr:\n%s", r.code, len(got["PW"]), got["WEIRD"], r.stderr)
	}
	if _, ok := got["VALUEFROM_LOG_LEVEL"]; ok {
		t.Error("VALUEFROM_LOG_LEVEL reached the command")
	}
	assertNoCanary(t, "stderr", r.stderr)

	// The exit code is the command's own.
	r = runBinary(t, append(moto.Env(), process...), "run", "--task-def", tds["container"], "sh", "-c", `[ "$URL" = "https://example.com/?a=b&c=d" ] && exit 7`)
	if r.code != 7 {
		t.Errorf("exit code %d, want 7; stderr:\n%s", r.code, r.stderr)
	}

	t.Run("env shell through eval", func(t *testing.T) {
		for _, name := range []string{"TRICKY", "SHADOWED", "FROM_ENV", "PROC_REF", "LITERAL"} {
			script := `eval "$("$0" env --task-def "$1" --container app)" || exit 99; printf %s "$` + name + `"`
			cmd := exec.Command("sh", "-c", script, binary, tds["register"])
			cmd.Env = append(append([]string{"PATH=/usr/bin:/bin", "HOME=/home/should-not-expand"}, moto.Env()...), process...)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("%s: %v, stderr:\n%s", name, err, stderr.String())
			}
			checkVars(t, map[string]string{name: string(out)}, map[string]string{name: wantRun[name]})
		}
	})

	t.Run("env refuses a terminal", func(t *testing.T) {
		tests := []struct {
			name string
			env  []string
			args string
			code int
			want string
		}{
			{"references", process, "env --task-def " + tds["container"], exitcode.Usage, "valuefrom: hint: redirect or pipe the output"},
			{"references, --force", process, "env --force --task-def " + tds["container"], 0, "export TRICKY="},
			{"no references", []string{"PLAIN=x"}, "env", 0, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				// script runs the command under a pseudo-terminal and
				// returns its exit code (-e).
				cmd := exec.Command("script", "-qec", binary+" "+tt.args, "/dev/null")
				cmd.Env = append(append([]string{"PATH=/usr/bin:/bin"}, moto.Env()...), tt.env...)
				out, _ := cmd.Output()
				if code := cmd.ProcessState.ExitCode(); code != tt.code {
					t.Errorf("exit code %d, want %d; output:\n%s", code, tt.code, strings.ReplaceAll(string(out), canaryJSON, "<canary>"))
				}
				if !strings.Contains(string(out), tt.want) {
					t.Errorf("output does not contain %q", tt.want)
				}
				if tt.code != 0 {
					assertNoCanary(t, "the terminal", string(out))
					if strings.Contains(string(out), "v2-") {
						t.Error("a value reached the terminal")
					}
				}
			})
		}
	})
}

// TestTimeout: AWS that never answers costs VALUEFROM_TIMEOUT, and every
// reference is named with a hint.
func TestTimeout(t *testing.T) {
	addr, _ := mototest.Stalled(t)
	isolateAWS(t, "AWS_ENDPOINT_URL=http://"+addr, "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_REGION=us-east-1")
	start := time.Now()
	r := runIn(t, []string{"VALUEFROM_TIMEOUT=1s", "A=ssm:/a", "B=secretsmanager:b"}, "--", "true")
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("took %v with VALUEFROM_TIMEOUT=1s", took)
	}
	if r.code != exitcode.Resolve || r.exec != nil {
		t.Errorf("exit code %d, want %d; exec %q; stderr:\n%s", r.code, exitcode.Resolve, r.exec, r.stderr)
	}
	for _, v := range []string{"A: \"ssm:/a\": Timeout", "B: \"secretsmanager:b\": Timeout", "raise VALUEFROM_TIMEOUT"} {
		if !strings.Contains(r.stderr, v) {
			t.Errorf("stderr does not contain %q:\n%s", v, r.stderr)
		}
	}
}

// TestSignalWhileResolving checks that valuefrom, which may be PID 1 while
// it resolves, stops on SIGTERM and exits 143.
func TestSignalWhileResolving(t *testing.T) {
	vfbin.Need(t)
	addr, accepted := mototest.Stalled(t)
	cmd := exec.Command(binary, "--", "true")
	cmd.Env = []string{"PATH=/usr/bin:/bin", "AWS_ENDPOINT_URL=http://" + addr, "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_REGION=us-east-1", "A=ssm:/a"}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	select {
	case <-accepted: // valuefrom is waiting on AWS
	case <-exited:
		t.Fatalf("valuefrom exited before calling AWS: exit code %d; stderr:\n%s", cmd.ProcessState.ExitCode(), stderr.String())
	}
	cmd.Process.Signal(syscall.SIGTERM)
	<-exited
	if code := cmd.ProcessState.ExitCode(); code != 128+int(syscall.SIGTERM) || !strings.Contains(stderr.String(), "interrupted by SIGTERM") {
		t.Errorf("exit code %d, want %d; stderr:\n%s", code, 128+int(syscall.SIGTERM), stderr.String())
	}
}

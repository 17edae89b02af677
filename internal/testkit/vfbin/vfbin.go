// Package vfbin builds the valuefrom binary for the process-level tests,
// benchmarks and fleet simulations, runs it and says how a run went, or
// starts it and reads its output line by line as it comes (Start).
//
// Under go test -short, the unit lane, no binary is built: Main runs the
// tests without one, and the tests that need it call Need, which skips.
package vfbin

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/valuefrom/valuefrom/internal/envlist"
)

// built is the binary Main built, for Need.
var built string

// Main is a TestMain for packages that run the binary: it builds it into a
// temporary directory, sets *binary to its path unless binary is nil,
// runs the tests, removes the directory and exits with the tests' code.
// Under -short it builds nothing and leaves *binary empty. Tests that run
// the binary call Need, which returns its path or skips.
func Main(m *testing.M, binary *string) {
	if !flag.Parsed() { // a TestMain may have parsed them, and set some
		flag.Parse()
	}
	if testing.Short() {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "valuefrom-test-")
	if err == nil {
		built, err = Build(dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if binary != nil {
		*binary = built
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Need returns the path of the binary that Main built. Under -short,
// where Main builds none, it skips the test.
func Need(tb testing.TB) string {
	tb.Helper()
	if testing.Short() {
		tb.Skip("-short: the unit lane builds no valuefrom binary")
	}
	if built == "" {
		tb.Fatal("vfbin.Need: no binary; the package's TestMain must call vfbin.Main")
	}
	return built
}

// Path is the PATH entry that every run through Command gets before the
// environment the test gives it: the system's tools, and nothing of the
// test machine's own PATH.
const Path = "PATH=/usr/bin:/bin"

// Command returns the binary that Main built (see Need) as a command with
// args, whose environment is Path and then env: nothing of the test
// process's own environment.
func Command(tb testing.TB, env []string, args ...string) *exec.Cmd {
	tb.Helper()
	cmd := exec.Command(Need(tb), args...)
	cmd.Env = append([]string{Path}, env...)
	return cmd
}

// RunEnv runs Command(tb, env, args...) as RunCmd does, and waits for it.
func RunEnv(tb testing.TB, env []string, args ...string) Result {
	tb.Helper()
	return RunCmd(tb, Command(tb, env, args...))
}

// Result is how a run of the binary went.
type Result struct {
	Code           int // exit code; -1 if it could not be run
	Stdout, Stderr string
	Took           time.Duration
	MaxRSS         int64 // peak resident set size in KiB, from wait4
}

// Run runs binary with exactly env and args, and waits for it. If the
// binary cannot be run at all it reports an error (with tb.Errorf, so Run
// may be called from any goroutine) and returns Code -1.
func Run(tb testing.TB, binary string, env []string, args ...string) Result {
	tb.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = env
	return RunCmd(tb, cmd)
}

// RunCmd runs cmd as Run runs the binary, for a command that needs more
// than env and args, such as a Stdin. It sets cmd's Stdout and Stderr.
func RunCmd(tb testing.TB, cmd *exec.Cmd) Result {
	tb.Helper()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		tb.Errorf("running valuefrom: %v", err)
		return Result{Code: -1}
	}
	r := Result{Code: cmd.ProcessState.ExitCode(), Stdout: stdout.String(), Stderr: stderr.String(), Took: took}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.MaxRSS = ru.Maxrss
	}
	return r
}

// Build compiles cmd/valuefrom into dir with `make build`, the one
// definition of a release build (static, trimmed, stripped), and returns
// the binary's path. Under go test -short it builds nothing and returns an
// error: a test calls Need first, which skips.
func Build(dir string) (string, error) {
	return BuildFor(dir, runtime.GOOS, runtime.GOARCH)
}

// BuildFor is Build for another platform.
func BuildFor(dir, goos, goarch string) (string, error) {
	if testing.Testing() && flag.Parsed() && testing.Short() {
		return "", errors.New("vfbin: -short: the unit lane builds no valuefrom binary")
	}
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "valuefrom-"+goos+"-"+goarch)
	cmd := exec.Command("make", "--no-print-directory", "build", "BIN="+bin)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building valuefrom: %v\n%s", err, out)
	}
	return bin, nil
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("finding the module: %v", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("not inside the valuefrom module")
	}
	return filepath.Dir(mod), nil
}

// Environ parses the NUL-separated output of env -0.
func Environ(out string) map[string]string {
	m := map[string]string{}
	for _, kv := range strings.Split(strings.TrimSuffix(out, "\x00"), "\x00") {
		k, v, _ := envlist.Split(kv)
		m[k] = v
	}
	return m
}

// CheckEnviron reports each variable of want that is missing or wrong in
// out, the output of env -0, as an error of tb that starts with label and
// never shows a value.
func CheckEnviron(tb testing.TB, label, out string, want map[string]string) {
	tb.Helper()
	got := Environ(out)
	for k, w := range want {
		if g, ok := got[k]; !ok {
			tb.Errorf("%s: %s missing from the child's environment", label, k)
		} else if g != w {
			tb.Errorf("%s: %s: got %d bytes, not the expected %d-byte value (values not shown)", label, k, len(g), len(w))
		}
	}
}

// NoValue fails the test, and ends it, when s, the text where names (an
// output, a log, a file), holds any of values: the test's secret values,
// or a canary mark that each of them holds. It names where, and which
// value by its place in values and its length, never the value nor the
// text around it; and since the test ends there, no failure message that
// would follow can show one either. Call it before any check whose
// message shows s.
func NoValue(tb testing.TB, where, s string, values ...string) {
	tb.Helper()
	if len(values) == 0 {
		tb.Fatalf("vfbin.NoValue(%s): no values to look for", where)
	}
	leaked := false
	for i, v := range values {
		if v == "" {
			tb.Fatalf("vfbin.NoValue(%s): value %d of %d is empty, which every text holds", where, i+1, len(values))
		}
		if strings.Contains(s, v) {
			tb.Errorf("%s: a value leaked: value %d of %d, %d bytes (not shown)", where, i+1, len(values), len(v))
			leaked = true
		}
	}
	if leaked {
		tb.FailNow()
	}
}

// NoLeak fails the test, as NoValue does, when the run's stderr holds
// canary, the mark every value of the test holds.
func NoLeak(tb testing.TB, label string, r Result, canary string) {
	tb.Helper()
	NoValue(tb, label+": stderr", r.Stderr, canary)
}

// JSONLines parses every line of s, such as a run's stderr with
// VALUEFROM_LOG_FORMAT=json, as one JSON object, failing the test for a
// line that is not one.
func JSONLines(tb testing.TB, s string) []map[string]any {
	tb.Helper()
	var objs []map[string]any
	for _, line := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		var obj map[string]any
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			tb.Errorf("not a JSON object: %q", line)
			continue
		}
		objs = append(objs, obj)
	}
	return objs
}

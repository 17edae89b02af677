package exec_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/valuefrom/valuefrom/exec"
	"github.com/valuefrom/valuefrom/internal/envlist"
)

// helperEnv is the variable that makes the test binary act as a helper
// process (the os/exec helperCommand pattern) instead of running tests.
const helperEnv = "VALUEFROM_TEST_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "exec":
		helperExec()
	case "exec-err":
		helperExecErr(os.Args[1:])
	default:
		fmt.Fprintf(os.Stderr, "unknown %s mode %q\n", helperEnv, os.Getenv(helperEnv))
		os.Exit(2)
	}
}

// childScript prints the shell's PID, its argv from $0 on, and the
// environment it was started with, as the kernel has it (NUL-separated).
const childScript = `printf 'pid=%s\n' "$$"; printf '%s|' "$0" "$@"; printf '\n'; cat /proc/$$/environ`

var childArgs = []string{"sh", "-c", childScript, "valuefrom-child", "a b", "c=d"}

// childEnvIn, childSet and childEnvWant are the helper's input to Environ
// and the environment the child must see, in order.
var (
	childEnvIn = []string{
		"PATH=/usr/bin:/bin",
		"VALUEFROM_LOG_LEVEL=debug",
		"DB_URL=sm://db-url",
		"MULTI=ssm:/multi",
		"UNI=ssm:/uni",
		"KEEP=a=b=c",
		"VALUEFROM_CONCURRENCY=4",
		"LAST=1",
	}
	childSet = map[string]string{
		"DB_URL": "postgres://u:p@h/db?sslmode=require&x=y",
		"MULTI":  "line1\nline2\n",
		"UNI":    "héllo, 世界 🔑",
	}
	childEnvWant = []string{
		"PATH=/usr/bin:/bin",
		"DB_URL=postgres://u:p@h/db?sslmode=require&x=y",
		"MULTI=line1\nline2\n",
		"UNI=héllo, 世界 🔑",
		"KEEP=a=b=c",
		"LAST=1",
	}
)

func dropSettings(name string) bool { return strings.HasPrefix(name, "VALUEFROM_") }

func helperExec() {
	env := envlist.Set(childEnvIn, childSet, dropSettings)
	err := exec.Exec(childArgs, env)
	fmt.Fprintf(os.Stderr, "Exec returned: %v\n", err)
	os.Exit(3)
}

// helperExecErr runs Exec on args with PATH from VALUEFROM_TEST_PATH and
// prints which sentinel the error matches.
func helperExecErr(args []string) {
	err := exec.Exec(args, []string{"PATH=" + os.Getenv("VALUEFROM_TEST_PATH")})
	var e *exec.Error
	switch {
	case errors.Is(err, exec.ErrNotFound) && errors.As(err, &e):
		fmt.Printf("ErrNotFound\n%v", err)
	case errors.Is(err, exec.ErrNotExecutable) && errors.As(err, &e):
		fmt.Printf("ErrNotExecutable\n%v", err)
	default:
		fmt.Printf("other\n%v", err)
	}
	os.Exit(3)
}

// helperCommand returns a command that runs the test binary in mode.
func helperCommand(t *testing.T, mode string, args ...string) *osexec.Cmd {
	t.Helper()
	cmd := osexec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, "PATH=/nonexistent")
	return cmd
}

// writeFile writes a file with mode, which umask cannot narrow.
func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func mkdir(t *testing.T, path string) {
	t.Helper()
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestLookPath(t *testing.T) {
	root := t.TempDir()
	bin1 := filepath.Join(root, "bin1")
	bin2 := filepath.Join(root, "bin2")
	mkdir(t, bin1)
	mkdir(t, bin2)
	writeFile(t, filepath.Join(bin1, "tool"), "#!/bin/sh\n", 0o755)
	writeFile(t, filepath.Join(bin2, "tool"), "#!/bin/sh\n", 0o755)
	writeFile(t, filepath.Join(bin1, "plain"), "data", 0o644)
	writeFile(t, filepath.Join(bin1, "shadowed"), "data", 0o644)
	writeFile(t, filepath.Join(bin2, "shadowed"), "#!/bin/sh\n", 0o755)
	writeFile(t, filepath.Join(bin2, "owneronly"), "#!/bin/sh\n", 0o100)
	mkdir(t, filepath.Join(bin1, "adir"))
	writeFile(t, filepath.Join(bin1, "cwdonly"), "#!/bin/sh\n", 0o755)
	t.Chdir(bin1) // relative PATH entries would find bin1's files

	list := func(dirs ...string) string { return strings.Join(dirs, string(os.PathListSeparator)) }
	tests := []struct {
		name    string
		file    string
		path    string
		want    string
		wantErr error
	}{
		{"found in path", "tool", list(bin1), filepath.Join(bin1, "tool"), nil},
		{"first match wins", "tool", list(bin2, bin1), filepath.Join(bin2, "tool"), nil},
		{"missing dir skipped", "tool", list(filepath.Join(root, "nope"), bin2), filepath.Join(bin2, "tool"), nil},
		{"non-executable skipped for later match", "shadowed", list(bin1, bin2), filepath.Join(bin2, "shadowed"), nil},
		{"any execute bit", "owneronly", list(bin2), filepath.Join(bin2, "owneronly"), nil},
		{"absolute name with slash", filepath.Join(bin1, "tool"), "", filepath.Join(bin1, "tool"), nil},
		{"relative name with slash", "./cwdonly", "", "./cwdonly", nil},
		{"not found", "missing", list(bin1, bin2), "", exec.ErrNotFound},
		{"empty name", "", list(bin1), "", exec.ErrNotFound},
		{"empty path", "tool", "", "", exec.ErrNotFound},
		{"slash name missing", filepath.Join(bin1, "missing"), list(bin2), "", exec.ErrNotFound},
		{"non-executable in path", "plain", list(bin1, bin2), "", exec.ErrNotExecutable},
		{"directory in path", "adir", list(bin1), "", exec.ErrNotExecutable},
		{"slash name non-executable", filepath.Join(bin1, "plain"), "", "", exec.ErrNotExecutable},
		{"slash name directory", bin1, "", "", exec.ErrNotExecutable},
		{"dot entry skipped", "cwdonly", ".", "", exec.ErrNotFound},
		{"dot entry skipped before match", "tool", list(".", bin2), filepath.Join(bin2, "tool"), nil},
		{"empty entries skipped", "cwdonly", list("", bin2, ""), "", exec.ErrNotFound},
		{"relative dir entry skipped", "tool", list("bin1", "../bin1"), "", exec.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := exec.LookPath(tt.file, tt.path)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("LookPath(%q, %q): %v", tt.file, tt.path, err)
				}
				if got != tt.want {
					t.Errorf("LookPath(%q, %q) = %q, want %q", tt.file, tt.path, got, tt.want)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("LookPath(%q, %q) err = %v, want %v", tt.file, tt.path, err, tt.wantErr)
			}
			var e *exec.Error
			if !errors.As(err, &e) {
				t.Errorf("LookPath err = %T, want *exec.Error", err)
			}
			if tt.file != "" && !strings.Contains(err.Error(), filepath.Base(tt.file)) {
				t.Errorf("LookPath err = %q, want it to name %q", err, tt.file)
			}
		})
	}
}

// TestLookPathFileInPath: a PATH entry that is a regular file holds no
// commands; a command found nowhere is "not found" (127 in a shell), not
// "not executable".
func TestLookPathFileInPath(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "afile")
	writeFile(t, file, "data", 0o644)
	_, err := exec.LookPath("missing", file+string(os.PathListSeparator)+dir)
	if !errors.Is(err, exec.ErrNotFound) {
		t.Errorf("LookPath with a file in PATH: err = %v, want %v", err, exec.ErrNotFound)
	}
}

func TestErrorMessage(t *testing.T) {
	e := &exec.Error{Name: "app", Err: exec.ErrNotFound}
	if got, want := e.Error(), "app: command not found"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(e, exec.ErrNotFound) {
		t.Errorf("errors.Is(%v, ErrNotFound) = false, want true", e)
	}
}

// TestExec runs a helper process that calls Exec with a built environment
// and checks that the shell it started replaced it (same PID) and saw
// exactly that environment, in order, and those arguments.
func TestExec(t *testing.T) {
	if _, err := os.Stat("/proc/self/environ"); err != nil {
		t.Skipf("needs /proc: %v", err)
	}
	if _, err := exec.LookPath("sh", "/usr/bin:/bin"); err != nil {
		t.Skipf("needs sh: %v", err)
	}
	if _, err := exec.LookPath("cat", "/usr/bin:/bin"); err != nil {
		t.Skipf("needs cat: %v", err)
	}
	cmd := helperCommand(t, "exec")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	helperPID := cmd.Process.Pid
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper: %v; stderr: %s", err, stderr.Bytes())
	}

	pidLine, rest, ok := bytes.Cut(stdout.Bytes(), []byte("\n"))
	if !ok {
		t.Fatalf("child output has no pid line: %q", stdout.Bytes())
	}
	pid, err := strconv.Atoi(strings.TrimPrefix(string(pidLine), "pid="))
	if err != nil {
		t.Fatalf("child pid line %q: %v", pidLine, err)
	}
	if pid != helperPID {
		t.Errorf("child PID = %d, want the helper's %d (the process was not replaced)", pid, helperPID)
	}

	argLine, environ, ok := bytes.Cut(rest, []byte("\n"))
	if !ok {
		t.Fatalf("child output has no argv line: %q", rest)
	}
	wantArgs := strings.Join(childArgs[3:], "|") + "|"
	if got := string(argLine); got != wantArgs {
		t.Errorf("child argv = %q, want %q", got, wantArgs)
	}

	got := strings.Split(strings.TrimSuffix(string(environ), "\x00"), "\x00")
	if !slices.Equal(got, childEnvWant) {
		t.Errorf("child environment = %q, want %q", got, childEnvWant)
	}
}

func TestExecErrorsInProcess(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "plain"), "data", 0o644)
	mkdir(t, filepath.Join(dir, "adir"))
	path := "PATH=" + dir
	tests := []struct {
		name    string
		args    []string
		wantErr error
	}{
		{"no args", nil, exec.ErrNotFound},
		{"missing command", []string{"valuefrom-no-such-command"}, exec.ErrNotFound},
		{"missing path", []string{filepath.Join(dir, "missing")}, exec.ErrNotFound},
		{"non-executable file", []string{"plain"}, exec.ErrNotExecutable},
		{"non-executable path", []string{filepath.Join(dir, "plain")}, exec.ErrNotExecutable},
		{"directory", []string{filepath.Join(dir, "adir")}, exec.ErrNotExecutable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := exec.Exec(tt.args, []string{path})
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Exec(%q) err = %v, want %v", tt.args, err, tt.wantErr)
			}
		})
	}
}

// TestExecErrorsFromExecve covers failures that only execve reports, in a
// helper process so that a wrong success cannot replace the test binary.
func TestExecErrorsFromExecve(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "badinterp"), "#!/nonexistent/valuefrom-interp\n", 0o755)
	writeFile(t, filepath.Join(dir, "garbage"), "\x00\x01\x02\x03 not a program", 0o755)
	tests := []struct {
		name     string
		args     []string
		want     string // first line of the helper's output
		wantText string // in the error message
	}{
		{"missing interpreter", []string{"badinterp"}, "ErrNotFound", "interpreter"},
		{"not a program", []string{filepath.Join(dir, "garbage")}, "ErrNotExecutable", "garbage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := helperCommand(t, "exec-err", tt.args...)
			cmd.Env = append(cmd.Env, "VALUEFROM_TEST_PATH="+dir)
			out, err := cmd.Output()
			var ee *osexec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 3 {
				t.Fatalf("helper: err = %v, want exit status 3; output %q", err, out)
			}
			kind, msg, _ := strings.Cut(string(out), "\n")
			if kind != tt.want {
				t.Errorf("Exec error kind = %q, want %q (error: %s)", kind, tt.want, msg)
			}
			if !strings.Contains(msg, tt.wantText) {
				t.Errorf("Exec error = %q, want it to contain %q", msg, tt.wantText)
			}
		})
	}
}

// TestNoAWSSDK keeps exec free of the AWS SDK: it takes plain variables.
func TestNoAWSSDK(t *testing.T) {
	out, err := osexec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "github.com/aws/") || dep == "github.com/valuefrom/valuefrom/resolver" {
			t.Errorf("exec depends on %s", dep)
		}
	}
}

// Package vfbin builds the valuefrom binary for the process-level tests,
// benchmarks and fleet simulations under test/, and says how a run of it
// went.
package vfbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Main is a TestMain for packages that run the binary: it builds it into a
// temporary directory, sets *binary to its path, runs the tests, removes
// the directory and exits with the tests' code.
func Main(m *testing.M, binary *string) {
	dir, err := os.MkdirTemp("", "valuefrom-test-")
	if err == nil {
		*binary, err = Build(dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Build compiles cmd/valuefrom into dir with `make build`, the one
// definition of a release build (static, trimmed, stripped), and returns
// the binary's path.
func Build(dir string) (string, error) {
	return BuildFor(dir, runtime.GOOS, runtime.GOARCH)
}

// BuildFor is Build for another platform.
func BuildFor(dir, goos, goarch string) (string, error) {
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
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

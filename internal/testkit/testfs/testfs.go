// Package testfs makes and lists the files that tests work on, each in a
// temporary directory of the test.
package testfs

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// WriteFile writes data to a file named name, mode 0600, in a new
// temporary directory and returns its path.
func WriteFile(tb testing.TB, name, data string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// FIFO makes a named pipe, mode 0600, in a new temporary directory and
// returns its path. Where the file system cannot hold one it skips the
// test.
func FIFO(tb testing.TB) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "fifo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		tb.Skipf("mkfifo: %v", err)
	}
	return path
}

// Names lists the names of the entries of dir, hidden ones too.
func Names(tb testing.TB, dir string) []string {
	tb.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// CheckMode fails the test unless path has the permission bits perm and,
// when gid is not negative, the group gid.
func CheckMode(tb testing.TB, path string, perm os.FileMode, gid int) {
	tb.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	if fi.Mode().Perm() != perm {
		tb.Errorf("%s: mode %v, want %v", path, fi.Mode().Perm(), perm)
	}
	if got := int(fi.Sys().(*syscall.Stat_t).Gid); gid >= 0 && got != gid {
		tb.Errorf("%s: group %d, want %d", path, got, gid)
	}
}

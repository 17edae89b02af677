// Package exec turns a resolved environment into a running process. A
// Plan is a start's one hand-off: the command found in PATH once and the
// _FILE names checked once, before any value is fetched; then the child's
// environment built from the resolved values (_FILE values go to private
// files, removed again if the command does not start) and the process
// replaced with the command (Plan.Run), so that the command becomes PID 1
// and receives signals directly. Supervisor keeps the command as a child
// instead: signals forwarded, stopped and restarted on demand, its exit
// code passed on, orphans reaped. Environment, Build and Exec are the same
// steps one at a time, for a caller without a Plan.
package exec

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/valuefrom/valuefrom/internal/envlist"
	"github.com/valuefrom/valuefrom/internal/exitcode"
)

// ErrNotFound is returned by LookPath when no executable file is found.
var ErrNotFound = errors.New("command not found")

// ErrNotExecutable is returned by LookPath and Exec when the file is found
// but cannot be executed.
var ErrNotExecutable = errors.New("command not executable")

// An Error is a failure to find or start the command.
type Error struct {
	Name string // the command as given
	Err  error  // ErrNotFound or ErrNotExecutable, wrapping the cause
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %v", e.Name, e.Err) }
func (e *Error) Unwrap() error { return e.Err }

// ExitCode returns the code a shell exits with for e: 127 for a command
// not found, 126 for one that cannot be executed.
func (e *Error) ExitCode() int {
	if errors.Is(e.Err, ErrNotFound) {
		return exitcode.NotFound
	}
	return exitcode.NotExec
}

// LookPath finds the command name as a shell would, in path (a PATH value)
// when name has no slash. Like os/exec, it does not run a command found
// through a relative PATH entry such as "." or an empty one.
func LookPath(name, path string) (string, error) {
	if name == "" {
		return "", &Error{Name: name, Err: ErrNotFound}
	}
	if strings.Contains(name, "/") {
		return name, checkExecutable(name)
	}
	var firstErr error
	for _, dir := range filepath.SplitList(path) {
		if dir == "" || !filepath.IsAbs(dir) {
			continue
		}
		p := filepath.Join(dir, name)
		err := checkExecutable(p)
		if err == nil {
			return p, nil
		}
		if firstErr == nil && errors.Is(err, ErrNotExecutable) {
			firstErr = err
		}
	}
	if firstErr != nil {
		return "", firstErr
	}
	return "", &Error{Name: name, Err: fmt.Errorf("%w in PATH %q", ErrNotFound, path)}
}

func checkExecutable(p string) error {
	fi, err := os.Stat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		return &Error{Name: p, Err: ErrNotFound}
	case err != nil:
		return &Error{Name: p, Err: fmt.Errorf("%w: %v", ErrNotExecutable, err)}
	case fi.IsDir():
		return &Error{Name: p, Err: fmt.Errorf("%w: is a directory", ErrNotExecutable)}
	case fi.Mode()&0o111 == 0:
		return &Error{Name: p, Err: fmt.Errorf("%w: permission denied", ErrNotExecutable)}
	}
	return nil
}

// Exec finds args[0] in the PATH of env and replaces the current process
// with it. It returns only on failure.
func Exec(args, env []string) error {
	if len(args) == 0 || args[0] == "" {
		return &Error{Name: `""`, Err: ErrNotFound}
	}
	path, err := LookPath(args[0], envlist.Get(env, "PATH"))
	if err != nil {
		return err
	}
	return execve(path, args, env)
}

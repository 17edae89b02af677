// Package secretfile owns writing secret values to files: private (0400 by
// default), atomic (a temporary file in the same directory, synced, then
// renamed over the target), in a directory that only its owner can enter.
//
// On Linux the temporary file has no name while it is written (O_TMPFILE):
// a process killed then (SIGKILL, the OOM killer) leaves nothing behind.
// It is given its name only when complete: in one step when the target
// does not exist yet, else under a temporary name renamed over the target
// at once, so that only a kill between those two system calls can leave a
// .valuefrom-*.tmp file. Where O_TMPFILE or /proc is missing (other
// systems, some file systems), the temporary file is named from the start
// and the window is the whole write.
package secretfile

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
)

// Dir makes sure dir exists as a directory, creating it (and its parents)
// with mode 0700 when missing. An existing directory is left as it is.
func Dir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating directory for secret files: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	return nil
}

// TempDir creates a new private directory (mode 0700) for secret files
// under base, or under the best default when base is empty: /dev/shm,
// memory-backed in containers, so values never reach a disk, when it
// exists; else the system's temporary directory.
func TempDir(base string) (string, error) {
	if base == "" {
		base = os.TempDir()
		if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
			base = "/dev/shm"
		}
	}
	dir, err := os.MkdirTemp(base, "valuefrom-")
	if err != nil {
		return "", fmt.Errorf("creating directory for secret files: %w (set VALUEFROM_FILES_DIR to a writable directory)", err)
	}
	return dir, nil
}

// Write writes data to path atomically with mode perm: readers see the old
// file or the new one, never a part. The directory must exist.
func Write(path string, data []byte, perm fs.FileMode) error {
	p, err := Prepare(path, data, perm, -1)
	if err != nil {
		return err
	}
	return p.Commit()
}

// A Pending is a file written in full and synced in its target's
// directory, with no name (on Linux) or a temporary one, waiting to be
// given the target's. Preparing every file of a set before committing any
// lets a failure leave all the targets as they were. A Pending without a
// name holds its file open until Commit or Abort.
type Pending struct {
	f         *os.File // the file with no name; nil: tmp names it
	tmp, path string
}

// Prepare writes data to a temporary file next to path, with group gid
// (unless gid is negative) and mode perm, and syncs it. Commit renames it
// over path; Abort removes it. The directory must exist.
func Prepare(path string, data []byte, perm fs.FileMode, gid int) (_ *Pending, err error) {
	dir := filepath.Dir(path)
	p := &Pending{f: openAnonymous(dir), path: path}
	f := p.f
	if f == nil {
		if f, err = os.CreateTemp(dir, ".valuefrom-*.tmp"); err != nil {
			return nil, fmt.Errorf("writing %s: %w", path, err)
		}
		p.tmp = f.Name()
	}
	defer func() {
		if err != nil {
			f.Close()
			if p.tmp != "" {
				os.Remove(p.tmp)
			}
		}
	}()
	if _, err := f.Write(data); err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	if gid >= 0 {
		if err := f.Chown(-1, gid); err != nil {
			return nil, fmt.Errorf("writing %s: setting group %d: %w", path, gid, err)
		}
	}
	if err := f.Chmod(perm); err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	if p.f != nil {
		return p, nil
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	return p, nil
}

// Commit renames the file over its target and makes the rename durable.
func (p *Pending) Commit() error {
	if p.f != nil {
		defer p.f.Close()
		// A new target gets the whole file in one step.
		err := link(p.f, p.path)
		if errors.Is(err, fs.ErrExist) {
			err = p.linkTemp()
		}
		if err != nil {
			return fmt.Errorf("writing %s: %w", p.path, err)
		}
		if p.tmp == "" {
			return syncDir(filepath.Dir(p.path))
		}
	}
	if err := os.Rename(p.tmp, p.path); err != nil {
		os.Remove(p.tmp)
		return fmt.Errorf("writing %s: %w", p.path, err)
	}
	return syncDir(filepath.Dir(p.path))
}

// linkTemp gives the file with no name a temporary name next to its
// target, for Commit to rename over the target.
func (p *Pending) linkTemp() error {
	for range 100 {
		tmp := filepath.Join(filepath.Dir(p.path), ".valuefrom-"+strconv.FormatUint(rand.Uint64(), 36)+".tmp")
		err := link(p.f, tmp)
		if err == nil {
			p.tmp = tmp
			return nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return err
		}
	}
	return errors.New("no free temporary name")
}

// Abort removes the temporary file; the target is left as it was.
func (p *Pending) Abort() {
	if p.f != nil {
		p.f.Close() // a file with no name is gone when closed
		return
	}
	os.Remove(p.tmp)
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	d.Sync() // not every file system supports it; the rename is done either way
	return nil
}

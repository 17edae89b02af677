// Package secretfile owns writing secret values to files: private (0400 by
// default), atomic (a temporary file in the same directory, synced, then
// renamed over the target), in a directory that only its owner can enter.
package secretfile

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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

// A Pending is a file written in full and synced under a temporary name in
// its target's directory, waiting to be renamed over the target. Preparing
// every file of a set before committing any lets a failure leave all the
// targets as they were.
type Pending struct {
	tmp, path string
}

// Prepare writes data to a temporary file next to path, with group gid
// (unless gid is negative) and mode perm, and syncs it. Commit renames it
// over path; Abort removes it. The directory must exist.
func Prepare(path string, data []byte, perm fs.FileMode, gid int) (_ *Pending, err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".valuefrom-*.tmp")
	if err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
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
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	return &Pending{tmp: f.Name(), path: path}, nil
}

// Commit renames the file over its target and makes the rename durable.
func (p *Pending) Commit() error {
	if err := os.Rename(p.tmp, p.path); err != nil {
		os.Remove(p.tmp)
		return fmt.Errorf("writing %s: %w", p.path, err)
	}
	return syncDir(filepath.Dir(p.path))
}

// Abort removes the temporary file; the target is left as it was.
func (p *Pending) Abort() { os.Remove(p.tmp) }

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

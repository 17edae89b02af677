// Package render owns writing resolved variables to files for other
// programs, such as the other containers of an ECS task, to read: one file
// in a format of envfmt, or a directory holding one file per variable.
// Everything is written atomically and all or nothing: a failure leaves
// what was there before, and no partial file or directory.
//
// Files are mode 0400, or 0440 and owned by a group when one is given. A
// directory that render creates is mode 0700, or 0750 and owned by the
// group; an existing directory, such as a volume's mount point, keeps its
// owner and mode.
//
// In the files format each variable's value, byte for byte, is the file
// named after the variable. A directory that does not exist is built
// under a temporary name beside it and renamed into place. In an existing
// directory every file is first written and synced under a temporary name,
// and only then are they all renamed over their targets. The names written
// are recorded in the directory's .valuefrom-files; a later render into
// the same directory removes the files of that record that it no longer
// writes, and never touches any other file.
//
// Only valuefrom render uses it; it is a package so that cmd, which parses
// the flags and calls it, holds no file-system decisions.
package render

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/valuefrom/valuefrom/internal/envfmt"
	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/secretfile"
)

// Files is the format of one file per variable, in a directory.
const Files = "files"

// Manifest is the file, in a directory rendered in the files format, that
// lists the names of the files the last render wrote.
const Manifest = ".valuefrom-files"

// Formats lists the formats Write accepts.
var Formats = []string{string(envfmt.Dotenv), string(envfmt.JSON), string(envfmt.Shell), Files}

// Options say how to write.
type Options struct {
	Format string // dotenv, json, shell or files
	Group  int    // the group to own the files, or -1 for none
}

func (o Options) perm() fs.FileMode {
	if o.Group >= 0 {
		return 0o440
	}
	return 0o400
}

func (o Options) dirPerm() fs.FileMode {
	if o.Group >= 0 {
		return 0o750
	}
	return 0o700
}

// ParseFormat checks a format's name.
func ParseFormat(name string) error {
	if !slices.Contains(Formats, name) {
		return fmt.Errorf("unknown format %q: want dotenv, json, shell or files", name)
	}
	return nil
}

// An Error is a failure to write the output at Path. Nothing was written.
type Error struct {
	Path string
	Err  error
}

func (e *Error) Error() string { return fmt.Sprintf("rendering %s: %v", e.Path, e.Err) }
func (e *Error) Unwrap() error { return e.Err }
func (e *Error) ExitCode() int { return exitcode.Output }

// Write writes vars to out in the options' format (see the package
// comment): a file, or for the files format a directory. Its errors are
// *Error.
func Write(out string, vars []envfmt.Var, o Options) error {
	if err := ParseFormat(o.Format); err != nil {
		return &Error{Path: out, Err: err}
	}
	if out == "" {
		return &Error{Path: out, Err: errors.New("no output path")}
	}
	var err error
	if o.Format == Files {
		err = writeDir(out, vars, o)
	} else {
		err = writeFile(out, vars, o)
	}
	if err != nil {
		return &Error{Path: out, Err: err}
	}
	return nil
}

func writeFile(out string, vars []envfmt.Var, o Options) error {
	data, err := envfmt.Encode(envfmt.Format(o.Format), vars)
	if err != nil {
		return err
	}
	if fi, err := os.Stat(out); err == nil && fi.IsDir() {
		return fmt.Errorf("%s is a directory: give a file's path, or use --format files", out)
	}
	p, err := secretfile.Prepare(out, data, o.perm(), o.Group)
	if err != nil {
		return err
	}
	return p.Commit()
}

// checkNames reports a variable whose name cannot be a file's name here.
func checkNames(vars []envfmt.Var) error {
	for _, v := range vars {
		if !envfmt.IsIdentifier(v.Name) {
			return &envfmt.VarError{Var: v.Name, Format: Files, Reason: "the name is not a shell identifier ([A-Za-z_][A-Za-z0-9_]*)"}
		}
	}
	return nil
}

func writeDir(dir string, vars []envfmt.Var, o Options) error {
	if err := checkNames(vars); err != nil {
		return err
	}
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return newDir(dir, vars, o)
	case err != nil:
		return err
	case !fi.IsDir():
		return fmt.Errorf("%s is not a directory: the files format writes a directory", dir)
	}
	return updateDir(dir, vars, o)
}

// newDir builds the directory under a temporary name beside it, then
// renames it into place.
func newDir(dir string, vars []envfmt.Var, o Options) (err error) {
	dir = filepath.Clean(dir)
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if o.Group >= 0 {
		if err := os.Chown(tmp, -1, o.Group); err != nil {
			return fmt.Errorf("creating %s: setting group %d: %w", dir, o.Group, err)
		}
	}
	if err := os.Chmod(tmp, o.dirPerm()); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	for _, v := range vars {
		if err := write(filepath.Join(tmp, v.Name), []byte(v.Value), o); err != nil {
			return err
		}
	}
	if err := write(filepath.Join(tmp, Manifest), manifest(vars), o); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	return nil
}

func write(path string, data []byte, o Options) error {
	p, err := secretfile.Prepare(path, data, o.perm(), o.Group)
	if err != nil {
		return err
	}
	return p.Commit()
}

// updateDir writes every file under a temporary name, then renames them
// all, then removes the files of the last render that are no longer
// written.
func updateDir(dir string, vars []envfmt.Var, o Options) error {
	old, err := readManifest(dir)
	if err != nil {
		return err
	}
	for _, v := range vars {
		// A rename over a directory would fail after others were done.
		if fi, err := os.Lstat(filepath.Join(dir, v.Name)); err == nil && fi.IsDir() {
			return fmt.Errorf("%s is a directory, where %s's file would go", filepath.Join(dir, v.Name), v.Name)
		}
	}
	pending := make([]*secretfile.Pending, 0, len(vars))
	abort := func() {
		for _, p := range pending {
			p.Abort()
		}
	}
	for _, v := range vars {
		p, err := secretfile.Prepare(filepath.Join(dir, v.Name), []byte(v.Value), o.perm(), o.Group)
		if err != nil {
			abort()
			return err
		}
		pending = append(pending, p)
	}
	for i, p := range pending {
		if err := p.Commit(); err != nil {
			for _, rest := range pending[i+1:] {
				rest.Abort()
			}
			return err
		}
	}
	names := make(map[string]bool, len(vars))
	for _, v := range vars {
		names[v.Name] = true
	}
	for _, name := range old {
		if !names[name] {
			if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("removing %s, written by an earlier render: %w", filepath.Join(dir, name), err)
			}
		}
	}
	return write(filepath.Join(dir, Manifest), manifest(vars), o)
}

func manifest(vars []envfmt.Var) []byte {
	var b bytes.Buffer
	for _, v := range vars {
		b.WriteString(v.Name + "\n")
	}
	return b.Bytes()
}

// readManifest returns the names in dir's manifest: none when it has none.
// Names that could not have been written are left out, so that a tampered
// manifest cannot make render remove anything outside the directory.
func readManifest(dir string) ([]string, error) {
	data, err := os.ReadFile(filepath.Join(dir, Manifest))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the record of an earlier render: %w", err)
	}
	var names []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if name := strings.TrimSpace(sc.Text()); envfmt.IsIdentifier(name) {
			names = append(names, name)
		}
	}
	return names, nil
}

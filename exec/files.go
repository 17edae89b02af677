package exec

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/valuefrom/valuefrom/internal/envlist"
	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/secretfile"
	"github.com/valuefrom/valuefrom/resolver/reference"
)

// A Var is a variable to set in the child's environment.
type Var struct {
	Name  string
	Value []byte
}

// A FileError is a failure to write a _FILE variable's value.
type FileError struct {
	Var string
	Err error
}

func (e *FileError) Error() string { return fmt.Sprintf("%s: %v", e.Var, e.Err) }
func (e *FileError) Unwrap() error { return e.Err }
func (e *FileError) ExitCode() int { return exitcode.Output }

// Environment builds the child's environment: environ with each of vars
// set to its value, except that the value of a variable whose name ends
// in reference.FileSuffix (_FILE) is written to a private file (mode 0400) named after
// the variable without the suffix, in filesDir, and the variable set to
// the file's path. When filesDir is empty, a new private directory is made
// (see secretfile.TempDir). Variables for which drop reports true are
// removed. The names are checked first (see CheckFiles); on failure,
// nothing that was written is left. When the command the environment is
// for may not start, use Build, which says what to remove.
func Environment(environ []string, vars []Var, filesDir string, drop func(string) bool) ([]string, error) {
	env, _, err := Build(environ, vars, filesDir, drop)
	return env, err
}

// Files are the _FILE files that Build wrote, and those Plan.Build
// rendered templates to, for the caller to remove when the command they
// were written for does not start.
type Files struct {
	dir       string   // a directory made for them, removed whole
	paths     []string // the files, when written in a directory given
	templates []string // the files templates were rendered to (see Plan.Build)
}

// Remove removes the files, and the directory made for them, if any. A
// nil *Files has nothing to remove.
func (f *Files) Remove() error {
	if f == nil {
		return nil
	}
	var errs []error
	paths := f.paths
	if f.dir != "" {
		errs, paths = append(errs, os.RemoveAll(f.dir)), nil
	}
	for _, p := range slices.Concat(paths, f.templates) {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Build is Environment, and also returns the files it wrote (nil when
// none), so that the caller can remove them if the command does not
// start.
func Build(environ []string, vars []Var, filesDir string, drop func(string) bool) ([]string, *Files, error) {
	names := make([]string, len(vars))
	for i, v := range vars {
		names[i] = v.Name
	}
	if err := CheckFiles(names); err != nil {
		return nil, nil, err
	}
	return build(environ, vars, filesDir, "", drop)
}

// build is Build for names that CheckFiles has accepted, with the new
// private directory, when filesDir is "", made under base (see
// secretfile.TempDir).
func build(environ []string, vars []Var, filesDir, base string, drop func(string) bool) (_ []string, _ *Files, err error) {
	set := make(map[string]string, len(vars))
	var files *Files
	defer func() {
		if err != nil {
			files.Remove()
		}
	}()
	dir := ""
	for _, v := range vars {
		if !strings.HasSuffix(v.Name, reference.FileSuffix) {
			set[v.Name] = string(v.Value)
			continue
		}
		if files == nil {
			files = &Files{}
			if filesDir != "" {
				dir, err = filesDir, secretfile.Dir(filesDir)
			} else {
				dir, err = secretfile.TempDir(base)
				files.dir = dir
			}
			if err != nil {
				return nil, nil, &FileError{Var: v.Name, Err: fmt.Errorf("%w (VALUEFROM_FILES_DIR)", err)}
			}
		}
		path, err := filepath.Abs(filepath.Join(dir, strings.TrimSuffix(v.Name, reference.FileSuffix)))
		if err == nil {
			err = secretfile.Write(path, v.Value, 0o400)
		}
		if err != nil {
			return nil, nil, &FileError{Var: v.Name, Err: err}
		}
		files.paths = append(files.paths, path)
		set[v.Name] = path
	}
	return envlist.Set(environ, set, drop), files, nil
}

// Rewrite is Environment for a command that already runs with files in
// filesDir, which must exist: it writes the _FILE values again, for a
// supervisor to hand a running program new ones. Every file is prepared
// before any is replaced, so a failure to write one, or a target that
// cannot be replaced (a directory), leaves all of them as they were; a
// failure of the renames themselves leaves each file whole, old or new.
// Rewrite never removes a file.
func Rewrite(environ []string, vars []Var, filesDir string, drop func(string) bool) (_ []string, err error) {
	names := make([]string, len(vars))
	for i, v := range vars {
		names[i] = v.Name
	}
	if err := CheckFiles(names); err != nil {
		return nil, err
	}
	set := make(map[string]string, len(vars))
	type prepared struct {
		name string
		p    *secretfile.Pending
	}
	var pending []prepared
	defer func() {
		for _, f := range pending {
			f.p.Abort()
		}
	}()
	for _, v := range vars {
		if !strings.HasSuffix(v.Name, reference.FileSuffix) {
			set[v.Name] = string(v.Value)
			continue
		}
		if filesDir == "" {
			return nil, &FileError{Var: v.Name, Err: errors.New("no files directory to rewrite the file in")}
		}
		path, err := filepath.Abs(filepath.Join(filesDir, strings.TrimSuffix(v.Name, reference.FileSuffix)))
		if err == nil {
			if fi, statErr := os.Lstat(path); statErr == nil && fi.IsDir() {
				err = fmt.Errorf("writing %s: a directory is in the way", path)
			}
		}
		var p *secretfile.Pending
		if err == nil {
			p, err = secretfile.Prepare(path, v.Value, 0o400, -1)
		}
		if err != nil {
			return nil, &FileError{Var: v.Name, Err: err}
		}
		pending = append(pending, prepared{v.Name, p})
		set[v.Name] = path
	}
	for len(pending) > 0 {
		f := pending[0]
		pending = pending[1:]
		if err := f.p.Commit(); err != nil {
			return nil, &FileError{Var: f.name, Err: err}
		}
	}
	return envlist.Set(environ, set, drop), nil
}

// CheckFiles checks, before anything is written, the names of the _FILE
// variables among names (those that end in reference.FileSuffix): each
// must name a file of its own in the files directory. _FILE alone names
// none (and _FILE_FILE would name the same one); a name with a slash, or
// "." or "..", would place it elsewhere; and two names that differ only in
// case would write one file on the case-insensitive file systems of macOS
// and Windows, where valuefrom run is used too, so they are refused
// everywhere. The error is a *FileError naming the variable, and the other
// variable when two collide.
func CheckFiles(names []string) error {
	seen := map[string]string{} // file name, folded: variable
	for _, n := range names {
		file, ok := strings.CutSuffix(n, reference.FileSuffix)
		switch {
		case !ok:
			continue
		case file == "":
			return &FileError{Var: n, Err: fmt.Errorf("names no file: put the file's name before %s, as in DB_PASSWORD%[1]s", reference.FileSuffix)}
		case filepath.Base(file) != file || file == "." || file == "..":
			return &FileError{Var: n, Err: errors.New("the name would place the file outside the files directory")}
		}
		key := strings.ToLower(file)
		if other, dup := seen[key]; dup && other != n {
			return &FileError{Var: n, Err: fmt.Errorf("%s would write the same file: rename one of them", other)}
		}
		seen[key] = n
	}
	return nil
}

package exec

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

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

// Environment builds the child's environment: environ with each of vars
// set to its value, except that the value of a variable whose name ends
// in reference.FileSuffix (_FILE) is written to a private file (mode 0400) named after
// the variable without the suffix, in filesDir, and the variable set to
// the file's path. When filesDir is empty, a new private directory is made
// (see secretfile.TempDir). Variables for which drop reports true are
// removed.
func Environment(environ []string, vars []Var, filesDir string, drop func(string) bool) ([]string, error) {
	names := make([]string, len(vars))
	for i, v := range vars {
		names[i] = v.Name
	}
	if err := CheckFiles(names); err != nil {
		return nil, err
	}
	set := make(map[string]string, len(vars))
	dir := ""
	// A directory made here holds nothing else: on failure, remove it
	// with whatever was written to it.
	cleanup := func(err error) error {
		if filesDir == "" && dir != "" {
			os.RemoveAll(dir)
		}
		return err
	}
	for _, v := range vars {
		if !strings.HasSuffix(v.Name, reference.FileSuffix) {
			set[v.Name] = string(v.Value)
			continue
		}
		if dir == "" {
			var err error
			if filesDir != "" {
				dir, err = filesDir, secretfile.Dir(filesDir)
			} else {
				dir, err = secretfile.TempDir("")
			}
			if err != nil {
				return nil, &FileError{Var: v.Name, Err: fmt.Errorf("%w (VALUEFROM_FILES_DIR)", err)}
			}
		}
		path, err := filepath.Abs(filepath.Join(dir, strings.TrimSuffix(v.Name, reference.FileSuffix)))
		if err == nil {
			err = secretfile.Write(path, v.Value, 0o400)
		}
		if err != nil {
			return nil, cleanup(&FileError{Var: v.Name, Err: err})
		}
		set[v.Name] = path
	}
	return Environ(environ, set, drop), nil
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

package exec

import (
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
		name := strings.TrimSuffix(v.Name, reference.FileSuffix)
		if name == "" {
			name = v.Name
		}
		if filepath.Base(name) != name || name == "." || name == ".." {
			return nil, cleanup(&FileError{Var: v.Name, Err: fmt.Errorf("the name would place the file outside %s", dir)})
		}
		path, err := filepath.Abs(filepath.Join(dir, name))
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

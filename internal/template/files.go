package template

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/valuefrom/valuefrom/internal/envlist"
	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/readfile"
	"github.com/valuefrom/valuefrom/internal/secretfile"
	"github.com/valuefrom/valuefrom/internal/settings"
)

// ExitCode is the code a run that fails on e ends with: a template that
// does not parse is a usage error (exitcode.Usage), as an env file that
// does not parse is; one that does not render, an output failure
// (exitcode.Output): nothing was written.
func (e *Error) ExitCode() int {
	if e.Op == "parse" {
		return exitcode.Usage
	}
	return exitcode.Output
}

// Problems returns the problems of an error of Load or Files.Prepare, each
// of them a problem of one template or one action: the errors it joins,
// or err alone; none for nil.
func Problems(err error) []error {
	if err == nil {
		return nil
	}
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			errs = append(errs, Problems(e)...)
		}
		return errs
	}
	return []error{err}
}

// MaxSize is the most valuefrom reads of a template: far more than any
// configuration file.
const MaxSize = 1 << 20

// A File is a template read from its target's SRC and parsed, to be
// rendered to its DEST.
type File struct {
	settings.Target
	tmpl *Template
}

// Names returns the variables the template uses, sorted, each once.
func (f *File) Names() []string { return f.tmpl.Names() }

// Render renders the template with lookup (see Template.Render).
func (f *File) Render(lookup func(string) ([]byte, bool)) ([]byte, error) {
	return f.tmpl.Render(lookup)
}

// A LoadError is a template that cannot be read, or a DEST that cannot
// be written, found before any value is: a usage error.
type LoadError struct {
	Target settings.Target
	Err    error
}

func (e *LoadError) Error() string { return e.Target.String() + ": " + e.Err.Error() }
func (e *LoadError) Unwrap() error { return e.Err }
func (e *LoadError) ExitCode() int { return exitcode.Usage }

// Load loads each of targets (see LoadFile), and reports every target
// that fails, the errors joined.
func Load(ctx context.Context, targets []settings.Target) ([]*File, error) {
	files := make([]*File, 0, len(targets))
	var errs []error
	for _, t := range targets {
		f, err := LoadFile(ctx, t)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		files = append(files, f)
	}
	if errs != nil {
		return nil, errors.Join(errs...)
	}
	return files, nil
}

// LoadFile reads the template t.Src (readfile.Read: at most MaxSize,
// given up when ctx ends), parses it, named by its path, and checks what
// can be checked of t.Dest before a value is known: its directory exists,
// and it is neither a directory nor the template itself. A template that
// does not parse is an *Error; every other failure a *LoadError.
func LoadFile(ctx context.Context, t settings.Target) (*File, error) {
	src, err := readfile.Read(ctx, t.Src, MaxSize)
	if err != nil {
		return nil, &LoadError{Target: t, Err: err}
	}
	tmpl, err := Parse(t.Src, src)
	if err != nil {
		return nil, err
	}
	if err := checkDest(t); err != nil {
		return nil, &LoadError{Target: t, Err: err}
	}
	return &File{Target: t, tmpl: tmpl}, nil
}

// checkDest checks that t.Dest can be written: its directory exists, and
// it is neither a directory nor the template.
func checkDest(t settings.Target) error {
	dir := filepath.Dir(filepath.Clean(t.Dest))
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("the directory %s does not exist", dir)
	}
	fi, err := os.Stat(t.Dest)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return fmt.Errorf("%s is a directory: name the file to render the template to", t.Dest)
	}
	if src, err := os.Stat(t.Src); err == nil && os.SameFile(src, fi) {
		return fmt.Errorf("%s is the template itself", t.Dest)
	}
	return nil
}

// Lookup returns what a template may read, the only source of its
// values: values, the variables valuefrom resolved (references, SSM paths'
// parameters, JSON secrets' keys), and, with plain set, the other
// variables of environ; never one for which drop reports true
// (valuefrom's own settings). A template cannot read the rest of the
// process environment by accident.
func Lookup(values map[string][]byte, environ []string, plain bool, drop func(string) bool) func(string) ([]byte, bool) {
	return func(name string) ([]byte, bool) {
		if drop != nil && drop(name) {
			return nil, false
		}
		if v, ok := values[name]; ok {
			return v, true
		}
		if plain {
			if v, ok := envlist.Lookup(environ, name); ok {
				return []byte(v), true
			}
		}
		return nil, false
	}
}

// A WriteError is a failure to write a template's DEST: an output
// failure.
type WriteError struct {
	Target settings.Target
	Err    error
}

func (e *WriteError) Error() string { return e.Target.String() + ": " + e.Err.Error() }
func (e *WriteError) Unwrap() error { return e.Err }
func (e *WriteError) ExitCode() int { return exitcode.Output }

// Files are templates rendered to their files: at a start, by render, and
// again on each change in supervise mode and render --watch. Each file is
// written as a _FILE file is (see package secretfile): atomically, mode
// 0400, or 0440 and owned by the group when one is given. A file is
// written again only when what its template renders to changes. Files are
// not safe for concurrent use; a nil *Files has no templates.
type Files struct {
	files []*File
	group int                 // the group to own the files; negative: none
	sums  [][sha256.Size]byte // of what each file was last given
	wrote []bool              // whether each file has been written
}

// NewFiles returns files to render, owned by the group gid unless gid is
// negative.
func NewFiles(files []*File, gid int) *Files {
	return &Files{files: files, group: gid, sums: make([][sha256.Size]byte, len(files)), wrote: make([]bool, len(files))}
}

// Uses reports whether a template uses the variable name.
func (fs *Files) Uses(name string) bool {
	if fs == nil {
		return false
	}
	for _, f := range fs.files {
		if slices.Contains(f.Names(), name) {
			return true
		}
	}
	return false
}

// Prepare renders every template with lookup, and prepares each whose
// content differs from what its file was last given (each the first
// time) under a temporary name in its DEST's directory (see
// secretfile.Prepare), for Commit to put in place. It is all or nothing:
// when a template does not render it returns the errors of every template
// that does not, joined (each an *Error naming the template, the line,
// the column and the variable, never a value); when a file cannot be
// prepared, a *WriteError; and nothing is left prepared.
func (fs *Files) Prepare(lookup func(string) ([]byte, bool)) (*Pending, error) {
	if fs == nil {
		return nil, nil
	}
	outs := make([][]byte, len(fs.files))
	var errs []error
	for i, f := range fs.files {
		out, err := f.Render(lookup)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		outs[i] = out
	}
	if errs != nil {
		return nil, errors.Join(errs...)
	}
	perm := fs.perm()
	p := &Pending{fs: fs}
	for i, out := range outs {
		sum := sha256.Sum256(out)
		if fs.wrote[i] && sum == fs.sums[i] {
			continue
		}
		f := fs.files[i]
		sp, err := secretfile.Prepare(f.Dest, out, perm, fs.group)
		if err != nil {
			p.Abort()
			return nil, &WriteError{Target: f.Target, Err: err}
		}
		p.items = append(p.items, pendingFile{i: i, p: sp, sum: sum})
	}
	return p, nil
}

func (fs *Files) perm() os.FileMode {
	if fs.group >= 0 {
		return 0o440
	}
	return 0o400
}

// A Pending is what Prepare prepared. A nil *Pending holds nothing.
type Pending struct {
	fs    *Files
	items []pendingFile
}

type pendingFile struct {
	i   int // the file's index in Files
	p   *secretfile.Pending
	sum [sha256.Size]byte
}

// Commit puts each prepared file in place, renamed over its DEST, and
// returns the DESTs it wrote. When one fails it returns the DESTs written
// before it, for the caller to remove if they are not to stay, and a
// *WriteError; the rest are dropped and their DESTs left as they were.
func (p *Pending) Commit() ([]string, error) {
	if p == nil {
		return nil, nil
	}
	var written []string
	for n, it := range p.items {
		f := p.fs.files[it.i]
		if err := it.p.Commit(); err != nil {
			for _, rest := range p.items[n+1:] {
				rest.p.Abort()
			}
			p.items = nil
			return written, &WriteError{Target: f.Target, Err: err}
		}
		p.fs.sums[it.i], p.fs.wrote[it.i] = it.sum, true
		written = append(written, f.Dest)
	}
	p.items = nil
	return written, nil
}

// Abort drops what was prepared: every DEST stays as it was.
func (p *Pending) Abort() {
	if p == nil {
		return
	}
	for _, it := range p.items {
		it.p.Abort()
	}
	p.items = nil
}

package exec

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"syscall"

	"github.com/valuefrom/valuefrom/internal/envlist"
	"github.com/valuefrom/valuefrom/resolver/reference"
)

// A Plan is a program to start and what its environment is to hold: what a
// start of valuefrom hands to exec. NewPlan makes the checks that need no
// value, so that a mistyped program or an impossible _FILE name costs no
// AWS call; the values then go in Environ and Vars, and Run starts the
// program.
//
// The program is found once: by NewPlan, or by Run when its PATH is
// itself a reference, to be resolved. Each _FILE name is checked once: by
// NewPlan, or by Build for the names that come only with the values (an
// SSM path's, a JSON secret's).
type Plan struct {
	Args []string // the program and its arguments; none for a Plan that only builds an environment
	Path string   // the program as found in PATH; "" until found

	Environ  []string          // the environment the values go over
	Vars     []Var             // the values; a _FILE variable's goes to a file (see Build)
	FilesDir string            // where _FILE values go; "": a new private directory
	Drop     func(string) bool // the variables left out of the program's environment; nil keeps all

	// FilesBase is where the new private directory is made when FilesDir
	// is "": "" is secretfile.TempDir's choice (/dev/shm, else the
	// system's temporary directory); a start on Lambda gives /tmp.
	FilesBase string

	// Templates render files from the values: Build renders them before
	// the program starts, and Rewrite again; nil: none.
	Templates Renderer

	// Exec replaces the process with the program; nil is syscall.Exec.
	// Tests set it to see what would be run.
	Exec func(path string, args, env []string) error

	checked map[string]bool // the names NewPlan checked
	// secretPath says Path was found in a PATH that was itself a
	// reference: its directories are a resolved value, which no message
	// shows (see Name).
	secretPath bool
}

// NewPlan plans the start of the program args[0] with the environment
// environ and the variables names: it finds the program in environ's PATH,
// unless that PATH is a reference, whose value only Run will know, and
// checks the names of the _FILE variables among names (see CheckFiles),
// before any value is fetched. With no args, the plan builds an
// environment for no program (Build, not Run).
func NewPlan(args, environ, names []string) (*Plan, error) {
	p := &Plan{Args: args}
	if args != nil {
		if len(args) == 0 || args[0] == "" {
			return nil, &Error{Name: `""`, Err: ErrNotFound}
		}
		if path := envlist.Get(environ, "PATH"); !reference.Is(path) {
			found, err := LookPath(args[0], path)
			if err != nil {
				return nil, err
			}
			p.Path = found
		}
	}
	if err := CheckFiles(names); err != nil {
		return nil, err
	}
	p.checked = make(map[string]bool, len(names))
	for _, n := range names {
		p.checked[n] = true
	}
	return p, nil
}

// Build builds the program's environment: Environ with each of Vars set,
// a _FILE variable's value written to a private file in FilesDir (see the
// function Build), the variables Drop names left out; and renders the
// Templates to their files. It returns the files it wrote, templates'
// included, for the caller to remove if the program does not start. It is
// all or nothing: every template is rendered before any file is written,
// and on a failure nothing it wrote is left.
func (p *Plan) Build() ([]string, *Files, error) {
	var names []string
	for _, v := range p.Vars {
		if !p.checked[v.Name] && strings.HasSuffix(v.Name, reference.FileSuffix) {
			names = append(names, v.Name)
		}
	}
	// The names NewPlan checked may collide with those it did not.
	if len(names) > 0 {
		all := make([]string, len(p.Vars))
		for i, v := range p.Vars {
			all[i] = v.Name
		}
		if err := CheckFiles(all); err != nil {
			return nil, nil, err
		}
	}
	pending, err := p.renderTemplates(p.Environ, p.Vars)
	if err != nil {
		return nil, nil, err
	}
	defer pending.Abort() // what Commit did not take
	env, files, err := build(p.Environ, p.Vars, p.FilesDir, p.FilesBase, p.Drop)
	if err != nil {
		return nil, nil, err
	}
	written, err := pending.Commit()
	if len(written) > 0 {
		if files == nil {
			files = &Files{}
		}
		files.templates = written
	}
	if err != nil {
		files.Remove()
		return nil, nil, err
	}
	return env, files, nil
}

// Rewrite writes the values of vars again for the running program, over
// environ, as the function Rewrite does in FilesDir, and renders the
// Templates again, writing those whose files change. Every template is
// rendered and every file prepared before any is replaced: a template
// that does not render, or a file that cannot be written, leaves every
// file as it was. It returns the new environment, for a restart, and the
// templates' files it wrote.
func (p *Plan) Rewrite(environ []string, vars []Var) ([]string, []string, error) {
	pending, err := p.renderTemplates(environ, vars)
	if err != nil {
		return nil, nil, err
	}
	defer pending.Abort()
	env, err := Rewrite(environ, vars, p.FilesDir, p.Drop)
	if err != nil {
		return nil, nil, err
	}
	written, err := pending.Commit()
	if err != nil {
		return nil, written, err
	}
	return env, written, nil
}

// Run replaces the process with the program, given the environment Build
// builds, unless ctx has ended: a signal that came after the values did
// but before the exec was valuefrom's to take, and stops the start. It
// returns only on failure, and then the files it wrote are removed: they
// were for a program that did not start.
func (p *Plan) Run(ctx context.Context) error {
	env, files, err := p.Build()
	if err != nil {
		return err
	}
	err = ctx.Err()
	if err == nil {
		err = p.exec(env)
	}
	if err != nil {
		if rmErr := files.Remove(); rmErr != nil {
			err = errors.Join(err, fmt.Errorf("could not remove the secret files: %w", rmErr))
		}
	}
	return err
}

// Program returns the program's path: as NewPlan found it, else as found
// now in env's PATH, once. A PATH found only now came from a reference:
// an error names the program as it was given, never the PATH's value.
func (p *Plan) Program(env []string) (string, error) {
	if p.Path == "" {
		path, err := LookPath(p.Args[0], envlist.Get(env, "PATH"))
		if err != nil {
			kind := ErrNotFound
			if errors.Is(err, ErrNotExecutable) {
				kind = ErrNotExecutable
			}
			return "", &Error{Name: p.Args[0], Err: fmt.Errorf("%w in PATH, whose value came from a reference (not shown)", kind)}
		}
		p.Path, p.secretPath = path, true
	}
	return p.Path, nil
}

// Name is the program as messages and logs name it: its path, or as
// given when the path was found in a PATH that came from a reference.
func (p *Plan) Name() string {
	if p.secretPath {
		return p.Args[0]
	}
	return p.Path
}

// exec replaces the process with the program.
func (p *Plan) exec(env []string) error {
	path, err := p.Program(env)
	if err != nil {
		return err
	}
	if p.Exec != nil {
		err = p.Exec(path, p.Args, env)
	} else {
		err = execve(path, p.Args, env)
	}
	if e := (*Error)(nil); errors.As(err, &e) {
		e.Name = p.Name()
	}
	return err
}

// execve is syscall.Exec, its failure an *Error (see startError).
func execve(path string, args, env []string) error {
	return startError(path, syscall.Exec(path, args, env))
}

// startError is the *Error of the program at path that the kernel would
// not start, err saying why: execve's, or os.StartProcess's for a
// supervised program, so that both modes say it alike, with one exit
// code: the path once, as Name, not again in os.StartProcess's
// *fs.PathError. A file that is missing (ENOENT: the program, or a
// script's interpreter) is ErrNotFound, 127; any other failure
// ErrNotExecutable, 126.
func startError(path string, err error) *Error {
	if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
		err = pe.Err
	}
	switch {
	case errors.Is(err, syscall.ENOENT):
		return &Error{Name: path, Err: fmt.Errorf("%w: %w (a script's interpreter may be missing)", ErrNotFound, err)}
	case errors.Is(err, syscall.E2BIG):
		return &Error{Name: path, Err: fmt.Errorf("%w: %w: the environment is too large; put large values in files with the _FILE suffix", ErrNotExecutable, err)}
	}
	return &Error{Name: path, Err: fmt.Errorf("%w: %w", ErrNotExecutable, err)}
}

// Renders reports whether a file the Templates render holds the value of
// the variable name.
func (p *Plan) Renders(name string) bool {
	return p.Templates != nil && p.Templates.Uses(name)
}

// renderTemplates renders the Templates from environ and vars, writing
// nothing yet.
func (p *Plan) renderTemplates(environ []string, vars []Var) (Pending, error) {
	if p.Templates == nil {
		return noPending{}, nil
	}
	pending, err := p.Templates.Render(environ, vars)
	if err != nil {
		return nil, err
	}
	if pending == nil {
		return noPending{}, nil
	}
	return pending, nil
}

// A Renderer renders files from the values a program is given, such as
// configuration files from templates (pipeline's, of package template).
type Renderer interface {
	// Render renders every file from vars, the values, and environ, the
	// environment they go over, and prepares those that change without
	// writing any: Pending puts them in place. It is all or nothing.
	Render(environ []string, vars []Var) (Pending, error)
	// Uses reports whether a file it renders holds the variable name's
	// value.
	Uses(name string) bool
}

// A Pending is what a Renderer prepared.
type Pending interface {
	// Commit puts the files in place and returns their paths; on a
	// failure, those it wrote before it.
	Commit() ([]string, error)
	// Abort drops what Commit did not take.
	Abort()
}

// noPending is a Pending with nothing to write.
type noPending struct{}

func (noPending) Commit() ([]string, error) { return nil, nil }
func (noPending) Abort()                    {}

package exec

import (
	"context"
	"errors"
	"fmt"
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

	// Exec replaces the process with the program; nil is syscall.Exec.
	// Tests set it to see what would be run.
	Exec func(path string, args, env []string) error

	checked map[string]bool // the names NewPlan checked
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
// function Build), the variables Drop names left out. It returns the files
// it wrote, for the caller to remove if the program does not start.
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
	return build(p.Environ, p.Vars, p.FilesDir, p.Drop)
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
// now in env's PATH, once.
func (p *Plan) Program(env []string) (string, error) {
	if p.Path == "" {
		path, err := LookPath(p.Args[0], envlist.Get(env, "PATH"))
		if err != nil {
			return "", err
		}
		p.Path = path
	}
	return p.Path, nil
}

// exec replaces the process with the program.
func (p *Plan) exec(env []string) error {
	path, err := p.Program(env)
	if err != nil {
		return err
	}
	if p.Exec != nil {
		return p.Exec(path, p.Args, env)
	}
	return execve(path, p.Args, env)
}

// execve is syscall.Exec, its failure an *Error (see startError).
func execve(path string, args, env []string) error {
	return startError(path, syscall.Exec(path, args, env))
}

// startError is the *Error of the program at path that the kernel would
// not start, err saying why: execve's, or os.StartProcess's for a
// supervised program, so that both modes say it alike, with one exit
// code. A file that is missing (ENOENT: the program, or a script's
// interpreter) is ErrNotFound, 127; any other failure ErrNotExecutable,
// 126.
func startError(path string, err error) *Error {
	switch {
	case errors.Is(err, syscall.ENOENT):
		return &Error{Name: path, Err: fmt.Errorf("%w: %w (a script's interpreter may be missing)", ErrNotFound, err)}
	case errors.Is(err, syscall.E2BIG):
		return &Error{Name: path, Err: fmt.Errorf("%w: %w: the environment is too large; put large values in files with the _FILE suffix", ErrNotExecutable, err)}
	}
	return &Error{Name: path, Err: fmt.Errorf("%w: %w", ErrNotExecutable, err)}
}

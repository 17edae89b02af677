package exec_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/valuefrom/valuefrom/exec"
)

// TestNewPlanFindsTheProgram: the program is found before any value, in
// the environment's PATH, unless that PATH is itself a reference.
func TestNewPlanFindsTheProgram(t *testing.T) {
	dir := t.TempDir()
	prog := filepath.Join(dir, "prog")
	writeFile(t, prog, "#!/bin/sh\n", 0o755)

	p, err := exec.NewPlan([]string{"prog", "x"}, []string{"PATH=" + dir}, nil)
	if err != nil || p.Path != prog {
		t.Fatalf("NewPlan = %+v, %v; want the program at %s", p, err, prog)
	}
	if _, err := exec.NewPlan([]string{"nope"}, []string{"PATH=" + dir}, nil); !errors.Is(err, exec.ErrNotFound) {
		t.Errorf("NewPlan of a missing program = %v, want ErrNotFound", err)
	}
	if _, err := exec.NewPlan([]string{}, nil, nil); !errors.Is(err, exec.ErrNotFound) {
		t.Errorf("NewPlan of no program = %v, want ErrNotFound", err)
	}
	p, err = exec.NewPlan([]string{"prog"}, []string{"PATH=ssm:/path"}, nil)
	if err != nil || p.Path != "" {
		t.Fatalf("NewPlan with PATH a reference = %+v, %v; want the program left to find", p, err)
	}
	// Found once the PATH is known, and then kept.
	if got, err := p.Program([]string{"PATH=" + dir}); err != nil || got != prog {
		t.Errorf("Program = %q, %v; want %s", got, err, prog)
	}
	if got, _ := p.Program(nil); got != prog {
		t.Errorf("Program a second time = %q, want the path found the first time", got)
	}
}

// TestPlanHidesAResolvedPath: a PATH that came from a reference is a
// resolved value: no error about the program found in it, or not, shows
// it, and the program is named as it was given (issue 19's canary rule).
func TestPlanHidesAResolvedPath(t *testing.T) {
	canary := filepath.Join(t.TempDir(), "canary-path-5e1a")
	if err := os.Mkdir(canary, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(canary, "noexec"), "#!/bin/sh\n", 0o644)
	writeFile(t, filepath.Join(canary, "prog"), "#!/no/such/interpreter\n", 0o755)
	resolved := []string{"PATH=" + canary}
	tests := []struct {
		prog string
		want error
	}{
		{"missing", exec.ErrNotFound},
		{"noexec", exec.ErrNotExecutable},
		{"prog", exec.ErrNotFound}, // found; its interpreter is missing, as execve says
	}
	for _, tt := range tests {
		p, err := exec.NewPlan([]string{tt.prog}, []string{"PATH=ssm:/path"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		p.Environ, p.Vars = resolved, nil
		err = p.Run(context.Background())
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: Run = %v, want %v", tt.prog, err, tt.want)
		}
		if err != nil && (strings.Contains(err.Error(), "canary") || !strings.HasPrefix(err.Error(), tt.prog+": ")) {
			t.Errorf("%s: Run's error shows the resolved PATH, or does not start with the program as given", tt.prog)
		}
		if tt.prog == "prog" && p.Name() != "prog" {
			t.Errorf("Name = a path, want the program as given")
		}
	}
}

// TestPlanChecksEachNameOnce: NewPlan refuses a bad name before any
// value; Build checks the names that came only with the values, and
// against those NewPlan saw.
func TestPlanChecksEachNameOnce(t *testing.T) {
	var fe *exec.FileError
	if _, err := exec.NewPlan(nil, nil, []string{"A", "../up_FILE"}); !errors.As(err, &fe) || fe.Var != "../up_FILE" {
		t.Fatalf("NewPlan = %v, want a FileError naming ../up_FILE", err)
	}
	p, err := exec.NewPlan(nil, nil, []string{"KEY_FILE", "PLAIN"})
	if err != nil {
		t.Fatal(err)
	}
	p.FilesDir = t.TempDir()
	p.Vars = []exec.Var{{Name: "KEY_FILE", Value: []byte(canary)}, {Name: "key_FILE", Value: []byte("from a path")}}
	_, _, err = p.Build()
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "KEY_FILE") || strings.Contains(err.Error(), canary) {
		t.Fatalf("Build = %v, want the new name refused for colliding with KEY_FILE, and no value", err)
	}
	if entries, _ := os.ReadDir(p.FilesDir); len(entries) != 0 {
		t.Errorf("files were written before the names were checked: %v", entries)
	}
}

// TestPlanRunRemovesFiles: when the program does not start, or a signal
// came before it could, the files written for it are gone.
func TestPlanRunRemovesFiles(t *testing.T) {
	execErr := &exec.Error{Name: "prog", Err: exec.ErrNotExecutable}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tt := range []struct {
		name    string
		ctx     context.Context
		exec    error
		want    error
		started bool
	}{
		{"exec fails", context.Background(), execErr, execErr, true},
		{"signal before the exec", canceled, nil, context.Canceled, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "files")
			started := false
			var path string
			p := &exec.Plan{Args: []string{"prog"}, Path: "/bin/prog", FilesDir: dir,
				Environ: []string{"KEY_FILE=ssm:/key"}, Vars: []exec.Var{{Name: "KEY_FILE", Value: []byte(canary)}},
				Exec: func(_ string, _, env []string) error {
					started, path = true, strings.TrimPrefix(env[0], "KEY_FILE=")
					if got, err := os.ReadFile(path); err != nil || string(got) != canary {
						t.Errorf("the program's file cannot be read, or holds another value: %v", err)
					}
					return tt.exec
				}}
			if err := p.Run(tt.ctx); !errors.Is(err, tt.want) {
				t.Errorf("Run = %v, want %v", err, tt.want)
			}
			if started != tt.started {
				t.Errorf("exec called: %v, want %v", started, tt.started)
			}
			if _, err := os.Stat(filepath.Join(dir, "KEY")); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the file is still there after the failed start: %v", err)
			}
		})
	}
}

// TestPlanFilesBase: with no files directory given, the new private
// directory is made under FilesBase, as a start on Lambda asks for /tmp.
func TestPlanFilesBase(t *testing.T) {
	base := t.TempDir()
	var path string
	p := &exec.Plan{Args: []string{"prog"}, Path: "/bin/prog", FilesBase: base,
		Environ: []string{"KEY_FILE=ssm:/key"}, Vars: []exec.Var{{Name: "KEY_FILE", Value: []byte(canary)}},
		Exec: func(_ string, _, env []string) error {
			path = strings.TrimPrefix(env[0], "KEY_FILE=")
			return nil
		}}
	if err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(path)
	if filepath.Dir(dir) != base || !strings.HasPrefix(filepath.Base(dir), "valuefrom-") {
		t.Errorf("the file is in %s, want a new directory valuefrom-* under %s", dir, base)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("the directory: %v, %v; want mode 0700", fi, err)
	}
}

// fileRenderer is a Renderer that renders one file, DEST, holding the
// value of VAR, and fails to render when the value is "fail".
type fileRenderer struct {
	dest, name string
}

func (r *fileRenderer) Render(_ []string, vars []exec.Var) (exec.Pending, error) {
	for _, v := range vars {
		if v.Name == r.name && string(v.Value) == "fail" {
			return nil, errors.New(r.name + ": does not render")
		}
		if v.Name == r.name {
			return &filePending{path: r.dest, data: v.Value}, nil
		}
	}
	return nil, nil // nothing to write
}

func (r *fileRenderer) Uses(name string) bool { return name == r.name }

type filePending struct {
	path string
	data []byte
}

func (p *filePending) Commit() ([]string, error) {
	return []string{p.path}, os.WriteFile(p.path, p.data, 0o400)
}
func (p *filePending) Abort() {}

// TestPlanTemplates: Build renders the templates before writing any file,
// so that a template that does not render leaves nothing; Run's clean-up
// removes the templates' files with the _FILE files; Rewrite renders
// again, and a failure leaves every file as it was.
func TestPlanTemplates(t *testing.T) {
	dir := t.TempDir()
	filesDir, dest := filepath.Join(dir, "files"), filepath.Join(dir, "app.conf")
	r := &fileRenderer{dest: dest, name: "PW"}
	plan := func(pw string, run func() error) *exec.Plan {
		return &exec.Plan{Args: []string{"prog"}, Path: "/bin/prog", FilesDir: filesDir, Templates: r,
			Environ: []string{"PW=ssm:/pw", "KEY_FILE=ssm:/key"},
			Vars:    []exec.Var{{Name: "PW", Value: []byte(pw)}, {Name: "KEY_FILE", Value: []byte(canary)}},
			Exec: func(string, []string, []string) error {
				if got, err := os.ReadFile(dest); err != nil || string(got) != pw {
					t.Errorf("the template's file is not there when the program starts: %v", err)
				}
				return run()
			}}
	}
	if !plan("x", nil).Renders("PW") || plan("x", nil).Renders("KEY_FILE") || new(exec.Plan).Renders("PW") {
		t.Error("Renders does not say which variables the templates hold")
	}

	// A template that does not render: no file at all, and no start.
	if _, _, err := plan("fail", nil).Build(); err == nil || !strings.Contains(err.Error(), "PW: does not render") {
		t.Fatalf("Build = %v, want the template's error", err)
	}
	if entries, _ := os.ReadDir(filesDir); len(entries) != 0 {
		t.Errorf("a _FILE file was written though a template failed: %v", entries)
	}

	// The program does not start: the template's file goes too.
	execErr := &exec.Error{Name: "prog", Err: exec.ErrNotExecutable}
	if err := plan(canary+"1", func() error { return execErr }).Run(context.Background()); !errors.Is(err, execErr) {
		t.Fatalf("Run = %v, want %v", err, execErr)
	}
	for _, p := range []string{dest, filepath.Join(filesDir, "KEY")} {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s is still there after the failed start: %v", p, err)
		}
	}

	// It starts; then Rewrite renders again, or leaves it all as it was.
	p := plan(canary+"1", func() error { return nil })
	if err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	env, written, err := p.Rewrite(p.Environ, []exec.Var{{Name: "PW", Value: []byte(canary + "2")}, {Name: "KEY_FILE", Value: []byte(canary + "2")}})
	if err != nil || !slices.Equal(written, []string{dest}) || !slices.Contains(env, "PW="+canary+"2") {
		t.Fatalf("Rewrite wrote %q, %v; want the template's file, and PW's new value in the environment", written, err)
	}
	if got, _ := os.ReadFile(dest); string(got) != canary+"2" {
		t.Error("Rewrite did not write the template's new rendering")
	}
	if _, _, err := p.Rewrite(p.Environ, []exec.Var{{Name: "PW", Value: []byte("fail")}, {Name: "KEY_FILE", Value: []byte(canary + "3")}}); err == nil {
		t.Fatal("Rewrite with a template that does not render succeeded")
	}
	if got, _ := os.ReadFile(filepath.Join(filesDir, "KEY")); string(got) != canary+"2" {
		t.Error("a failed Rewrite changed a _FILE file")
	}
}

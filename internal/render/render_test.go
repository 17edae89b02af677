package render_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/valuefrom/valuefrom/internal/envfmt"
	"github.com/valuefrom/valuefrom/internal/render"
)

var vars = []envfmt.Var{{Name: "A", Value: "one"}, {Name: "B", Value: "two\nlines"}}

func noGroup(format string) render.Options { return render.Options{Format: format, Group: -1} }

// listDir returns the names in dir, sorted; none if dir cannot be read.
func listDir(dir string) []string {
	names, _ := fs.Glob(os.DirFS(dir), "*")
	return names
}

func assertFile(t *testing.T, path, want string, perm os.FileMode, gid int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != want {
		t.Errorf("%s holds %q, want %q", path, data, want)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != perm {
		t.Errorf("%s: mode %v, want %v", path, fi.Mode().Perm(), perm)
	}
	if got := int(fi.Sys().(*syscall.Stat_t).Gid); gid >= 0 && got != gid {
		t.Errorf("%s: group %d, want %d", path, got, gid)
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "app.env")
	if err := render.Write(out, vars, noGroup("dotenv")); err != nil {
		t.Fatal(err)
	}
	assertFile(t, out, "A=\"one\"\nB=\"two\\nlines\"\n", 0o400, -1)

	// Again, over the read-only file, with a group: 0440.
	gid := os.Getgid()
	if err := render.Write(out, vars[:1], render.Options{Format: "json", Group: gid}); err != nil {
		t.Fatal(err)
	}
	assertFile(t, out, "{\n  \"A\": \"one\"\n}\n", 0o440, gid)
	if got := listDir(dir); !slices.Equal(got, []string{"app.env"}) {
		t.Errorf("directory holds %v, want only app.env", got)
	}
}

func TestWriteFileFailureChangesNothing(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "app.env")
	os.WriteFile(out, []byte("previous"), 0o400)
	tests := []struct {
		name string
		out  string
		vars []envfmt.Var
		opts render.Options
		want string
	}{
		{"value the format cannot carry", out, []envfmt.Var{{Name: "A", Value: "ok"}, {Name: "BIN", Value: "\xff\xfe"}}, noGroup("json"), "BIN: cannot be written as json"},
		{"name the format cannot carry", out, []envfmt.Var{{Name: "A.B", Value: "x"}}, noGroup("dotenv"), "A.B: cannot be written as dotenv"},
		{"missing parent", filepath.Join(dir, "nope", "app.env"), vars, noGroup("dotenv"), "no such file or directory"},
		{"a directory", dir, vars, noGroup("dotenv"), "is a directory"},
		{"unknown format", out, vars, noGroup("yaml"), `unknown format "yaml"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := render.Write(tt.out, tt.vars, tt.opts)
			var re *render.Error
			if !errors.As(err, &re) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want a *render.Error containing %q", err, tt.want)
			}
			assertFile(t, out, "previous", 0o400, -1)
			if got := listDir(dir); !slices.Equal(got, []string{"app.env"}) {
				t.Errorf("directory holds %v, want only app.env", got)
			}
		})
	}
}

func TestWriteFiles(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "secrets")
	bin := envfmt.Var{Name: "BIN", Value: "\x00\xff"}
	if err := render.Write(dir, append(slices.Clone(vars), bin), noGroup("files")); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("new directory mode %v, want 0700", fi.Mode().Perm())
	}
	assertFile(t, filepath.Join(dir, "A"), "one", 0o400, -1)
	assertFile(t, filepath.Join(dir, "B"), "two\nlines", 0o400, -1)
	assertFile(t, filepath.Join(dir, "BIN"), "\x00\xff", 0o400, -1)
	assertFile(t, filepath.Join(dir, render.Manifest), "A\nB\nBIN\n", 0o400, -1)
	if got := listDir(parent); !slices.Equal(got, []string{"secrets"}) {
		t.Errorf("parent holds %v, want only secrets", got)
	}

	// A re-run: B is gone from the set, A changes, C is new; a file that
	// render did not write stays.
	os.WriteFile(filepath.Join(dir, "OTHER"), []byte("not ours"), 0o600)
	gid := os.Getgid()
	next := []envfmt.Var{{Name: "A", Value: "uno"}, {Name: "C", Value: "tres"}}
	if err := render.Write(dir, next, render.Options{Format: "files", Group: gid}); err != nil {
		t.Fatal(err)
	}
	if got, want := listDir(dir), []string{render.Manifest, "A", "C", "OTHER"}; !slices.Equal(got, want) {
		t.Errorf("after the re-run the directory holds %v, want %v", got, want)
	}
	assertFile(t, filepath.Join(dir, "A"), "uno", 0o440, gid)
	assertFile(t, filepath.Join(dir, "C"), "tres", 0o440, gid)
	assertFile(t, filepath.Join(dir, render.Manifest), "A\nC\n", 0o440, gid)
}

func TestWriteFilesFailureChangesNothing(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "secrets")
	if err := render.Write(dir, vars, noGroup("files")); err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(dir, "C"), 0o700) // where C's file would go
	before := listDir(dir)
	tests := []struct {
		name string
		out  string
		vars []envfmt.Var
		want string
	}{
		{"a directory in the way", dir, []envfmt.Var{{Name: "A", Value: "changed"}, {Name: "C", Value: "x"}}, "is a directory, where C's file would go"},
		{"a name that is no file name", dir, []envfmt.Var{{Name: "A", Value: "changed"}, {Name: "../x", Value: "x"}}, "../x: cannot be written as files"},
		{"hidden name", dir, []envfmt.Var{{Name: ".valuefrom-files", Value: "x"}}, "not a shell identifier"},
		{"a file in the way", filepath.Join(dir, "A"), vars, "is not a directory"},
		{"missing parent", filepath.Join(parent, "no", "secrets"), vars, "no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := render.Write(tt.out, tt.vars, noGroup("files"))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
			if got := listDir(dir); !slices.Equal(got, before) {
				t.Errorf("directory holds %v, want %v as before", got, before)
			}
			assertFile(t, filepath.Join(dir, "A"), "one", 0o400, -1)
			if got := listDir(parent); !slices.Equal(got, []string{"secrets"}) {
				t.Errorf("parent holds %v, want only secrets", got)
			}
		})
	}
}

// TestWriteRefusesNamesNotUTF8: a json render of a name that is not UTF-8
// fails and writes nothing, rather than writing U+FFFD (issue 12, item 10).
func TestWriteRefusesNamesNotUTF8(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "app.json")
	vars := []envfmt.Var{{Name: "K\xfe", Value: "one"}, {Name: "K\xff", Value: "two"}}
	err := render.Write(out, vars, noGroup("json"))
	var re *render.Error
	var ve *envfmt.VarError
	if !errors.As(err, &re) || !errors.As(err, &ve) || !strings.Contains(ve.Reason, "not UTF-8") {
		t.Fatalf("Write error = %v, want a *render.Error for a name that is not UTF-8", err)
	}
	if got := listDir(dir); len(got) != 0 {
		t.Errorf("directory holds %v, want nothing", got)
	}
}

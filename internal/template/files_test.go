package template_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/settings"
	"github.com/valuefrom/valuefrom/internal/template"
)

const canary = "canary-6d1f0b"

func writeTemplate(t *testing.T, dir, name, src string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestLoadFile: a template is read and parsed, and its DEST checked,
// before any value is known; each failure says which, with its exit code.
func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	good := writeTemplate(t, dir, "good.tmpl", "a: {{ A | yaml }}\n")
	bad := writeTemplate(t, dir, "bad.tmpl", "a: {{ A | yaml }}\nb: {{ B | jsno }}\n")
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(good, filepath.Join(dir, "same")); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name     string
		target   settings.Target
		want     string // in the error; "" for none
		code     int
		wantLoad bool // a *LoadError, else a *template.Error
	}{
		{"good", settings.Target{Src: good, Dest: filepath.Join(dir, "out")}, "", 0, false},
		{"DEST may exist", settings.Target{Src: good, Dest: bad}, "", 0, false},
		{"missing", settings.Target{Src: filepath.Join(dir, "none.tmpl"), Dest: filepath.Join(dir, "out")}, "no such file or directory", exitcode.Usage, true},
		{"does not parse", settings.Target{Src: bad, Dest: filepath.Join(dir, "out")}, bad + `:2:11: unknown filter "jsno"`, exitcode.Usage, false},
		{"no directory", settings.Target{Src: good, Dest: filepath.Join(dir, "no", "out")}, "the directory " + filepath.Join(dir, "no") + " does not exist", exitcode.Usage, true},
		{"a directory", settings.Target{Src: good, Dest: filepath.Join(dir, "sub")}, "is a directory", exitcode.Usage, true},
		{"the template itself", settings.Target{Src: good, Dest: filepath.Join(dir, "same")}, "is the template itself", exitcode.Usage, true},
		{"a directory as SRC", settings.Target{Src: filepath.Join(dir, "sub"), Dest: filepath.Join(dir, "out")}, "is a directory", exitcode.Usage, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, err := template.LoadFile(context.Background(), tt.target)
			if tt.want == "" {
				if err != nil || f.Src != tt.target.Src || f.Dest != tt.target.Dest || !slices.Equal(f.Names(), []string{"A"}) {
					t.Fatalf("LoadFile = %+v, %v", f, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("LoadFile error = %v, want %q", err, tt.want)
			}
			if got := exitcode.Of(err); got != tt.code {
				t.Errorf("exit code %d, want %d", got, tt.code)
			}
			if got := errors.As(err, new(*template.LoadError)); got != tt.wantLoad {
				t.Errorf("a *LoadError: %v, want %v", got, tt.wantLoad)
			}
		})
	}
}

// TestLoadReportsEveryTemplate: Load names every template that cannot be
// used, one problem each.
func TestLoadReportsEveryTemplate(t *testing.T) {
	dir := t.TempDir()
	good := writeTemplate(t, dir, "good.tmpl", "{{ A }}")
	bad := writeTemplate(t, dir, "bad.tmpl", "{{ A")
	_, err := template.Load(context.Background(), []settings.Target{
		{Src: bad, Dest: filepath.Join(dir, "1")},
		{Src: good, Dest: filepath.Join(dir, "2")},
		{Src: filepath.Join(dir, "none"), Dest: filepath.Join(dir, "3")},
	})
	problems := template.Problems(err)
	if len(problems) != 2 || !strings.Contains(problems[0].Error(), "bad.tmpl:1:1: unterminated action") || !strings.Contains(problems[1].Error(), "none") {
		t.Fatalf("Load problems = %q, want the two templates that fail", problems)
	}
	files, err := template.Load(context.Background(), []settings.Target{{Src: good, Dest: filepath.Join(dir, "2")}})
	if err != nil || len(files) != 1 {
		t.Fatalf("Load = %v, %v", files, err)
	}
	if template.Problems(nil) != nil {
		t.Error("Problems(nil) is not empty")
	}
}

// TestLookup: a template reads the resolved values; the plain environment
// only when asked; never a setting.
func TestLookup(t *testing.T) {
	values := map[string][]byte{"DB": []byte("resolved"), "VALUEFROM_X": []byte("x")}
	environ := []string{"DB=secretsmanager:db", "HOME=/root", "VALUEFROM_TIMEOUT=5s"}
	drop := func(name string) bool { return strings.HasPrefix(name, "VALUEFROM_") }
	for _, tt := range []struct {
		plain bool
		name  string
		want  string
		ok    bool
	}{
		{false, "DB", "resolved", true},
		{true, "DB", "resolved", true}, // the value, not the reference beneath it
		{false, "HOME", "", false},
		{true, "HOME", "/root", true},
		{true, "VALUEFROM_TIMEOUT", "", false},
		{true, "VALUEFROM_X", "", false},
		{true, "NONE", "", false},
	} {
		v, ok := template.Lookup(values, environ, tt.plain, drop)(tt.name)
		if string(v) != tt.want || ok != tt.ok {
			t.Errorf("plain %v: Lookup(%s) = %q, %v; want %q, %v", tt.plain, tt.name, v, ok, tt.want, tt.ok)
		}
	}
}

func loadFiles(t *testing.T, gid int, targets ...settings.Target) *template.Files {
	t.Helper()
	files, err := template.Load(context.Background(), targets)
	if err != nil {
		t.Fatal(err)
	}
	return template.NewFiles(files, gid)
}

func commit(t *testing.T, fs *template.Files, values map[string]string) []string {
	t.Helper()
	p, err := fs.Prepare(lookup(values))
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	written, err := p.Commit()
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	return written
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestFilesWriteWhatChanged: every file is written the first time, private
// and whole; after that, only those whose rendering changed.
func TestFilesWriteWhatChanged(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.txt")
	fs := loadFiles(t, -1,
		settings.Target{Src: writeTemplate(t, dir, "a.tmpl", `{"pw": {{ PW | json }}}`), Dest: a},
		settings.Target{Src: writeTemplate(t, dir, "b.tmpl", "{{ USER }}\n"), Dest: b})
	if !fs.Uses("PW") || !fs.Uses("USER") || fs.Uses("OTHER") {
		t.Error("Uses does not name the templates' variables")
	}
	if written := commit(t, fs, map[string]string{"PW": canary + `"1`, "USER": "app"}); !slices.Equal(written, []string{a, b}) {
		t.Errorf("first write wrote %q, want both", written)
	}
	if readFile(t, a) != `{"pw": "`+canary+`\"1"}` || readFile(t, b) != "app\n" {
		t.Error("the files do not hold the rendered templates")
	}
	for _, p := range []string{a, b} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o400 {
			t.Errorf("%s: mode %v, %v; want 0400", p, fi.Mode().Perm(), err)
		}
	}
	if written := commit(t, fs, map[string]string{"PW": canary + `"1`, "USER": "app"}); len(written) != 0 {
		t.Errorf("the same values wrote %q, want nothing", written)
	}
	if written := commit(t, fs, map[string]string{"PW": canary + "2", "USER": "app"}); !slices.Equal(written, []string{a}) {
		t.Errorf("a change of PW wrote %q, want %s alone", written, a)
	}
	if readFile(t, a) != `{"pw": "`+canary+`2"}` {
		t.Error("a.json does not hold the new value")
	}
	var nilFiles *template.Files
	if p, err := nilFiles.Prepare(lookup(nil)); p != nil || err != nil || nilFiles.Uses("PW") {
		t.Error("nil Files are not empty")
	}
}

// TestFilesAllOrNothing: a template that does not render, or a file that
// cannot be prepared, leaves every file as it was, and no temporary file;
// the errors name every failing action and no value.
func TestFilesAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	fs := loadFiles(t, -1,
		settings.Target{Src: writeTemplate(t, dir, "a.tmpl", "{{ A }}"), Dest: a},
		settings.Target{Src: writeTemplate(t, dir, "b.tmpl", "{{ B | xml }} {{ C.key }}"), Dest: b})
	commit(t, fs, map[string]string{"A": canary + "1", "B": "b", "C": `{"key":"c"}`})
	before, _ := os.ReadDir(dir)

	p, err := fs.Prepare(lookup(map[string]string{"A": canary + "2", "B": canary + "\x01", "C": `{"other":"` + canary + `"}`}))
	if p != nil || err == nil {
		t.Fatalf("Prepare = %v, %v; want an error", p, err)
	}
	problems := template.Problems(err)
	var te *template.Error
	if len(problems) != 2 || !errors.As(problems[0], &te) || te.Code != template.CodeUnencodable || te.Var != "B" ||
		!errors.As(problems[1], &te) || te.Code != "JSONKeyNotFound" || te.Var != "C" {
		t.Errorf("Prepare errors = %v, want B's filter and C's key", err)
	}
	if exitcode.Of(err) != exitcode.Output {
		t.Errorf("exit code %d, want %d", exitcode.Of(err), exitcode.Output)
	}
	if strings.Contains(err.Error(), canary) {
		t.Error("a value is in the error")
	}
	if readFile(t, a) != canary+"1" {
		t.Error("a was rewritten though b failed")
	}
	after, _ := os.ReadDir(dir)
	if len(after) != len(before) {
		t.Errorf("the directory went from %d entries to %d", len(before), len(after))
	}

	// A DEST that cannot be written: a directory in its place.
	if err := os.Remove(b); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(b, 0o700); err != nil {
		t.Fatal(err)
	}
	p, err = fs.Prepare(lookup(map[string]string{"A": canary + "3", "B": "b2", "C": `{"key":"c"}`}))
	if err == nil {
		_, err = p.Commit()
	}
	var we *template.WriteError
	if !errors.As(err, &we) || we.Target.Dest != b || exitcode.Of(err) != exitcode.Output {
		t.Errorf("writing over a directory = %v, want a WriteError for %s", err, b)
	}
}

// TestFilesGroup: with a group, the files are mode 0440 and the group's.
func TestFilesGroup(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a")
	fs := loadFiles(t, os.Getgid(), settings.Target{Src: writeTemplate(t, dir, "a.tmpl", "{{ A }}"), Dest: a})
	commit(t, fs, map[string]string{"A": "x"})
	if fi, err := os.Stat(a); err != nil || fi.Mode().Perm() != 0o440 {
		t.Errorf("mode %v, %v; want 0440", fi.Mode().Perm(), err)
	}
}

// TestPendingAbort: what Abort drops leaves the DEST as it was, and a
// later Prepare writes it again.
func TestPendingAbort(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a")
	fs := loadFiles(t, -1, settings.Target{Src: writeTemplate(t, dir, "a.tmpl", "{{ A }}"), Dest: a})
	p, err := fs.Prepare(lookup(map[string]string{"A": "1"}))
	if err != nil {
		t.Fatal(err)
	}
	p.Abort()
	if _, err := os.Stat(a); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after Abort the file exists: %v", err)
	}
	if written := commit(t, fs, map[string]string{"A": "1"}); len(written) != 1 {
		t.Errorf("after an Abort, wrote %q; want the file", written)
	}
	var nilPending *template.Pending
	nilPending.Abort()
	if written, err := nilPending.Commit(); written != nil || err != nil {
		t.Error("a nil Pending committed something")
	}
}

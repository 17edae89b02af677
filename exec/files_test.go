package exec_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/valuefrom/valuefrom/exec"
	"github.com/valuefrom/valuefrom/internal/envlist"
	"github.com/valuefrom/valuefrom/internal/testkit/testfs"
)

// canary is a secret value that must never appear in an error.
const canary = "canary-7f3a9"

func TestEnvironmentFiles(t *testing.T) {
	root := t.TempDir()
	t.Chdir(root)
	const filesDir = "secrets" // relative: the variable must still hold an absolute path
	cert := []byte("-----BEGIN-----\x00\x01\xff\nbinary\r\n\x00")
	environ := []string{
		"PATH=/bin",
		"TLS_CERT_FILE=sm://cert",
		"VALUEFROM_FILES_DIR=secrets",
		"DB_PASSWORD=ssm:/db",
		"EMPTY_FILE=ssm:/empty",
	}
	values := []exec.Var{
		{Name: "TLS_CERT_FILE", Value: cert},
		{Name: "DB_PASSWORD", Value: []byte("plain-value")},
		{Name: "EMPTY_FILE", Value: []byte{}},
	}
	got, err := exec.Environment(environ, values, filesDir, dropSettings)
	if err != nil {
		t.Fatalf("Environment: %v", err)
	}

	dir := filepath.Join(root, filesDir)
	certPath := filepath.Join(dir, "TLS_CERT")
	emptyPath := filepath.Join(dir, "EMPTY")
	want := []string{
		"PATH=/bin",
		"TLS_CERT_FILE=" + certPath,
		"DB_PASSWORD=plain-value",
		"EMPTY_FILE=" + emptyPath,
	}
	if !slices.Equal(got, want) {
		t.Errorf("Environment = %q, want %q", got, want)
	}

	files := []struct {
		name string
		path string
		want []byte
	}{
		{"binary with NUL bytes", certPath, cert},
		{"empty", emptyPath, []byte{}},
	}
	for _, f := range files {
		t.Run(f.name, func(t *testing.T) {
			if !filepath.IsAbs(f.path) {
				t.Errorf("path %q is not absolute", f.path)
			}
			content, err := os.ReadFile(f.path)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(content, f.want) {
				t.Errorf("content = %q, want %q", content, f.want)
			}
			fi, err := os.Stat(f.path)
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode(); got != 0o400 {
				t.Errorf("mode = %v, want %v", got, os.FileMode(0o400))
			}
		})
	}
	names, _ := filepath.Glob(filepath.Join(dir, "*")) // none if dir cannot be read
	if wantNames := []string{filepath.Join(dir, "EMPTY"), filepath.Join(dir, "TLS_CERT")}; !slices.Equal(names, wantNames) {
		t.Errorf("files in %s = %q, want %q", dir, names, wantNames)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o700 {
		t.Errorf("created files dir mode = %v, want %v", got, os.FileMode(0o700))
	}
}

func TestEnvironmentRewrite(t *testing.T) {
	// A restarted container writes the same files again over read-only ones.
	dir := t.TempDir()
	for _, v := range []string{"first", "second"} {
		got, err := exec.Environment([]string{"K_FILE=ref"}, []exec.Var{{Name: "K_FILE", Value: []byte(v)}}, dir, nil)
		if err != nil {
			t.Fatalf("Environment with %q: %v", v, err)
		}
		path := filepath.Join(dir, "K")
		if want := []string{"K_FILE=" + path}; !slices.Equal(got, want) {
			t.Errorf("Environment = %q, want %q", got, want)
		}
		content, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(content) != v {
			t.Errorf("content = %q, want %q", content, v)
		}
	}
}

func TestEnvironmentTempDir(t *testing.T) {
	environ := []string{"A_FILE=ref", "B_FILE=ref"}
	values := []exec.Var{
		{Name: "A_FILE", Value: []byte("a")},
		{Name: "B_FILE", Value: []byte("b")},
	}
	got, err := exec.Environment(environ, values, "", nil)
	if err != nil {
		t.Fatalf("Environment: %v", err)
	}
	if len(got) != 2 {
		t.Fatalf("Environment = %q, want 2 entries", got)
	}
	pathA := strings.TrimPrefix(got[0], "A_FILE=")
	pathB := strings.TrimPrefix(got[1], "B_FILE=")
	dir := filepath.Dir(pathA)
	if strings.HasPrefix(filepath.Base(dir), "valuefrom-") {
		t.Cleanup(func() { os.RemoveAll(dir) })
	}
	if want := filepath.Join(dir, "A"); pathA != want {
		t.Errorf("A_FILE = %q, want %q", pathA, want)
	}
	if want := filepath.Join(dir, "B"); pathB != want {
		t.Errorf("B_FILE = %q, want %q (one directory for every file)", pathB, want)
	}
	if !strings.HasPrefix(filepath.Base(dir), "valuefrom-") {
		t.Errorf("files dir = %q, want a new valuefrom-* directory", dir)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode(); got != os.ModeDir|0o700 {
		t.Errorf("files dir mode = %v, want %v", got, os.ModeDir|0o700)
	}
	for path, want := range map[string]string{pathA: "a", pathB: "b"} {
		content, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(content) != want {
			t.Errorf("%s content = %q, want %q", path, content, want)
		}
	}
}

func TestEnvironmentNoFilesNoDir(t *testing.T) {
	// Without _FILE values, nothing is written: an unusable files dir
	// does not matter.
	file := filepath.Join(t.TempDir(), "afile")
	writeFile(t, file, "", 0o644)
	got, err := exec.Environment([]string{"A=ref"}, []exec.Var{{Name: "A", Value: []byte("v")}}, filepath.Join(file, "sub"), nil)
	if err != nil {
		t.Fatalf("Environment: %v", err)
	}
	if want := []string{"A=v"}; !slices.Equal(got, want) {
		t.Errorf("Environment = %q, want %q", got, want)
	}
}

func TestEnvironmentFileError(t *testing.T) {
	root := t.TempDir()
	file := filepath.Join(root, "afile")
	writeFile(t, file, "", 0o644)
	existingDir := filepath.Join(root, "dir")
	mkdir(t, existingDir)
	mkdir(t, filepath.Join(existingDir, "DB_PASSWORD")) // the target is a directory

	tests := []struct {
		name     string
		filesDir string
	}{
		{"files dir under a regular file", filepath.Join(file, "secrets")},
		{"files dir is a regular file", file},
		{"target is a directory", existingDir},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values := []exec.Var{
				{Name: "PLAIN", Value: []byte(canary)},
				{Name: "DB_PASSWORD_FILE", Value: []byte(canary)},
			}
			got, err := exec.Environment([]string{"PLAIN=ref", "DB_PASSWORD_FILE=ref"}, values, tt.filesDir, nil)
			if got != nil {
				t.Errorf("Environment returned %d entries with an error, want nil", len(got))
			}
			var fe *exec.FileError
			if !errors.As(err, &fe) {
				t.Fatalf("Environment err = %T, want *exec.FileError", err)
			}
			if fe.Var != "DB_PASSWORD_FILE" {
				t.Errorf("FileError.Var = %q, want %q", fe.Var, "DB_PASSWORD_FILE")
			}
			msg := err.Error()
			if strings.Contains(msg, canary) {
				t.Fatalf("value leaked in the error message")
			}
			if !strings.Contains(msg, "DB_PASSWORD_FILE") {
				t.Errorf("error does not name the variable DB_PASSWORD_FILE: %q", msg)
			}
		})
	}
}

// TestEnvironmentFileStaysInDir: the file for a _FILE variable is "in
// filesDir" whatever the variable's name; a name with a slash must not
// write elsewhere.
func TestEnvironmentFileStaysInDir(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "secrets")
	mkdir(t, dir)
	got, err := exec.Environment([]string{"../escaped_FILE=ref"}, []exec.Var{{Name: "../escaped_FILE", Value: []byte("x")}}, dir, nil)
	if _, serr := os.Stat(filepath.Join(root, "escaped")); serr == nil {
		t.Errorf("Environment wrote %s, outside the files dir %s", filepath.Join(root, "escaped"), dir)
	}
	if err == nil {
		for _, kv := range got {
			_, path, _ := strings.Cut(kv, "=")
			if filepath.Dir(path) != dir {
				t.Errorf("file path %q is not in the files dir %q", path, dir)
			}
		}
	}
}

// TestCheckFiles: every _FILE variable names a file of its own; _FILE
// alone names none, and _FILE with _FILE_FILE, or names that differ only
// in case, would write one file and lose a value.
func TestCheckFiles(t *testing.T) {
	tests := []struct {
		name  string
		names []string
		bad   string // the variable the error names; empty: no error
		other string // the other variable it names
	}{
		{"distinct", []string{"A_FILE", "A_FILE_FILE", "B_FILE", "PLAIN", "_PLAIN"}, "", ""},
		{"one name twice", []string{"A_FILE", "A_FILE"}, "", ""},
		{"no prefix", []string{"OK_FILE", "_FILE"}, "_FILE", ""},
		{"_FILE and _FILE_FILE", []string{"_FILE_FILE", "_FILE"}, "_FILE", ""},
		{"case", []string{"db_FILE", "X", "DB_FILE"}, "DB_FILE", "db_FILE"},
		{"dot", []string{"._FILE"}, "._FILE", ""},
		{"slash", []string{"a/b_FILE"}, "a/b_FILE", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := exec.CheckFiles(tt.names)
			if tt.bad == "" {
				if err != nil {
					t.Errorf("CheckFiles(%q) = %v, want nil", tt.names, err)
				}
				return
			}
			var fe *exec.FileError
			if !errors.As(err, &fe) || fe.Var != tt.bad {
				t.Fatalf("CheckFiles(%q) = %v, want a FileError for %s", tt.names, err, tt.bad)
			}
			if !strings.Contains(err.Error(), tt.other) {
				t.Errorf("error %q does not name %s too", err, tt.other)
			}
		})
	}
}

// TestEnvironmentCollisionWritesNothing: two variables that would write
// one file are refused before either is written.
func TestEnvironmentCollisionWritesNothing(t *testing.T) {
	dir := t.TempDir()
	vars := []exec.Var{{Name: "_FILE_FILE", Value: []byte(canary)}, {Name: "_FILE", Value: []byte(canary)}}
	_, err := exec.Environment([]string{"_FILE_FILE=ref", "_FILE=ref"}, vars, dir, nil)
	var fe *exec.FileError
	if !errors.As(err, &fe) || strings.Contains(err.Error(), canary) {
		t.Fatalf("Environment err = %v, want a FileError without the value", err)
	}
	if got := testfs.Names(t, dir); len(got) != 0 {
		t.Errorf("files written: %q, want none", got)
	}
}

// TestBuildFilesRemove: Build says what it wrote, and Remove removes it:
// the directory it made, or the files in the directory given, which stays.
func TestBuildFilesRemove(t *testing.T) {
	given := filepath.Join(t.TempDir(), "secrets")
	mkdir(t, given)
	writeFile(t, filepath.Join(given, "KEEP"), "not ours", 0o600)
	for _, filesDir := range []string{given, ""} {
		vars := []exec.Var{{Name: "A_FILE", Value: []byte(canary)}, {Name: "B", Value: []byte("b")}, {Name: "C_FILE", Value: []byte(canary)}}
		env, files, err := exec.Build([]string{"A_FILE=ref", "B=ref", "C_FILE=ref"}, vars, filesDir, nil)
		if err != nil {
			t.Fatal(err)
		}
		a, c := envlist.Get(env, "A_FILE"), envlist.Get(env, "C_FILE")
		if err := files.Remove(); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{a, c} {
			if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("files dir %q: %s is left after Remove", filesDir, p)
			}
		}
		if filesDir == "" {
			if _, err := os.Stat(filepath.Dir(a)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the directory Build made is left after Remove")
			}
		} else if got := testfs.Names(t, given); !slices.Equal(got, []string{"KEEP"}) {
			t.Errorf("the directory given holds %q after Remove, want only what was there", got)
		}
	}
	if _, files, err := exec.Build([]string{"B=ref"}, []exec.Var{{Name: "B", Value: []byte("b")}}, "", nil); err != nil || files != nil || files.Remove() != nil {
		t.Errorf("Build without _FILE variables: files %v, err %v; want nil", files, err)
	}
}

// TestEnvironmentFailureRemovesWhatWasWritten: when a later file fails,
// the earlier ones are removed, in a directory given too.
func TestEnvironmentFailureRemovesWhatWasWritten(t *testing.T) {
	dir := t.TempDir()
	mkdir(t, filepath.Join(dir, "B")) // B_FILE's target is a directory
	vars := []exec.Var{{Name: "A_FILE", Value: []byte(canary)}, {Name: "B_FILE", Value: []byte(canary)}}
	_, err := exec.Environment([]string{"A_FILE=ref", "B_FILE=ref"}, vars, dir, nil)
	var fe *exec.FileError
	if !errors.As(err, &fe) || fe.Var != "B_FILE" {
		t.Fatalf("err = %v, want a FileError for B_FILE", err)
	}
	if got := testfs.Names(t, dir); !slices.Equal(got, []string{"B"}) {
		t.Errorf("the files directory holds %q, want only B, as it was", got)
	}
}

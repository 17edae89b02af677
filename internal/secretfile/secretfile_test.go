package secretfile_test

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/valuefrom/valuefrom/internal/secretfile"
)

// names lists the entries of dir, sorted; none if dir cannot be read.
func names(dir string) []string {
	ns, _ := fs.Glob(os.DirFS(dir), "*")
	return ns
}

// checkFile checks that path holds data with mode perm, and that nothing
// else, such as a temporary file, is left in its directory.
func checkFile(t *testing.T, path string, data []byte, perm fs.FileMode) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, data) {
		t.Errorf("content: got %d bytes, want %d, or different bytes", len(got), len(data))
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != perm {
		t.Errorf("mode = %v, want %v", fi.Mode(), perm)
	}
	if got, want := names(filepath.Dir(path)), []string{filepath.Base(path)}; !slices.Equal(got, want) {
		t.Errorf("files in dir = %q, want %q (no temporary files)", got, want)
	}
}

func TestWrite(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		perm fs.FileMode
	}{
		{"owner read only", []byte("s3cr3t"), 0o400},
		{"owner and group read", []byte("line1\nline2\n"), 0o440},
		{"binary with NUL bytes", []byte{0, 1, 2, 0xff, 0, '\n'}, 0o400},
		{"empty", []byte{}, 0o400},
		{"large", []byte(strings.Repeat("0123456789abcdef", 1<<14)), 0o400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "secret")
			if err := secretfile.Write(path, tt.data, tt.perm); err != nil {
				t.Fatalf("Write: %v", err)
			}
			checkFile(t, path, tt.data, tt.perm)
		})
	}
}

func TestWriteRelativePath(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := secretfile.Write("rel", []byte("x"), 0o400); err != nil {
		t.Fatalf("Write: %v", err)
	}
	checkFile(t, filepath.Join(dir, "rel"), []byte("x"), 0o400)
}

// TestWriteReplaces: a read-only file is replaced by a new one (rename),
// not rewritten in place: a reader holding the old file still reads the
// old content.
func TestWriteReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "secret")
	if err := secretfile.Write(path, []byte("old"), 0o400); err != nil {
		t.Fatalf("first Write: %v", err)
	}
	oldFile, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer oldFile.Close()
	oldInfo, err := oldFile.Stat()
	if err != nil {
		t.Fatal(err)
	}

	if err := secretfile.Write(path, []byte("new value"), 0o440); err != nil {
		t.Fatalf("second Write over a read-only file: %v", err)
	}

	checkFile(t, path, []byte("new value"), 0o440)
	if newInfo, err := os.Stat(path); err != nil || os.SameFile(oldInfo, newInfo) {
		t.Errorf("the file was rewritten in place (stat: %v), want a new file renamed over it", err)
	}
	old, err := io.ReadAll(oldFile)
	if err != nil {
		t.Fatal(err)
	}
	if string(old) != "old" {
		t.Errorf("reader of the old file got %q, want %q", old, "old")
	}
}

func TestWriteFailure(t *testing.T) {
	root := os.Geteuid() == 0
	tests := []struct {
		name string
		// setup returns the path to write and the directory to check.
		setup    func(t *testing.T, dir string) (path string)
		needUser bool // permission checks do not apply to root
	}{
		{
			name: "directory missing",
			setup: func(t *testing.T, dir string) string {
				return filepath.Join(dir, "missing", "secret")
			},
		},
		{
			name: "target is a directory",
			setup: func(t *testing.T, dir string) string {
				target := filepath.Join(dir, "secret")
				if err := os.Mkdir(target, 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(target, "inside"), []byte("old"), 0o600); err != nil {
					t.Fatal(err)
				}
				return target
			},
		},
		{
			name:     "directory read-only",
			needUser: true,
			setup: func(t *testing.T, dir string) string {
				target := filepath.Join(dir, "secret")
				if err := os.WriteFile(target, []byte("old"), 0o400); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(dir, 0o500); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { os.Chmod(dir, 0o700) })
				return target
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.needUser && root {
				t.Skip("running as root: permission checks do not apply")
			}
			dir := t.TempDir()
			path := tt.setup(t, dir)
			before := snapshot(t, dir)

			if err := secretfile.Write(path, []byte("canary-7f3a9"), 0o400); err == nil {
				t.Fatalf("Write succeeded, want an error")
			} else {
				if strings.Contains(err.Error(), "canary-7f3a9") {
					t.Fatalf("value leaked in the error message")
				}
				if !strings.Contains(err.Error(), path) {
					t.Errorf("error %q does not name the path %q", err, path)
				}
			}
			after := snapshot(t, dir)
			if !slices.Equal(after, before) {
				t.Errorf("directory after the failed Write = %q, want it unchanged: %q", after, before)
			}
		})
	}
}

// snapshot lists every file under dir with its content's length and mode,
// and whether it holds "old".
func snapshot(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		entry := strings.TrimPrefix(path, dir) + " " + fi.Mode().String()
		if !d.IsDir() {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			entry += " old=" + map[bool]string{true: "yes", false: "no"}[string(b) == "old"]
		}
		files = append(files, entry)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestWriteLongName: any valid file name can be written, including one
// near NAME_MAX (255 bytes on Linux): the temporary name must fit too.
func TestWriteLongName(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, strings.Repeat("A", 250))
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Skipf("file system does not take 250-byte names: %v", err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := secretfile.Write(path, []byte("x"), 0o400); err != nil {
		t.Errorf("Write of a 250-byte name: %v", err)
	}
	if got := names(dir); len(got) > 1 {
		t.Errorf("files in dir = %q, want at most the target", got)
	}
}

func TestDir(t *testing.T) {
	root := t.TempDir()
	file := filepath.Join(root, "afile")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	existing := filepath.Join(root, "existing")
	if err := os.Mkdir(existing, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(existing, 0o755); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		dir      string
		wantErr  bool
		wantMode fs.FileMode
	}{
		{"creates", filepath.Join(root, "new"), false, fs.ModeDir | 0o700},
		{"creates parents", filepath.Join(root, "a", "b", "c"), false, fs.ModeDir | 0o700},
		{"existing left as it is", existing, false, fs.ModeDir | 0o755},
		{"path is a file", file, true, 0},
		{"path under a file", filepath.Join(file, "sub"), true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := secretfile.Dir(tt.dir)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("Dir(%q) succeeded, want an error", tt.dir)
				}
				return
			}
			if err != nil {
				t.Fatalf("Dir(%q): %v", tt.dir, err)
			}
			fi, err := os.Stat(tt.dir)
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode(); got != tt.wantMode {
				t.Errorf("mode = %v, want %v", got, tt.wantMode)
			}
		})
	}
	fi, err := os.Stat(file)
	if err != nil || !fi.Mode().IsRegular() {
		t.Errorf("the file given to Dir is no longer a regular file: %v, %v", fi, err)
	}
}

func TestTempDir(t *testing.T) {
	wantBase := os.TempDir()
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		wantBase = "/dev/shm"
	}
	base := t.TempDir()
	tests := []struct {
		name     string
		base     string
		wantBase string
	}{
		{"default", "", wantBase},
		{"given base", base, base},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, err := secretfile.TempDir(tt.base)
			if err != nil {
				t.Fatalf("TempDir(%q): %v", tt.base, err)
			}
			t.Cleanup(func() { os.RemoveAll(dir) })
			if got := filepath.Dir(dir); got != tt.wantBase {
				t.Errorf("TempDir(%q) = %q, want a directory in %q", tt.base, dir, tt.wantBase)
			}
			if got := filepath.Base(dir); !strings.HasPrefix(got, "valuefrom-") {
				t.Errorf("TempDir name = %q, want prefix %q", got, "valuefrom-")
			}
			fi, err := os.Stat(dir)
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode(); got != fs.ModeDir|0o700 {
				t.Errorf("mode = %v, want %v", got, fs.ModeDir|0o700)
			}
			if got := names(dir); len(got) != 0 {
				t.Errorf("new dir holds %q, want it empty", got)
			}
		})
	}
}

func TestTempDirUnique(t *testing.T) {
	base := t.TempDir()
	a, err := secretfile.TempDir(base)
	if err != nil {
		t.Fatal(err)
	}
	b, err := secretfile.TempDir(base)
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Errorf("two TempDir calls returned the same dir %q", a)
	}
}

func TestTempDirError(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	_, err := secretfile.TempDir(missing)
	if err == nil {
		t.Fatalf("TempDir(%q) succeeded, want an error", missing)
	}
	if !strings.Contains(err.Error(), "VALUEFROM_FILES_DIR") {
		t.Errorf("error %q does not point to VALUEFROM_FILES_DIR", err)
	}
}

// TestPrepareNamesNothing: on Linux a prepared file has no name until
// Commit, so that a process killed while writing leaves nothing behind;
// Commit then names it, whether the target is new or replaced, and Abort
// leaves nothing. Run on the test's directory and on the default one
// (/dev/shm, tmpfs).
func TestPrepareNamesNothing(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("files with no name (O_TMPFILE) are Linux's")
	}
	shm, err := secretfile.TempDir("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(shm) })
	for _, dir := range []string{t.TempDir(), shm} {
		path := filepath.Join(dir, "secret")
		for _, step := range []string{"new target", "replaced target"} {
			p, err := secretfile.Prepare(path, []byte("v-"+step), 0o400, -1)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string][]string{"new target": nil, "replaced target": {"secret"}}[step]
			if got := names(dir); !slices.Equal(got, want) || hidden(t, dir) {
				t.Errorf("%s, %s: after Prepare the directory holds %q (hidden files: %v), want %q", dir, step, got, hidden(t, dir), want)
			}
			if err := p.Commit(); err != nil {
				t.Fatal(err)
			}
			checkFile(t, path, []byte("v-"+step), 0o400)
			if hidden(t, dir) {
				t.Errorf("%s, %s: a temporary file is left", dir, step)
			}
		}
		p, err := secretfile.Prepare(filepath.Join(dir, "other"), []byte("x"), 0o400, -1)
		if err != nil {
			t.Fatal(err)
		}
		p.Abort()
		if got := names(dir); !slices.Equal(got, []string{"secret"}) || hidden(t, dir) {
			t.Errorf("%s: after Abort the directory holds %q", dir, got)
		}
	}
}

// hidden reports whether dir holds a file whose name starts with a dot,
// such as a temporary file.
func hidden(t *testing.T, dir string) bool {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return slices.ContainsFunc(es, func(e fs.DirEntry) bool { return strings.HasPrefix(e.Name(), ".") })
}

package entrypoint

// The _FILE files of a start (items 8 and 9 of issue 12): nothing is
// left behind when the command does not start, and no two variables
// write one file. (env's side: test/runenv's files_test.go.)

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/testfs"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

const fileCanary = "canary-file-93b1"

// TestFilesRemovedWhenTheCommandDoesNotStart: a script whose interpreter
// is missing is found, so the _FILE files are written, then exec fails
// (exit 127): the files are removed (item 8). Supervise mode (--watch)
// removes them too, and exits 127 as well.
func TestFilesRemovedWhenTheCommandDoesNotStart(t *testing.T) {
	vfbin.Need(t)
	moto := mototest.Start(t)
	moto.Seeder(t, "us-east-1").Secret("db", fileCanary)
	dir := t.TempDir()
	script := filepath.Join(dir, "app")
	if err := os.WriteFile(script, []byte("#!/no/such/interpreter\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := filepath.Join(dir, "secrets")
	env := append(moto.Env(), "VALUEFROM_FILES_DIR="+files, "DB_PASSWORD_FILE=secretsmanager:db", "OTHER_FILE=secretsmanager:db")
	for _, args := range [][]string{{"--", script}, {"run", "--", script}, {"--watch", "1m", "--", script}, {"run", "--watch", "1m", "--", script}} {
		r := vfbin.RunEnv(t, env, args...)
		vfbin.NoValue(t, fmt.Sprintf("%q: stderr", args), r.Stderr, fileCanary)
		if r.Code != exitcode.NotFound {
			t.Errorf("%q: exit %d, want %d; stderr: %s", args, r.Code, exitcode.NotFound, r.Stderr)
		}
		if got := testfs.Names(t, files); len(got) != 0 {
			t.Errorf("%q: left in the files directory: %q", args, got)
		}
	}
}

// TestFileNamesCollideBeforeAWS: _FILE alone, or two variables that would
// write one file, stop valuefrom before any AWS call, naming both
// variables (exit 5); no file is written (item 9).
func TestFileNamesCollideBeforeAWS(t *testing.T) {
	vfbin.Need(t)
	tests := []struct {
		name string
		vars []string
		want []string // in stderr
	}{
		{"_FILE and _FILE_FILE", []string{"_FILE=ssm:/a", "_FILE_FILE=ssm:/b"}, []string{"_FILE: names no file"}},
		{"case", []string{"DB_FILE=ssm:/a", "db_FILE=ssm:/b"}, []string{"DB_FILE", "db_FILE", "same file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := filepath.Join(t.TempDir(), "secrets")
			// AWS is a closed port: a call would fail as exit 4.
			env := append(mototest.EndpointEnv("http://127.0.0.1:1"), "VALUEFROM_FILES_DIR="+files, "VALUEFROM_MAX_ATTEMPTS=1")
			env = append(env, tt.vars...)
			for _, args := range [][]string{{"--", "true"}, {"env"}} {
				r := vfbin.RunEnv(t, env, args...)
				if r.Code != exitcode.Output {
					t.Errorf("%q: exit %d, want %d; stderr: %s", args, r.Code, exitcode.Output, r.Stderr)
				}
				for _, w := range tt.want {
					if !strings.Contains(r.Stderr, w) {
						t.Errorf("%q: stderr does not say %q: %s", args, w, r.Stderr)
					}
				}
				if _, err := os.Stat(files); err == nil {
					t.Errorf("%q: the files directory was made", args)
				}
			}
		})
	}
}

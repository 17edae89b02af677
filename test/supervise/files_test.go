package supervise

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/testfs"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

// TestFilesRemovedWhenTheProgramDoesNotStart: supervise mode writes the
// _FILE files into VALUEFROM_FILES_DIR, then the program cannot start (a
// script whose interpreter is missing): the files are removed, as a start
// without --watch removes them (test/entrypoint's
// TestFilesRemovedWhenTheCommandDoesNotStart), and valuefrom exits 127 as
// that start does.
func TestFilesRemovedWhenTheProgramDoesNotStart(t *testing.T) {
	bin := vfbin.Need(t)
	moto := mototest.Start(t)
	value := canary("files")
	moto.Seeder(t, "us-east-1").Secret("db", value)
	dir := t.TempDir()
	script := filepath.Join(dir, "app")
	if err := os.WriteFile(script, []byte("#!/no/such/interpreter\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := filepath.Join(dir, "secrets")
	env := append(moto.Env(), "PATH=/usr/bin:/bin", "AWS_REGION=us-east-1", "VALUEFROM_FILES_DIR="+files,
		"DB_PASSWORD_FILE=secretsmanager:db", "OTHER_FILE=secretsmanager:db")
	for _, args := range [][]string{{"--watch", "1m", "--", script}, {"run", "--watch", "1m", "--", script}} {
		r := vfbin.Run(t, bin, env, args...)
		if r.Code != 127 {
			t.Errorf("%q: exit %d, want 127; stderr: %s", args, r.Code, r.Stderr)
		}
		if got := testfs.Names(t, files); len(got) != 0 {
			t.Errorf("%q: left in the files directory: %q", args, got)
		}
		noValues(t, "stderr", r.Stderr, value)
	}
}

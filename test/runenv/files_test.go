package runenv

// The _FILE files of env (item 8 of issue 12): nothing is left behind
// when env cannot print. (The entrypoint's side: test/entrypoint's
// files_test.go.)

import (
	"path/filepath"
	"testing"

	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/testfs"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

const fileCanary = "canary-file-93b1"

// TestEnvFormatErrorRemovesFiles: env writes a _FILE file, then cannot
// print a variable in the format (exit 5): the file is removed (item 8).
func TestEnvFormatErrorRemovesFiles(t *testing.T) {
	vfbin.Need(t)
	moto := mototest.Start(t)
	moto.Seeder(t, "us-east-1").Secret("db", fileCanary)
	files := filepath.Join(t.TempDir(), "secrets")
	// A name that is no shell identifier cannot be printed as shell.
	env := append(moto.Env(), "VALUEFROM_FILES_DIR="+files, "DB_PASSWORD_FILE=secretsmanager:db", "NOT-AN-IDENTIFIER=secretsmanager:db")
	r := vfbin.RunEnv(t, env, "env", "--format", "shell")
	vfbin.NoValue(t, "stderr", r.Stderr, fileCanary)
	if r.Code != exitcode.Output || r.Stdout != "" {
		t.Errorf("exit %d with %d bytes printed, want %d and nothing; stderr: %s", r.Code, len(r.Stdout), exitcode.Output, r.Stderr)
	}
	if got := testfs.Names(t, files); len(got) != 0 {
		t.Errorf("left in the files directory: %q", got)
	}
}

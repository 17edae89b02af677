package entrypoint

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

// TestPathFromAReference: a PATH that is itself a reference is a resolved
// value like any other: the program is looked for in it, and no error or
// log line shows it, at any level, in exec and in supervise mode.
func TestPathFromAReference(t *testing.T) {
	vfbin.Need(t)
	moto := mototest.Start(t)
	dir := filepath.Join(t.TempDir(), "canary-pathdir-7c2d")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{"ok": "#!/bin/sh\nexit 0\n", "noexec": "#!/bin/sh\n"} {
		mode := os.FileMode(0o755)
		if name == "noexec" {
			mode = 0o644
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	moto.Seeder(t, "us-east-1").Secret("path", dir)
	env := append(moto.Env(), "PATH=secretsmanager:path", "VALUEFROM_LOG_LEVEL=debug")
	tests := []struct {
		name  string
		args  []string
		want  int
		watch bool
	}{
		{"found", []string{"ok"}, 0, false},
		{"not found", []string{"missing"}, exitcode.NotFound, false},
		{"not executable", []string{"noexec"}, exitcode.NotExec, false},
		{"supervised", []string{"ok"}, 0, true},
		{"supervised, not found", []string{"missing"}, exitcode.NotFound, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"--"}, tt.args...)
			if tt.watch {
				args = append([]string{"--watch", "1h"}, args...)
			}
			for _, format := range []string{"text", "json"} {
				r := vfbin.RunEnv(t, append(env, "VALUEFROM_LOG_FORMAT="+format), args...)
				if r.Code != tt.want {
					t.Errorf("%s: exit %d, want %d", format, r.Code, tt.want)
				}
				vfbin.NoLeak(t, format, r, "canary")
			}
		})
	}
}

package render

// Rendered files are data, never code, to the shells that source them
// (issue 12, item 3).

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

// TestRenderedFilesAreInert renders a secret that holds shell syntax in
// every format and sources the file in sh, bash and dash: no command runs
// (item 3).
func TestRenderedFilesAreInert(t *testing.T) {
	vfbin.Need(t)
	moto := mototest.Start(t)
	const canary = "canary-4f1e"
	hostile := canary + "a`touch pwned`b$(touch pwned)\"; touch pwned; \"'; touch pwned; '\n`touch pwned`"
	moto.Seeder(t, "us-east-1").Secret("hostile", hostile)
	for _, format := range []string{"dotenv", "shell", "json"} {
		for _, sh := range []string{"sh", "bash", "dash"} {
			t.Run(format+"/"+sh, func(t *testing.T) {
				path, err := exec.LookPath(sh)
				if err != nil {
					t.Skipf("%s not installed", sh)
				}
				dir := t.TempDir()
				out := filepath.Join(dir, "app.env")
				render := vfbin.Command(t, append(moto.Env(), "S=secretsmanager:hostile"), "render", "--out", out, "--format", format)
				render.Dir = dir
				r := vfbin.RunCmd(t, render)
				vfbin.NoValue(t, "render: stdout and stderr", r.Stdout+r.Stderr, canary)
				if r.Code != 0 {
					t.Fatalf("render: exit %d: %s", r.Code, r.Stderr)
				}
				cmd := exec.Command(path, "-c", `set -a; . ./app.env >/dev/null 2>&1; printf %s "$S" >got`)
				cmd.Dir = dir
				cmd.Env = []string{"PATH=/usr/bin:/bin"}
				cmd.Run() // sourcing json fails; what matters is what ran
				if _, err := os.Stat(filepath.Join(dir, "pwned")); !errors.Is(err, os.ErrNotExist) {
					t.Fatalf("sourcing the %s file ran a command", format)
				}
				got, _ := os.ReadFile(filepath.Join(dir, "got"))
				want := map[string]string{"shell": hostile, "dotenv": strings.ReplaceAll(hostile, "\n", `\n`), "json": ""}[format]
				if string(got) != want {
					t.Errorf("the shell read back %d bytes, want %d", len(got), len(want))
				}
			})
		}
	}
}

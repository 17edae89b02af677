package templates

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/testfs"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

// TestRenderAllOrNothing: render writes its templates with --out, and a
// template that does not render writes nothing at all, --out included
// (exit 5); a group makes the files 0440.
func TestRenderAllOrNothing(t *testing.T) {
	vfbin.Need(t)
	moto := mototest.Start(t)
	moto.Seeder(t, "us-east-1").Secret("render/db", `{"user":"app","password":"canary-pw"}`)
	dir := t.TempDir()
	good := writeTemplate(t, dir, "app.ini.tmpl", "password = {{ DB.password | json }}\n")
	bad := writeTemplate(t, dir, "other.ini.tmpl", "user = {{ DB.usr }}\n")
	out := filepath.Join(dir, "app.env")
	env := append(moto.Env(), "DB=secretsmanager:render/db")

	r := vfbin.RunEnv(t, env, "render", "--out", out, "--template", good, "--template", bad)
	vfbin.NoValue(t, "valuefrom's output", r.Stdout+r.Stderr, "canary")
	if r.Code != exitcode.Output || !strings.Contains(r.Stderr, `other.ini.tmpl:1:14: DB: JSON key "usr" is not in the secret`) {
		t.Errorf("exit %d, want %d naming the template:\n%s", r.Code, exitcode.Output, r.Stderr)
	}
	for _, p := range []string{out, filepath.Join(dir, "app.ini"), filepath.Join(dir, "other.ini")} {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s was written: %v", filepath.Base(p), err)
		}
	}

	r = vfbin.RunEnv(t, env, "render", "--out", out, "--template", good, "--group", strconv.Itoa(os.Getgid()))
	vfbin.NoValue(t, "valuefrom's output", r.Stdout+r.Stderr, "canary")
	if r.Code != 0 {
		t.Fatalf("exit %d:\n%s", r.Code, r.Stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "app.ini")); string(b) != "password = \"canary-pw\"\n" {
		t.Error("the template was not rendered")
	}
	for _, p := range []string{out, filepath.Join(dir, "app.ini")} {
		testfs.CheckMode(t, p, 0o440, os.Getgid())
	}
}

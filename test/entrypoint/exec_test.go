package entrypoint

// What only a process shows: the version make build stamps in, and the
// exec itself.

import (
	"cmp"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/valuefrom/valuefrom/internal/testkit/forms"
	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

// TestBinaryVersion: make build stamps the version scripts/buildinfo
// tells, the commit, and the commit's time as the build date.
func TestBinaryVersion(t *testing.T) {
	r := vfbin.RunEnv(t, nil, "--version")
	git := func(args ...string) string {
		out, err := exec.Command("git", args...).Output()
		if err != nil {
			t.Skipf("no git commit to compare with: git %s: %v", strings.Join(args, " "), err)
		}
		return strings.TrimSpace(string(out))
	}
	head := git("rev-parse", "HEAD")
	epoch := cmp.Or(os.Getenv("SOURCE_DATE_EPOCH"), git("log", "-1", "--format=%ct", "HEAD"))
	sec, err := strconv.ParseInt(epoch, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("../../scripts/buildinfo", "version").Output()
	if err != nil {
		t.Fatalf("scripts/buildinfo version: %v", err)
	}
	want := fmt.Sprintf("valuefrom %s (commit %s, %s, %s/%s, built %s)\n", strings.TrimSpace(string(out)), head,
		runtime.Version(), runtime.GOOS, runtime.GOARCH, time.Unix(sec, 0).UTC().Format(time.RFC3339))
	if r.Code != 0 || r.Stdout != want {
		t.Errorf("--version: exit %d, stdout %q, want exit 0 and %q", r.Code, r.Stdout, want)
	}
}

// testBinaryExec: valuefrom replaces itself with the program, whose
// environment holds the value and every other variable byte for byte,
// and none of valuefrom's settings. (run's side, the program's own exit
// code: test/runenv.)
func testBinaryExec(t *testing.T, moto *mototest.Server) {
	env := append(moto.Env(), "VALUEFROM_LOG_LEVEL=debug", "PW=secretsmanager:app/db:password::", "WEIRD=a=b\nc ☃")
	r := vfbin.RunEnv(t, env, "--", "env", "-0")
	forms.NoCanary(t, "stderr", r.Stderr)
	got := vfbin.Environ(r.Stdout)
	if r.Code != 0 || got["PW"] != forms.CanaryJSON || got["WEIRD"] != "a=b\nc ☃" {
		t.Errorf("exit %d, PW of %d bytes, WEIRD=%q; stderr:\n%s", r.Code, len(got["PW"]), got["WEIRD"], r.Stderr)
	}
	if _, ok := got["VALUEFROM_LOG_LEVEL"]; ok {
		t.Error("VALUEFROM_LOG_LEVEL reached the command")
	}
}

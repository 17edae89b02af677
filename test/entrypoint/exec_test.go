package entrypoint

// What only a process shows: the version make build stamps in, and the
// exec itself.

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/valuefrom/valuefrom/internal/testkit/forms"
	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

func TestBinaryVersion(t *testing.T) {
	r := vfbin.RunEnv(t, nil, "--version")
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("no git commit to compare with: %v", err)
	}
	want := regexp.MustCompile(`^valuefrom \S+ \(commit ` + strings.TrimSpace(string(head)) + `, go1\.`)
	if r.Code != 0 || strings.Contains(r.Stdout, "(devel)") || !want.MatchString(r.Stdout) {
		t.Errorf("--version: exit %d, stdout %q, want the version and commit make build stamps", r.Code, r.Stdout)
	}
}

// testBinaryExec: valuefrom replaces itself with the program, whose
// environment holds the value and every other variable byte for byte,
// and none of valuefrom's settings. (run's side, the program's own exit
// code: test/runenv.)
func testBinaryExec(t *testing.T, moto *mototest.Server) {
	env := append(moto.Env(), "VALUEFROM_LOG_LEVEL=debug", "PW=secretsmanager:app/db:password::", "WEIRD=a=b\nc ☃")
	r := vfbin.RunEnv(t, env, "--", "env", "-0")
	got := vfbin.Environ(r.Stdout)
	if r.Code != 0 || got["PW"] != forms.CanaryJSON || got["WEIRD"] != "a=b\nc ☃" {
		t.Errorf("exit %d, PW of %d bytes, WEIRD=%q; stderr:\n%s", r.Code, len(got["PW"]), got["WEIRD"], r.Stderr)
	}
	if _, ok := got["VALUEFROM_LOG_LEVEL"]; ok {
		t.Error("VALUEFROM_LOG_LEVEL reached the command")
	}
	forms.NoCanary(t, "stderr", r.Stderr)
}

package supervise

// The helpers of the tests of test/watch, moved here: valuefrom started
// over the helper program, and a secret the test rotates.

import (
	"os/exec"
	"testing"

	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

// startHelper runs valuefrom with env (added to moto's endpoint settings and
// the helper's marker) and args. With "unshare" as the first argument it
// runs valuefrom as PID 1 of a new PID namespace.
func startHelper(t *testing.T, moto *mototest.Server, env []string, args ...string) *vfbin.Proc {
	t.Helper()
	bin := vfbin.Need(t)
	name := bin
	if len(args) > 0 && args[0] == "unshare" {
		name, args = "unshare", append([]string{"-pf", "--mount-proc", "--kill-child", "--", bin}, args[1:]...)
	}
	cmd := exec.Command(name, args...)
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", helperEnv + "=1", "AWS_REGION=us-east-1"}, env...)
	if moto != nil {
		cmd.Env = append(cmd.Env, moto.Env()...)
	}
	return vfbin.Start(t, cmd)
}

// rotating is a secret, in a moto of the test's own, that the test
// rotates.
type rotating struct {
	srv       *mototest.Server
	sd        *mototest.Seeder // us-east-1
	name      string
	old, next string // the value it is created with, and the one rotate puts
}

// newRotating starts moto and creates the secret watch/TAG in it,
// holding a canary value. (Each test starts a moto of its own, so names
// need not be unique.)
func newRotating(t *testing.T, tag string) *rotating {
	t.Helper()
	srv := mototest.Start(t)
	r := &rotating{srv: srv, sd: srv.Seeder(t, "us-east-1"), name: "watch/" + tag, old: canary(tag + "1"), next: canary(tag + "2")}
	r.sd.Secret(r.name, r.old)
	return r
}

// rotate puts the next value as the secret's new AWSCURRENT version.
func (r *rotating) rotate() { r.sd.NewVersion(r.name, r.next) }

package supervise

// The helpers of the tests of test/watch, moved here: valuefrom started
// over the helper program, and a secret the test rotates.

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
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

// noValues fails the test if any of values is in s, naming only where.
func noValues(t *testing.T, where, s string, values ...string) {
	t.Helper()
	for i, v := range values {
		if strings.Contains(s, v) {
			t.Errorf("%s: value %d leaked", where, i)
		}
	}
}

// counter makes names unique across the tests that share a moto.
var counter struct {
	sync.Mutex
	n int
}

func unique(prefix string) string {
	counter.Lock()
	defer counter.Unlock()
	counter.n++
	return fmt.Sprintf("%s-%d", prefix, counter.n)
}

// rotating is a secret, in a moto of the test's own, that the test
// rotates.
type rotating struct {
	srv       *mototest.Server
	sd        *mototest.Seeder // us-east-1
	name      string
	old, next string // the value it is created with, and the one rotate puts
}

// newRotating starts moto and creates the secret watch/TAG-N in it,
// holding a canary value.
func newRotating(t *testing.T, tag string) *rotating {
	t.Helper()
	srv := mototest.Start(t)
	r := &rotating{srv: srv, sd: srv.Seeder(t, "us-east-1"), name: unique("watch/" + tag), old: canaryFor(tag + "1"), next: canaryFor(tag + "2")}
	r.sd.Secret(r.name, r.old)
	return r
}

// rotate puts the next value as the secret's new AWSCURRENT version.
func (r *rotating) rotate() { r.sd.NewVersion(r.name, r.next) }

// canaryFor returns a distinct secret value.
func canaryFor(tag string) string {
	return "canary-" + tag + "-" + strconv.Itoa(os.Getpid()) + "-3f9a1c"
}

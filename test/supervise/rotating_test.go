package supervise

// A secret the tests of test/watch, moved here, rotate.

import (
	"testing"

	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
)

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

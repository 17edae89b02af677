// Package runenv runs the valuefrom binary's run and env subcommands
// against moto: task definitions of every shape (and every one of the
// corpus) and their precedence over the process environment, env's formats read back by a parser and by
// shells (eval, set -e, a terminal), _FILE files, and reading the files
// a user names (standard input, a FIFO, an endless file). Nothing runs
// under go test -short.
//
// Canary values: every secret value holds "canary"; a failure message
// never prints one.
package runenv

import (
	"testing"

	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

func TestMain(m *testing.M) { vfbin.Main(m, nil) }

// Package docs tests the examples of README.md and of every page of
// docs/, so that the documentation cannot drift from what valuefrom does:
// it runs each console transcript against moto with the release binary on
// PATH and compares what each command prints with what the page shows,
// regenerates the pages made from the binary's own help, feeds task
// definitions to valuefrom check, and checks what cannot run here (JSON
// that parses, Dockerfiles in exec form). docs/README.md states the
// conventions a page follows.
//
// go test ./test/docs -update rewrites the generated blocks and the
// output shown for each command from what the commands print.
package docs

import (
	"flag"
	"testing"

	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

var update = flag.Bool("update", false, "rewrite generated blocks and the outputs of console blocks from what the commands print")

// binary is valuefrom, built as make build builds it.
var binary string

func TestMain(m *testing.M) { vfbin.Main(m, &binary) }

// Package checkpolicy runs valuefrom check and valuefrom policy through
// the binary against moto.
package checkpolicy

import (
	"testing"

	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

func TestMain(m *testing.M) { vfbin.Main(m, nil) }

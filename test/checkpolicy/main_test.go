// Package checkpolicy runs the valuefrom binary's check and policy
// subcommands against moto as operators do: what passes, warns and fails,
// with KMS failing and BatchGetSecretValue denied, in text and JSON, and
// that check fails exactly what a start refuses. Nothing runs under go
// test -short.
//
// Canary values: every secret value holds "canary"; a failure message
// never prints one.
package checkpolicy

import (
	"testing"

	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

func TestMain(m *testing.M) { vfbin.Main(m, nil) }

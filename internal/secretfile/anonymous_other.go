//go:build !linux

package secretfile

import (
	"errors"
	"os"
)

// openAnonymous returns nil: only Linux has files with no name
// (O_TMPFILE), so Prepare names its temporary file from the start.
func openAnonymous(dir string) *os.File { return nil }

// link is never called where openAnonymous returns nil.
func link(f *os.File, path string) error { return errors.ErrUnsupported }

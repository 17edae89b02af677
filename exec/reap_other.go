//go:build !linux

package exec

import "errors"

// setSubreaper fails: only Linux has child subreapers.
func setSubreaper() error { return errors.New("child subreaper: not on this system") }

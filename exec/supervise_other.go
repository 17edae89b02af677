//go:build !linux

package exec

import "os"

// isForeground reports false: the program is not given the terminal.
func isForeground(*os.File, int) bool { return false }

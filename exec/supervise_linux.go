package exec

import (
	"os"
	"syscall"
	"unsafe"
)

// foregroundGroup returns the foreground process group of the terminal
// f, and false when f is not a terminal.
func foregroundGroup(f *os.File) (int, bool) {
	var pgrp int32
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), syscall.TIOCGPGRP, uintptr(unsafe.Pointer(&pgrp)))
	return int(pgrp), errno == 0
}

// isForeground reports whether f is a terminal whose foreground process
// group is this process's, or, when last is not 0, the group led by last.
func isForeground(f *os.File, last int) bool {
	pgrp, ok := foregroundGroup(f)
	return ok && (pgrp == syscall.Getpgrp() || last != 0 && pgrp == last)
}

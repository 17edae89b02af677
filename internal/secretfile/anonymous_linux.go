package secretfile

import (
	"os"
	"runtime"
	"strconv"
	"syscall"
	"unsafe"
)

// oTmpfile is O_TMPFILE: __O_TMPFILE, the same on every architecture Go
// runs on under Linux, with O_DIRECTORY, which is not.
const oTmpfile = 0o20000000 | syscall.O_DIRECTORY

// atFDCWD and atSymlinkFollow are linkat's AT_FDCWD and AT_SYMLINK_FOLLOW,
// the same on every architecture.
const (
	atFDCWD         = -0x64
	atSymlinkFollow = 0x400
)

// openAnonymous opens a new file with no name in dir, mode 0600, which
// vanishes if the process dies before link names it; nil where the kernel
// or the file system has no O_TMPFILE, or /proc, which link needs, is not
// mounted.
func openAnonymous(dir string) *os.File {
	f, err := os.OpenFile(dir, oTmpfile|os.O_WRONLY, 0o600)
	if err != nil {
		return nil
	}
	if _, err := os.Stat(procPath(f)); err != nil {
		f.Close()
		return nil
	}
	return f
}

func procPath(f *os.File) string { return "/proc/self/fd/" + strconv.Itoa(int(f.Fd())) }

// link gives the file f, opened by openAnonymous, the name path; it fails
// with an error matching fs.ErrExist when path exists. linkat through
// /proc/self/fd needs no privilege, unlike AT_EMPTY_PATH.
func link(f *os.File, path string) error {
	from, err := syscall.BytePtrFromString(procPath(f))
	if err != nil {
		return err
	}
	to, err := syscall.BytePtrFromString(path)
	if err != nil {
		return err
	}
	cwd := atFDCWD
	_, _, errno := syscall.Syscall6(syscall.SYS_LINKAT, uintptr(cwd), uintptr(unsafe.Pointer(from)), uintptr(cwd), uintptr(unsafe.Pointer(to)), atSymlinkFollow, 0)
	runtime.KeepAlive(f)
	if errno != 0 {
		return &os.LinkError{Op: "link", Old: procPath(f), New: path, Err: errno}
	}
	return nil
}

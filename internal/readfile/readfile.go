// Package readfile reads the files a user names to valuefrom (a task
// definition, an env file, a token file, standard input) the way input
// from outside should be read: up
// to a limit, so that /dev/zero or a huge file is an error rather than an
// out-of-memory crash, and no longer than the caller's context, so that a
// FIFO nobody writes to cannot hold off a SIGTERM.
package readfile

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"
)

// A TooLargeError is a file longer than the limit it was read with.
type TooLargeError struct {
	Path  string
	Limit int64 // bytes
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s: larger than %s", e.Path, Size(e.Limit))
}

// Read returns the content of the file at path, which may be a regular
// file, a device or a FIFO. More than limit bytes is a *TooLargeError.
// When ctx ends first, Read returns at once with an error wrapping
// context.Cause(ctx).
//
// Opening a FIFO blocks until a writer opens it, in a system call that
// nothing can interrupt; Read leaves that to a goroutine, which, if ctx
// ends first, stays blocked until a writer comes or the process exits.
// Once open, a FIFO's read is given a deadline when ctx ends, so that it
// returns too.
func Read(ctx context.Context, path string, limit int64) ([]byte, error) {
	return within(ctx, path, func() ([]byte, error) { return read(ctx, path, limit) })
}

// ReadFrom is Read for a reader the caller opened, such as standard input,
// named name in errors. When ctx ends first it returns at once, and the
// read it leaves to a goroutine ends with the process.
func ReadFrom(ctx context.Context, r io.Reader, name string, limit int64) ([]byte, error) {
	return within(ctx, name, func() ([]byte, error) { return readLimited(r, name, limit) })
}

// within runs read in a goroutine and returns its result, or an error
// naming name and wrapping context.Cause(ctx) as soon as ctx ends.
func within(ctx context.Context, name string, read func() ([]byte, error)) ([]byte, error) {
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		data, err := read()
		done <- result{data, err}
	}()
	select {
	case r := <-done:
		return r.data, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("reading %s: %w", name, context.Cause(ctx))
	}
}

func read(ctx context.Context, path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// A FIFO is in Go's poller, where a deadline wakes a blocked read; a
	// regular file or a device returns ErrNoDeadline and its reads end
	// by themselves within the limit.
	stop := context.AfterFunc(ctx, func() { f.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	return readLimited(f, path, limit)
}

// readLimited reads r to its end, or to more than limit bytes: a
// *TooLargeError naming name.
func readLimited(r io.Reader, name string, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, &TooLargeError{Path: name, Limit: limit}
	}
	return data, nil
}

// Size formats n bytes in the largest binary unit that divides it.
func Size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

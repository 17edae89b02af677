// Package readfile reads the files a user names to valuefrom (a task
// definition, a token file) the way input from outside should be read: up
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
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		data, err := read(ctx, path, limit)
		done <- result{data, err}
	}()
	select {
	case r := <-done:
		return r.data, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("reading %s: %w", path, context.Cause(ctx))
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
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, &TooLargeError{Path: path, Limit: limit}
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

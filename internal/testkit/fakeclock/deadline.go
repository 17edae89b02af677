// Package fakeclock is time that passes when a test says so, for the unit
// lane, which waits on no clock: deadlines that pass on an event the
// test waits for (a connection accepted, an attempt failed, a log line)
// instead of when a timer fires (Deadlines), and AWS retries that do not
// wait between attempts (RetryAtOnce).
package fakeclock

import (
	"context"
	"sync"
	"time"
)

// Deadlines hands out contexts, as context.WithTimeout does, whose
// deadlines all pass at Expire. Code under test sees what a real deadline
// gives it: Done closes and Err is context.DeadlineExceeded, and so are
// its children's. (A deadline that the code copies as a time, into a
// context.WithDeadline of its own, is a real one again: fake it where
// it is set.) The zero Deadlines is ready to use; it is safe for
// concurrent use.
type Deadlines struct {
	mu      sync.Mutex
	ctxs    []*fakeCtx
	expired bool
}

// WithTimeout returns a child of parent that says its deadline is d from
// now but ends only at Expire, when parent ends, or when cancel is
// called. Its signature is context.WithTimeout's, which it stands in for.
func (f *Deadlines) WithTimeout(parent context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	c := &fakeCtx{Context: parent, deadline: time.Now().Add(d), done: make(chan struct{})}
	stop := context.AfterFunc(parent, func() { c.end(parent.Err()) })
	f.mu.Lock()
	f.ctxs = append(f.ctxs, c)
	expired := f.expired
	f.mu.Unlock()
	if expired {
		c.end(context.DeadlineExceeded)
	}
	return c, func() {
		stop()
		c.end(context.Canceled)
	}
}

// Expire makes the deadline of every context f has made pass, and of
// every one it makes from now on.
func (f *Deadlines) Expire() {
	f.mu.Lock()
	f.expired = true
	ctxs := f.ctxs
	f.mu.Unlock()
	for _, c := range ctxs {
		c.end(context.DeadlineExceeded)
	}
}

// fakeCtx is a context that ends once, with the error it is first ended
// with.
type fakeCtx struct {
	context.Context // the parent, for Value
	deadline        time.Time
	done            chan struct{}
	once            sync.Once
	mu              sync.Mutex
	err             error
}

func (c *fakeCtx) Deadline() (time.Time, bool) { return c.deadline, true }
func (c *fakeCtx) Done() <-chan struct{}       { return c.done }

func (c *fakeCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *fakeCtx) end(err error) {
	c.once.Do(func() {
		c.mu.Lock()
		c.err = err
		c.mu.Unlock()
		close(c.done)
	})
}

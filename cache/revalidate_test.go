package cache

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// TestStaleWhileRevalidate: with StaleWait, a Get past the TTL whose
// refresh hangs returns the stale value once StaleWait has passed since
// the refresh started, without waiting for it; later Gets share that one
// refresh, and its value is stored when it ends (issue 11, item 16).
func TestStaleWhileRevalidate(t *testing.T) {
	now := time.Unix(0, 0)
	var staleErrs []error
	c := New[string](Options{
		TTL: time.Second, Stale: time.Minute, StaleWait: 5 * time.Millisecond,
		Now:     func() time.Time { return now },
		OnStale: func(_ string, err error) { staleErrs = append(staleErrs, err) },
	})
	ctx := context.Background()
	c.Set("k", "old")
	now = now.Add(2 * time.Second) // past the TTL, within the grace

	release := make(chan error)
	var calls atomic.Int32
	hanging := func(context.Context) (string, error) {
		calls.Add(1)
		if err := <-release; err != nil {
			return "", err
		}
		return "new", nil
	}
	for i := range 3 {
		got, err := c.Get(ctx, "k", hanging)
		if got != "old" || err != nil {
			t.Fatalf("Get %d while the refresh hangs: %q, %v; want the stale value", i, got, err)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("%d refreshes started, want 1 shared", n)
	}

	// The refresh ends: its value is stored.
	release <- nil
	waitFlight(c, "k")
	if got, ok := c.Lookup("k"); !ok || got != "new" {
		t.Errorf("after the background refresh: %q, %v; want new, fresh", got, ok)
	}
	if len(staleErrs) != 0 {
		t.Errorf("OnStale called for %v; the refresh did not fail", staleErrs)
	}

	// A background refresh that fails is reported once, and the stale
	// value is still served.
	now = now.Add(2 * time.Second)
	if got, err := c.Get(ctx, "k", hanging); got != "new" || err != nil {
		t.Fatalf("Get: %q, %v; want the stale value", got, err)
	}
	errDown := errors.New("AWS is down")
	release <- errDown
	waitFlight(c, "k")
	if len(staleErrs) != 1 || staleErrs[0] != errDown {
		t.Errorf("OnStale called for %v, want once for the refresh's error", staleErrs)
	}
	if got, err := c.Get(ctx, "k", func(context.Context) (string, error) { return "", errDown }); got != "new" || err != nil {
		t.Errorf("Get after the failed refresh: %q, %v; want the stale value", got, err)
	}
}

// TestStaleWaitNeedsStale: StaleWait does not make a Get give up on a key
// with nothing stale to serve: it waits for the fetch.
func TestStaleWaitNeedsStale(t *testing.T) {
	now := time.Unix(0, 0)
	c := New[string](Options{TTL: time.Second, Stale: time.Minute, StaleWait: time.Nanosecond, Now: func() time.Time { return now }})
	release := make(chan struct{})
	fetch := func(context.Context) (string, error) {
		<-release
		return "v", nil
	}
	done := make(chan string)
	go func() {
		v, _ := c.Get(context.Background(), "missing", fetch)
		done <- v
	}()
	c.Set("expired", "old")
	now = now.Add(2 * time.Minute) // past the grace too
	go func() {
		v, _ := c.Get(context.Background(), "expired", fetch)
		done <- v
	}()
	close(release)
	for range 2 {
		if v := <-done; v != "v" {
			t.Errorf("Get = %q, want the fetched value", v)
		}
	}
}

// waitFlight returns once key's shared fetch, if one is running, has
// ended and stored its result.
func waitFlight(c *Cache[string], key string) {
	<-c.group.DoChan(key, func() (any, error) { return "", nil })
}

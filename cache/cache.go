// Package cache owns the memo of fetched values: one fetch per key however
// many callers ask at once (singleflight), entries that expire after a TTL,
// a bound on how many entries are kept, and the serving of a stale value
// for a bounded grace period when a refresh fails.
//
// The entrypoint uses it as a per-run memo (no TTL); the sidecar server uses
// it with a TTL. Keys are strings; values are whatever the caller fetches.
package cache

import (
	"container/list"
	"context"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// Options configure a Cache. The zero value is a memo whose entries never
// expire and whose size is unbounded.
type Options struct {
	// TTL is how long an entry is fresh. Zero means forever.
	TTL time.Duration
	// Stale is how long past its TTL an entry may still be served when a
	// refresh fails. Zero means never.
	Stale time.Duration
	// ServeStale, if set, says which refresh errors a stale entry may
	// cover; the others are returned although a stale entry exists. Nil
	// means every error.
	ServeStale func(err error) bool
	// Evict, if set, says which fetch errors remove the entry, so that
	// neither a later Get nor the stale grace serves it again: an answer
	// that says the value may no longer be read. Evict is asked before
	// ServeStale. Nil means no error evicts.
	Evict func(err error) bool
	// MaxEntries bounds the number of entries; the least recently used
	// entry is evicted first. Zero means no bound.
	MaxEntries int
	// StaleWait, when positive, makes a refresh of an entry within the
	// stale grace a background one (stale-while-revalidate): Get waits
	// for the refresh at most StaleWait from its start, then returns the
	// stale value while the refresh goes on, shared with later calls, and
	// stores its value when it succeeds. Zero means Get waits for the
	// refresh to end, however long it takes.
	StaleWait time.Duration
	// OnStale, if set, is called once per failed refresh of an entry whose
	// stale value is then served, with the refresh's error.
	OnStale func(key string, err error)
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// A Cache memoises values of type V by key. It is safe for concurrent use.
type Cache[V any] struct {
	opts  Options
	group singleflight.Group

	mu         sync.Mutex
	items      map[string]*list.Element // of *entry[V]
	lru        list.List                // front: most recently used
	refreshing map[string]time.Time     // when each key's shared fetch started
}

type entry[V any] struct {
	key     string
	value   V
	fetched time.Time
}

// New returns an empty cache.
func New[V any](opts Options) *Cache[V] {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Cache[V]{opts: opts, items: make(map[string]*list.Element), refreshing: make(map[string]time.Time)}
}

// Get returns the value for key, calling fetch when there is no fresh
// entry. Concurrent calls for one key share a single fetch; each caller
// stops waiting when its own ctx is done. The fetch runs with the values and
// deadline of the caller that started it, but not its cancellation, so that
// one caller going away does not fail the others. When fetch fails, with an
// error Options.ServeStale accepts, and the entry is stale by no more than
// Options.Stale, the stale value is returned with a nil error; when it
// fails with an error Options.Evict accepts, the entry is removed first.
// With Options.StaleWait, a stale value is also returned when the fetch
// has not ended StaleWait after it started, and the fetch goes on.
func (c *Cache[V]) Get(ctx context.Context, key string, fetch func(context.Context) (V, error)) (V, error) {
	if v, ok := c.lookup(key, c.opts.TTL); ok {
		return v, nil
	}
	ch := c.group.DoChan(key, func() (any, error) {
		if v, ok := c.lookup(key, c.opts.TTL); ok {
			return v, nil // fetched by a call that finished just now
		}
		c.mu.Lock()
		c.refreshing[key] = time.Now()
		c.mu.Unlock()
		defer func() {
			c.mu.Lock()
			delete(c.refreshing, key)
			c.mu.Unlock()
		}()
		v, err := c.fetch(ctx, key, fetch)
		if err != nil && c.servesStale(err) && c.opts.OnStale != nil {
			if _, ok := c.stale(key); ok {
				c.opts.OnStale(key, err)
			}
		}
		return v, err
	})
	var zero V
	select {
	case <-ctx.Done():
		return zero, ctx.Err()
	case <-c.staleWait(key):
		if v, ok := c.stale(key); ok {
			return v, nil
		}
	case res := <-ch:
		return c.answer(key, res)
	}
	// The entry went while this call waited: wait for the fetch.
	select {
	case <-ctx.Done():
		return zero, ctx.Err()
	case res := <-ch:
		return c.answer(key, res)
	}
}

// answer turns the result of key's shared fetch into Get's answer.
func (c *Cache[V]) answer(key string, res singleflight.Result) (V, error) {
	if res.Err == nil {
		return res.Val.(V), nil
	}
	if c.servesStale(res.Err) {
		if v, ok := c.stale(key); ok {
			return v, nil
		}
	}
	var zero V
	return zero, res.Err
}

// servesStale reports whether a stale value may cover the fetch error err.
func (c *Cache[V]) servesStale(err error) bool {
	return c.opts.ServeStale == nil || c.opts.ServeStale(err)
}

// staleWait returns a channel that is ready when a Get of key has waited
// long enough for the shared fetch and may serve a stale value instead:
// Options.StaleWait after the fetch started. It is never ready without
// StaleWait or a stale value to serve.
func (c *Cache[V]) staleWait(key string) <-chan time.Time {
	if c.opts.StaleWait <= 0 {
		return nil
	}
	if _, ok := c.stale(key); !ok {
		return nil
	}
	c.mu.Lock()
	started, ok := c.refreshing[key]
	c.mu.Unlock()
	if !ok {
		started = time.Now() // the fetch is about to start
	}
	return time.After(max(c.opts.StaleWait-time.Since(started), 0))
}

// Refresh calls fetch whatever the cache holds for key, and stores its
// value; when fetch fails with an error Options.Evict accepts, it removes
// the entry. It neither shares the call with others nor serves a stale
// value: it is for a caller who asked for the current value. The fetch
// runs as Get's does, detached from ctx's cancellation.
func (c *Cache[V]) Refresh(ctx context.Context, key string, fetch func(context.Context) (V, error)) (V, error) {
	return c.fetch(ctx, key, fetch)
}

// fetch calls fetch for key and stores its value, or evicts the entry
// when its error says so.
func (c *Cache[V]) fetch(ctx context.Context, key string, fetch func(context.Context) (V, error)) (V, error) {
	fctx, cancel := fetchContext(ctx)
	defer cancel()
	v, err := fetch(fctx)
	switch {
	case err == nil:
		c.Set(key, v)
	case c.opts.Evict != nil && c.opts.Evict(err):
		c.Delete(key)
	}
	return v, err
}

// Delete removes the entry for key, if there is one.
func (c *Cache[V]) Delete(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.lru.Remove(el)
		delete(c.items, key)
	}
}

// Lookup returns the fresh value for key, if there is one.
func (c *Cache[V]) Lookup(key string) (V, bool) {
	return c.lookup(key, c.opts.TTL)
}

// Set stores value under key, fresh from now.
func (c *Cache[V]) Set(key string, value V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := &entry[V]{key: key, value: value, fetched: c.opts.Now()}
	if el, ok := c.items[key]; ok {
		el.Value = e
		c.lru.MoveToFront(el)
		return
	}
	c.items[key] = c.lru.PushFront(e)
	for c.opts.MaxEntries > 0 && c.lru.Len() > c.opts.MaxEntries {
		oldest := c.lru.Back()
		c.lru.Remove(oldest)
		delete(c.items, oldest.Value.(*entry[V]).key)
	}
}

// Len returns the number of entries, fresh or not.
func (c *Cache[V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// lookup returns the value for key if it was fetched no longer than maxAge
// ago (any age when the TTL is zero).
func (c *Cache[V]) lookup(key string, maxAge time.Duration) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var zero V
	el, ok := c.items[key]
	if !ok {
		return zero, false
	}
	e := el.Value.(*entry[V])
	if c.opts.TTL > 0 && c.opts.Now().Sub(e.fetched) >= maxAge {
		return zero, false
	}
	c.lru.MoveToFront(el)
	return e.value, true
}

// stale returns the value for key if it is within the stale grace period.
func (c *Cache[V]) stale(key string) (V, bool) {
	if c.opts.Stale <= 0 {
		var zero V
		return zero, false
	}
	return c.lookup(key, c.opts.TTL+c.opts.Stale)
}

// fetchContext is ctx without its cancellation but with its deadline.
func fetchContext(ctx context.Context) (context.Context, context.CancelFunc) {
	detached := context.WithoutCancel(ctx)
	if deadline, ok := ctx.Deadline(); ok {
		return context.WithDeadline(detached, deadline)
	}
	return detached, func() {}
}

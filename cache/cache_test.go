package cache_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valuefrom/valuefrom/cache"
)

// clock is a manual clock for Options.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// joinCtx reports on joined the first time Get asks for its Done channel.
// Get does that only after it has started or joined the shared fetch, so a
// report means the caller is waiting on that fetch.
type joinCtx struct {
	context.Context
	once   sync.Once
	joined chan<- struct{}
}

func (c *joinCtx) Done() <-chan struct{} {
	c.once.Do(func() { c.joined <- struct{}{} })
	return c.Context.Done()
}

// result is what a Get returned.
type result struct {
	v   string
	err error
}

// goGet calls c.Get for key "k" in a goroutine; the channel gets what it
// returned.
func goGet(ctx context.Context, c *cache.Cache[string], fetch func(context.Context) (string, error)) <-chan result {
	done := make(chan result, 1)
	go func() {
		v, err := c.Get(ctx, "k", fetch)
		done <- result{v, err}
	}()
	return done
}

// wantCalls checks that fetch ran want times.
func wantCalls(t *testing.T, calls *atomic.Int32, want int32) {
	t.Helper()
	if got := calls.Load(); got != want {
		t.Errorf("fetch calls = %d, want %d", got, want)
	}
}

// counter returns a fetch that counts its calls and returns value.
func counter(value string) (fetch func(context.Context) (string, error), calls *atomic.Int32) {
	calls = new(atomic.Int32)
	return func(context.Context) (string, error) {
		calls.Add(1)
		return value, nil
	}, calls
}

func TestMemoFetchesOnce(t *testing.T) {
	c := cache.New[string](cache.Options{})
	fetch, calls := counter("v1")
	for i := range 5 {
		got, err := c.Get(t.Context(), "k", fetch)
		if err != nil {
			t.Fatalf("Get #%d: %v", i, err)
		}
		if got != "v1" {
			t.Errorf("Get #%d = %q, want %q", i, got, "v1")
		}
	}
	wantCalls(t, calls, 1)
	if got := c.Len(); got != 1 {
		t.Errorf("Len = %d, want 1", got)
	}
}

func TestTTL(t *testing.T) {
	clk := newClock()
	c := cache.New[string](cache.Options{TTL: time.Minute, Now: clk.Now})
	n := 0
	fetch := func(context.Context) (string, error) {
		n++
		return fmt.Sprintf("v%d", n), nil
	}
	steps := []struct {
		name      string
		advance   time.Duration
		want      string
		wantCalls int
		wantFresh bool // Lookup after the Get
	}{
		{"first get fetches", 0, "v1", 1, true},
		{"within ttl is cached", 59 * time.Second, "v1", 1, true},
		{"at ttl refetches", time.Second, "v2", 2, true},
		{"cached again after refetch", 30 * time.Second, "v2", 2, true},
	}
	for _, s := range steps {
		clk.Advance(s.advance)
		got, err := c.Get(t.Context(), "k", fetch)
		if err != nil {
			t.Fatalf("%s: Get: %v", s.name, err)
		}
		if got != s.want {
			t.Errorf("%s: Get = %q, want %q", s.name, got, s.want)
		}
		if n != s.wantCalls {
			t.Errorf("%s: fetch calls = %d, want %d", s.name, n, s.wantCalls)
		}
	}
}

func TestLookupExpires(t *testing.T) {
	clk := newClock()
	c := cache.New[int](cache.Options{TTL: time.Minute, Now: clk.Now})
	if _, ok := c.Lookup("k"); ok {
		t.Fatalf("Lookup on empty cache: ok = true, want false")
	}
	c.Set("k", 7)
	if got, ok := c.Lookup("k"); !ok || got != 7 {
		t.Errorf("Lookup fresh = %d, %v; want 7, true", got, ok)
	}
	clk.Advance(time.Minute)
	if _, ok := c.Lookup("k"); ok {
		t.Errorf("Lookup at TTL: ok = true, want false")
	}
	if got := c.Len(); got != 1 {
		t.Errorf("Len after expiry = %d, want 1 (expired entries are kept for stale serving)", got)
	}
}

// TestSingleFlight starts 100 callers for one key and lets the fetch
// return only once all of them are waiting on it.
func TestSingleFlight(t *testing.T) {
	const callers = 100
	c := cache.New[string](cache.Options{})
	var calls atomic.Int32
	release := make(chan struct{})
	fetch := func(context.Context) (string, error) {
		calls.Add(1)
		<-release
		return "shared", nil
	}

	joined := make(chan struct{}, callers)
	results := make([]<-chan result, callers)
	for i := range callers {
		results[i] = goGet(&joinCtx{Context: t.Context(), joined: joined}, c, fetch)
	}
	for range callers {
		<-joined
	}
	close(release)

	for i := range callers {
		r := <-results[i]
		if r.err != nil {
			t.Errorf("caller %d: Get: %v", i, r.err)
		} else if r.v != "shared" {
			t.Errorf("caller %d: Get = %q, want %q", i, r.v, "shared")
		}
	}
	wantCalls(t, &calls, 1)
}

// TestCancelledWaiter: a caller that joined a fetch stops waiting when its
// ctx is done; the fetch carries on for the caller that started it.
func TestCancelledWaiter(t *testing.T) {
	c := cache.New[string](cache.Options{})
	started := make(chan struct{})
	release := make(chan struct{})
	var calls atomic.Int32
	fetch := func(context.Context) (string, error) {
		calls.Add(1)
		close(started)
		<-release
		return "v", nil
	}

	firstDone := goGet(context.Background(), c, fetch)
	<-started

	joined := make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	waiterDone := goGet(&joinCtx{Context: ctx, joined: joined}, c, fetch)
	<-joined
	cancel()
	if r := <-waiterDone; !errors.Is(r.err, context.Canceled) {
		t.Errorf("cancelled waiter: err = %v, want %v", r.err, context.Canceled)
	}

	select {
	case r := <-firstDone:
		t.Fatalf("first caller returned (err %v) before the fetch was released", r.err)
	default:
	}
	close(release)
	first := <-firstDone
	if first.err != nil {
		t.Fatalf("first caller: %v", first.err)
	}
	if first.v != "v" {
		t.Errorf("first caller got %q, want %q", first.v, "v")
	}
	if got, ok := c.Lookup("k"); !ok || got != "v" {
		t.Errorf("Lookup after fetch = %q, %v; want %q, true", got, ok, "v")
	}
	wantCalls(t, &calls, 1)
}

// TestCancelledStarterDoesNotFailOthers: when the caller that started a
// shared fetch goes away, the callers still waiting must get the value, not
// the first caller's cancellation.
func TestCancelledStarterDoesNotFailOthers(t *testing.T) {
	c := cache.New[string](cache.Options{})
	started := make(chan struct{})
	release := make(chan struct{})
	fetchCtx := make(chan context.Context, 1)
	fetch := func(ctx context.Context) (string, error) {
		fetchCtx <- ctx
		close(started)
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-release:
			return "v", nil
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	starterDone := goGet(ctx, c, fetch)
	<-started

	joined := make(chan struct{}, 1)
	other := goGet(&joinCtx{Context: context.Background(), joined: joined}, c, fetch)
	<-joined

	cancel()
	if r := <-starterDone; !errors.Is(r.err, context.Canceled) {
		t.Errorf("starter: err = %v, want %v", r.err, context.Canceled)
	}
	if err := (<-fetchCtx).Err(); err != nil {
		t.Errorf("shared fetch ctx: err = %v after the starting caller cancelled, want nil (other callers are still waiting)", err)
	}
	close(release)
	r := <-other
	if r.err != nil || r.v != "v" {
		t.Errorf("other caller: Get = %q, %v; want %q, nil", r.v, r.err, "v")
	}
}

func TestMaxEntriesEvictsLRU(t *testing.T) {
	c := cache.New[string](cache.Options{MaxEntries: 2})
	c.Set("a", "A")
	c.Set("b", "B")
	if _, ok := c.Lookup("a"); !ok { // a is now the most recently used
		t.Fatalf("Lookup(a) before eviction: ok = false, want true")
	}
	c.Set("c", "C") // evicts b

	if got := c.Len(); got != 2 {
		t.Errorf("Len = %d, want 2", got)
	}
	tests := []struct {
		key    string
		wantOK bool
	}{
		{"a", true},
		{"b", false},
		{"c", true},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if _, ok := c.Lookup(tt.key); ok != tt.wantOK {
				t.Errorf("Lookup(%q): ok = %v, want %v", tt.key, ok, tt.wantOK)
			}
		})
	}
}

func TestMaxEntriesThroughGet(t *testing.T) {
	c := cache.New[string](cache.Options{MaxEntries: 2})
	var calls atomic.Int32
	fetch := func(key string) func(context.Context) (string, error) {
		return func(context.Context) (string, error) {
			calls.Add(1)
			return "value of " + key, nil
		}
	}
	for _, k := range []string{"a", "b", "a", "c", "a"} {
		got, err := c.Get(t.Context(), k, fetch(k))
		if err != nil {
			t.Fatalf("Get(%q): %v", k, err)
		}
		if want := "value of " + k; got != want {
			t.Errorf("Get(%q) = %q, want %q", k, got, want)
		}
	}
	// a, b, c fetched once each; a stayed recently used, so c evicted b.
	wantCalls(t, &calls, 3)
	if _, ok := c.Lookup("b"); ok {
		t.Errorf("Lookup(b): ok = true, want false (least recently used, evicted)")
	}
}

func TestSetReplaces(t *testing.T) {
	c := cache.New[string](cache.Options{MaxEntries: 2})
	c.Set("a", "1")
	c.Set("a", "2")
	if got := c.Len(); got != 1 {
		t.Errorf("Len = %d, want 1", got)
	}
	if got, _ := c.Lookup("a"); got != "2" {
		t.Errorf("Lookup(a) = %q, want %q", got, "2")
	}
}

func TestStale(t *testing.T) {
	errRefresh := errors.New("refresh failed")
	tests := []struct {
		name        string
		stale       time.Duration
		age         time.Duration // since the value was fetched
		want        string
		wantErr     error
		wantOnStale bool
	}{
		{"within grace serves stale", time.Minute, 90 * time.Second, "old", nil, true},
		{"just before grace ends", time.Minute, 2*time.Minute - time.Nanosecond, "old", nil, true},
		{"past grace returns error", time.Minute, 2 * time.Minute, "", errRefresh, false},
		{"long past grace", time.Minute, time.Hour, "", errRefresh, false},
		{"no grace returns error", 0, 61 * time.Second, "", errRefresh, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			var staleKey string
			var staleErr error
			onStale := 0
			c := cache.New[string](cache.Options{
				TTL:   time.Minute,
				Stale: tt.stale,
				Now:   clk.Now,
				OnStale: func(key string, err error) {
					onStale++
					staleKey, staleErr = key, err
				},
			})
			if _, err := c.Get(t.Context(), "k", func(context.Context) (string, error) { return "old", nil }); err != nil {
				t.Fatalf("first Get: %v", err)
			}
			clk.Advance(tt.age)

			got, err := c.Get(t.Context(), "k", func(context.Context) (string, error) { return "", errRefresh })
			if got != tt.want {
				t.Errorf("Get = %q, want %q", got, tt.want)
			}
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Errorf("Get err = %v, want %v", err, tt.wantErr)
			}
			if tt.wantOnStale {
				if onStale != 1 {
					t.Fatalf("OnStale calls = %d, want 1", onStale)
				}
				if staleKey != "k" {
					t.Errorf("OnStale key = %q, want %q", staleKey, "k")
				}
				if !errors.Is(staleErr, errRefresh) {
					t.Errorf("OnStale err = %v, want %v", staleErr, errRefresh)
				}
			} else if onStale != 0 {
				t.Errorf("OnStale calls = %d, want 0", onStale)
			}
		})
	}
}

func TestErrorsAreNotCached(t *testing.T) {
	c := cache.New[string](cache.Options{})
	errFetch := errors.New("boom")
	results := []struct {
		v   string
		err error
	}{
		{"", errFetch},
		{"", errFetch},
		{"ok", nil},
	}
	calls := 0
	fetch := func(context.Context) (string, error) {
		r := results[calls]
		calls++
		return r.v, r.err
	}
	for i, want := range results {
		got, err := c.Get(t.Context(), "k", fetch)
		if got != want.v || !errors.Is(err, want.err) || (want.err == nil && err != nil) {
			t.Errorf("Get #%d = %q, %v; want %q, %v", i, got, err, want.v, want.err)
		}
		if calls != i+1 {
			t.Errorf("after Get #%d: fetch calls = %d, want %d", i, calls, i+1)
		}
	}
	if got := c.Len(); got != 1 {
		t.Errorf("Len = %d, want 1 (only the success is kept)", got)
	}
	// Now cached.
	if got, err := c.Get(t.Context(), "k", fetch); got != "ok" || err != nil {
		t.Errorf("Get after success = %q, %v; want %q, nil", got, err, "ok")
	}
	if calls != 3 {
		t.Errorf("fetch calls = %d, want 3", calls)
	}
}

func ExampleCache() {
	c := cache.New[string](cache.Options{})
	fetches := 0
	fetch := func(context.Context) (string, error) {
		fetches++
		return "postgres://app@db/app", nil
	}
	for range 3 {
		v, err := c.Get(context.Background(), "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db", fetch)
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		fmt.Println(v)
	}
	fmt.Println("fetches:", fetches)
	// Output:
	// postgres://app@db/app
	// postgres://app@db/app
	// postgres://app@db/app
	// fetches: 1
}

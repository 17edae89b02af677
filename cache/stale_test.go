package cache

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestServeStale(t *testing.T) {
	errTransient, errFinal := errors.New("transient"), errors.New("final")
	now := time.Unix(0, 0)
	var staleFor []error
	c := New[string](Options{
		TTL: time.Second, Stale: time.Minute,
		Now:        func() time.Time { return now },
		ServeStale: func(err error) bool { return err == errTransient },
		OnStale:    func(_ string, err error) { staleFor = append(staleFor, err) },
	})
	ctx := context.Background()
	c.Set("k", "cached")
	now = now.Add(2 * time.Second) // expired, within the grace
	tests := []struct {
		fetchErr error
		want     string
		wantErr  error
	}{
		{errTransient, "cached", nil},
		{errFinal, "", errFinal},
	}
	for _, tt := range tests {
		got, err := c.Get(ctx, "k", func(context.Context) (string, error) { return "", tt.fetchErr })
		if got != tt.want || err != tt.wantErr {
			t.Errorf("fetch failing with %v: got %q, %v; want %q, %v", tt.fetchErr, got, err, tt.want, tt.wantErr)
		}
	}
	if len(staleFor) != 1 || staleFor[0] != errTransient {
		t.Errorf("OnStale called for %v, want once for the transient error", staleFor)
	}
}

// TestEvict: an error Options.Evict accepts removes the entry, from Get
// and from Refresh alike, so that neither a later Get nor the stale grace
// serves the value again; other errors keep it.
func TestEvict(t *testing.T) {
	errTransient, errGone := errors.New("transient"), errors.New("gone")
	failWith := func(err error) func(context.Context) (string, error) {
		return func(context.Context) (string, error) { return "", err }
	}
	ctx := context.Background()
	newCache := func() (*Cache[string], *time.Time, *int) {
		now, staleServed := time.Unix(0, 0), 0
		c := New[string](Options{
			TTL: time.Second, Stale: time.Minute,
			Now:        func() time.Time { return now },
			ServeStale: func(err error) bool { return err == errTransient },
			Evict:      func(err error) bool { return err == errGone },
			OnStale:    func(string, error) { staleServed++ },
		})
		c.Set("k", "cached")
		return c, &now, &staleServed
	}

	t.Run("Get past the TTL", func(t *testing.T) {
		c, now, staleServed := newCache()
		*now = now.Add(2 * time.Second)
		if _, err := c.Get(ctx, "k", failWith(errGone)); err != errGone {
			t.Fatalf("Get: %v, want the fetch's error", err)
		}
		if c.Len() != 0 {
			t.Errorf("%d entries after an evicting error, want 0", c.Len())
		}
		if got, err := c.Get(ctx, "k", failWith(errTransient)); err != errTransient || got != "" || *staleServed != 0 {
			t.Errorf("transient failure after the eviction: got %q, %v (stale served %d times); want the error, no value",
				got, err, *staleServed)
		}
	})
	t.Run("Refresh of a fresh entry", func(t *testing.T) {
		c, _, staleServed := newCache()
		if _, err := c.Refresh(ctx, "k", failWith(errGone)); err != errGone {
			t.Fatalf("Refresh: %v, want the fetch's error", err)
		}
		if _, ok := c.Lookup("k"); ok {
			t.Error("the entry is still fresh after an evicting error")
		}
		got, err := c.Get(ctx, "k", failWith(errTransient))
		if err != errTransient || got != "" || *staleServed != 0 {
			t.Errorf("Get after the eviction: got %q, %v; want the fetch's error and no value", got, err)
		}
	})
	t.Run("Refresh failing transiently", func(t *testing.T) {
		c, _, _ := newCache()
		if _, err := c.Refresh(ctx, "k", failWith(errTransient)); err != errTransient {
			t.Fatalf("Refresh: %v, want the fetch's error (no stale value for a refresh)", err)
		}
		if got, ok := c.Lookup("k"); !ok || got != "cached" {
			t.Errorf("Lookup after a transient failure: %q, %v; want the cached value kept", got, ok)
		}
	})
	t.Run("Refresh succeeding", func(t *testing.T) {
		c, _, _ := newCache()
		calls := 0
		got, err := c.Refresh(ctx, "k", func(context.Context) (string, error) { calls++; return "new", nil })
		if err != nil || got != "new" || calls != 1 {
			t.Fatalf("Refresh: %q, %v after %d calls; want new, nil after 1", got, err, calls)
		}
		if got, ok := c.Lookup("k"); !ok || got != "new" {
			t.Errorf("Lookup after Refresh: %q, %v; want the new value", got, ok)
		}
	})
}

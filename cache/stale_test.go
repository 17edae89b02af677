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

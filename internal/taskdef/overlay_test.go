package taskdef

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// endsWhenAsked is a context that ends the first time its Err is asked:
// a signal that comes after the task definition was read, but before
// Overlay looked at ctx.
type endsWhenAsked struct {
	context.Context
	once sync.Once
	done chan struct{}
}

func newEndsWhenAsked() *endsWhenAsked {
	return &endsWhenAsked{Context: context.Background(), done: make(chan struct{})}
}

func (c *endsWhenAsked) Done() <-chan struct{} { return c.done }

func (c *endsWhenAsked) Err() error {
	c.once.Do(func() { close(c.done) })
	return context.Canceled
}

// TestOverlayEndedAfterTheRead: a context that ends once the file is read
// is still an error, never a nil container with no error, which the
// caller would read (and panic on).
func TestOverlayEndedAfterTheRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "td.json")
	if err := os.WriteFile(path, []byte(`{"name":"app","environment":[{"name":"A","value":"1"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	env, c, err := Overlay(newEndsWhenAsked(), path, "", nil, slog.New(slog.DiscardHandler))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Overlay = %q, %v, %v; want an error wrapping context.Canceled", env, c, err)
	}
}

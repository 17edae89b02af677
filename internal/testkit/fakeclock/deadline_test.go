package fakeclock

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestDeadlines(t *testing.T) {
	var f Deadlines
	ctx, cancel := f.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	child, stop := context.WithCancel(ctx)
	defer stop()
	if d, ok := ctx.Deadline(); !ok || time.Until(d) < 59*time.Minute {
		t.Errorf("Deadline = %v, %v; want about an hour from now", d, ok)
	}
	select {
	case <-ctx.Done():
		t.Fatal("done before Expire")
	default:
	}
	if ctx.Err() != nil {
		t.Fatalf("Err = %v before Expire", ctx.Err())
	}
	f.Expire()
	<-ctx.Done()
	<-child.Done()
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) || !errors.Is(child.Err(), context.DeadlineExceeded) {
		t.Errorf("Err = %v, child's %v; want context.DeadlineExceeded for both", ctx.Err(), child.Err())
	}
	// Made after Expire: already past its deadline.
	late, cancel2 := f.WithTimeout(context.Background(), time.Hour)
	defer cancel2()
	if !errors.Is(late.Err(), context.DeadlineExceeded) {
		t.Errorf("a context made after Expire: Err = %v", late.Err())
	}
}

func TestDeadlinesCancel(t *testing.T) {
	var f Deadlines
	parent, cancelParent := context.WithCancel(context.Background())
	ctx, cancel := f.WithTimeout(parent, time.Hour)
	defer cancel()
	cancelParent()
	<-ctx.Done()
	if !errors.Is(ctx.Err(), context.Canceled) {
		t.Errorf("after the parent's cancel: Err = %v, want context.Canceled", ctx.Err())
	}
	f.Expire() // changes nothing now
	if !errors.Is(ctx.Err(), context.Canceled) {
		t.Errorf("after Expire: Err = %v, want context.Canceled still", ctx.Err())
	}

	var g Deadlines
	ctx, cancel = g.WithTimeout(context.Background(), time.Hour)
	cancel()
	if !errors.Is(ctx.Err(), context.Canceled) {
		t.Errorf("after cancel: Err = %v, want context.Canceled", ctx.Err())
	}
}

package awsapi

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// A CallError is the error of one AWS call made with a configuration from
// LoadConfig, with what its attempts saw: how many were sent, where to, and
// the error of the last one that failed on its own.
//
// The SDK retries a call until it succeeds, runs out of attempts, or its
// context ends. In the last case all it returns is the context's error,
// "context deadline exceeded", which hides why every attempt failed
// (connection refused, a TLS or DNS failure, an HTTP status): Last keeps
// that cause, and Classify reports it.
type CallError struct {
	Err      error  // the call's error, as the SDK returned it
	Last     error  // the last attempt's own error, when the context ended the call after it; else nil
	Attempts int    // attempts sent
	Endpoint string // the host, and port if any, of the last attempt; empty when none was sent
	// Waiting says an attempt was still waiting for its answer when the
	// context ended the call.
	Waiting bool
}

func (e *CallError) Error() string {
	if !e.ended() {
		return e.Err.Error()
	}
	when := "at the deadline"
	if errors.Is(e.Err, context.Canceled) {
		when = "when canceled"
	}
	switch {
	case e.Last == nil && e.Waiting:
		return fmt.Sprintf("no answer from %s %s (attempt %d was still waiting)", e.Endpoint, when, e.Attempts)
	case e.Last == nil:
		return e.Err.Error()
	case e.Waiting:
		return fmt.Sprintf("stopped %s during attempt %d to %s; attempt %d failed: %s", when, e.Attempts, e.Endpoint, e.Attempts-1, Cause(e.Last))
	}
	return fmt.Sprintf("stopped %s after %d %s to %s; the last failed: %s", when, e.Attempts, plural(e.Attempts, "attempt", "attempts"), e.Endpoint, Cause(e.Last))
}

// Unwrap returns the call's error and, when there is one, the last
// attempt's.
func (e *CallError) Unwrap() []error {
	if e.Last == nil {
		return []error{e.Err}
	}
	return []error{e.Err, e.Last}
}

// ended reports whether the context ended the call.
func (e *CallError) ended() bool {
	return errors.Is(e.Err, context.DeadlineExceeded) || errors.Is(e.Err, context.Canceled)
}

// A Tracker watches every AWS call made with a configuration from
// LoadConfig whose Options name it, so that a long wait can be explained
// while it lasts. It is safe for concurrent use.
type Tracker struct {
	mu       sync.Mutex
	inFlight int
	attempts int
	last     error
	endpoint string
}

// Progress is what a Tracker has seen so far.
type Progress struct {
	InFlight  int    // calls started and not ended
	Attempts  int    // attempts sent, by every call
	LastError string // the latest attempt's failure, as Cause words it; empty if none failed
	Endpoint  string // the host the latest attempt went to
}

// Progress returns what t has seen so far.
func (t *Tracker) Progress() Progress {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := Progress{InFlight: t.inFlight, Attempts: t.attempts, Endpoint: t.endpoint}
	if t.last != nil {
		p.LastError = Cause(t.last)
	}
	return p
}

func (t *Tracker) update(f func(t *Tracker)) {
	if t != nil {
		t.mu.Lock()
		defer t.mu.Unlock()
		f(t)
	}
}

// trackCalls is the middleware that makes CallErrors and feeds a Tracker:
// one part around the whole call, one around each attempt.
type trackCalls struct{ tracker *Tracker }

const (
	trackCallID    = "valuefrom.TrackCall"
	trackAttemptID = "valuefrom.TrackAttempt"
)

// addTo adds the middleware to stack, once.
func (m trackCalls) addTo(stack *middleware.Stack) error {
	if _, ok := stack.Initialize.Get(trackCallID); ok {
		return nil
	}
	if err := stack.Initialize.Add(trackCall(m), middleware.Before); err != nil {
		return err
	}
	// Last in the finalize step: after the retry loop, the endpoint and
	// the signature, so once per attempt with its final URL.
	return stack.Finalize.Add(trackAttempt(m), middleware.After)
}

// callState is one call's record of its attempts.
type callState struct {
	mu       sync.Mutex
	attempts int
	waiting  bool
	endpoint string
	last     error
}

type callStateKey struct{}

type trackCall trackCalls

func (trackCall) ID() string { return trackCallID }

func (m trackCall) HandleInitialize(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (
	middleware.InitializeOutput, middleware.Metadata, error,
) {
	st := &callState{}
	m.tracker.update(func(t *Tracker) { t.inFlight++ })
	defer m.tracker.update(func(t *Tracker) { t.inFlight-- })
	out, md, err := next.HandleInitialize(context.WithValue(ctx, callStateKey{}, st), in)
	if err != nil {
		st.mu.Lock()
		err = &CallError{Err: err, Last: st.last, Attempts: st.attempts, Endpoint: st.endpoint, Waiting: st.waiting}
		st.mu.Unlock()
	}
	return out, md, err
}

type trackAttempt trackCalls

func (trackAttempt) ID() string { return trackAttemptID }

func (m trackAttempt) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (
	middleware.FinalizeOutput, middleware.Metadata, error,
) {
	st, _ := ctx.Value(callStateKey{}).(*callState)
	if st == nil {
		return next.HandleFinalize(ctx, in)
	}
	host := ""
	if req, ok := in.Request.(*smithyhttp.Request); ok && req.URL != nil {
		host = req.URL.Host
	}
	st.mu.Lock()
	st.attempts++
	st.waiting, st.endpoint = true, host
	st.mu.Unlock()
	m.tracker.update(func(t *Tracker) { t.attempts++; t.endpoint = host })

	out, md, err := next.HandleFinalize(ctx, in)

	st.mu.Lock()
	defer st.mu.Unlock()
	// An attempt that failed because the context ended is no cause: the
	// cause is what the attempts before it met.
	if err != nil && ctx.Err() != nil {
		return out, md, err
	}
	st.waiting = false
	if err != nil {
		st.last = err
		m.tracker.update(func(t *Tracker) { t.last = err })
		AttemptFailed(ctx, err)
	}
	return out, md, err
}

type attemptHookKey struct{}

// OnAttemptFailed returns a ctx whose AWS calls, made with a configuration
// from LoadConfig, call f with the error of each attempt that fails, while
// the SDK may still retry it: a caller can act on a failing endpoint before
// the call gives up.
func OnAttemptFailed(ctx context.Context, f func(error)) context.Context {
	return context.WithValue(ctx, attemptHookKey{}, f)
}

// AttemptFailed reports an attempt's error to ctx's OnAttemptFailed hook,
// if any.
func AttemptFailed(ctx context.Context, err error) {
	if f, ok := ctx.Value(attemptHookKey{}).(func(error)); ok {
		f(err)
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

package awsapi

import (
	"context"
	"sync"

	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// A credTrace records what the HTTP attempts of a credential source met
// while CheckCredentials retrieves credentials: the container endpoint's,
// instance metadata's and STS's answers, which the SDK's errors lose (a
// status behind "failed to load credentials", an IMDSv2 token request
// that went unanswered before the SDK fell back to IMDSv1). It records
// methods, hosts, paths, statuses and transport errors: no header and no
// body, so no token or credential. It is safe for concurrent use: the
// SDK goes on retrieving in the background after the deadline.
type credTrace struct {
	mu     sync.Mutex
	calls  attemptLog // every attempt but IMDSv2's token requests
	tokens attemptLog // IMDSv2's token requests
}

// An attemptLog counts attempts and keeps the telling ones.
type attemptLog struct {
	sent, answered int
	latest         *credAttempt // the latest sent
	// last is the latest that ended on its own, with an answer or an
	// error of its own: an attempt cut short by the end of its call's
	// context says nothing about the source (trackAttempt's rule).
	last *credAttempt
}

// A credAttempt is one HTTP attempt of a credential source.
type credAttempt struct {
	Method, Host, Path string
	Status             int    // the answer's status; 0 when none came
	ContentType        string // the answer's
	Err                error  // the transport's error, when no answer came
	Done               bool   // it ended on its own, with an answer or an error
}

// imdsTokenPath is where IMDSv2 hands out session tokens, to a PUT.
const imdsTokenPath = "/latest/api/token"

// attempts is a copy of what an attemptLog saw.
type attempts struct {
	Sent, Answered int
	Latest, Last   credAttempt // zero when none
}

func (l *attemptLog) copy() attempts {
	a := attempts{Sent: l.sent, Answered: l.answered}
	if l.latest != nil {
		a.Latest = *l.latest
	}
	if l.last != nil {
		a.Last = *l.last
	}
	return a
}

// traceSummary is a copy of what a credTrace saw.
type traceSummary struct{ Calls, Tokens attempts }

func (t *credTrace) summary() traceSummary {
	t.mu.Lock()
	defer t.mu.Unlock()
	return traceSummary{Calls: t.calls.copy(), Tokens: t.tokens.copy()}
}

type credTraceKey struct{}

// withCredTrace returns ctx, whose credential calls made with a
// configuration from LoadConfig are recorded in the trace returned.
func withCredTrace(ctx context.Context) (context.Context, *credTrace) {
	t := &credTrace{}
	return context.WithValue(ctx, credTraceKey{}, t), t
}

const traceCredentialsID = "valuefrom.TraceCredentials"

// traceCredentials adds to stack, once, the middleware that feeds the
// credTrace of a call's context, if any: last in the deserialize step,
// nearest the transport, so that it sees each attempt's raw answer.
func traceCredentials(stack *middleware.Stack) error {
	if _, ok := stack.Deserialize.Get(traceCredentialsID); ok {
		return nil
	}
	return stack.Deserialize.Add(credTraceMiddleware{}, middleware.After)
}

type credTraceMiddleware struct{}

func (credTraceMiddleware) ID() string { return traceCredentialsID }

func (credTraceMiddleware) HandleDeserialize(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (
	middleware.DeserializeOutput, middleware.Metadata, error,
) {
	t, _ := ctx.Value(credTraceKey{}).(*credTrace)
	req, ok := in.Request.(*smithyhttp.Request)
	if t == nil || !ok || req.URL == nil {
		return next.HandleDeserialize(ctx, in)
	}
	a := &credAttempt{Method: req.Method, Host: req.URL.Host, Path: req.URL.Path}
	log := &t.calls
	if a.Method == "PUT" && a.Path == imdsTokenPath {
		log = &t.tokens
	}
	t.mu.Lock()
	log.sent++
	log.latest = a
	t.mu.Unlock()

	out, md, err := next.HandleDeserialize(ctx, in)

	t.mu.Lock()
	defer t.mu.Unlock()
	// The SDK hands on an empty response, status 0, when none came.
	resp, _ := out.RawResponse.(*smithyhttp.Response)
	switch {
	case resp != nil && resp.Response != nil && resp.StatusCode != 0:
		a.Status, a.ContentType = resp.StatusCode, resp.Header.Get("Content-Type")
		log.answered++
	case ctx.Err() != nil:
		return out, md, err // cut short: no cause
	default:
		a.Err = err
	}
	a.Done = true
	log.last = a
	return out, md, err
}

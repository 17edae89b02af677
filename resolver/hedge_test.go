package resolver

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"

	"github.com/valuefrom/valuefrom/internal/awsapi"
)

var (
	errUnavailable = &smithy.GenericAPIError{Code: "ServiceUnavailable", Message: "try again", Fault: smithy.FaultServer}
	errNotFound    = &smithy.GenericAPIError{Code: "ResourceNotFoundException", Message: "no such secret"}
)

// fakeClock is the hedge delay's clock: each timer it makes fires when the
// test calls fire, and the test can wait until a timer is armed.
type fakeClock struct {
	armed chan chan time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{armed: make(chan chan time.Time, 16)} }

func (c *fakeClock) after(time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	c.armed <- ch
	return ch
}

// fire fires the timer armed next, waiting for it to be armed.
func (c *fakeClock) fire(t *testing.T) {
	t.Helper()
	receive(t, c.armed, "no hedge timer was armed") <- time.Time{}
}

// receive returns what comes on ch, or fails the test, saying what did
// not happen, when nothing has come after 10s.
func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatal(what)
		panic("unreachable")
	}
}

// regionCalls is a fake region per name: a call starts, is announced on
// started, and ends with what the test sends on its answer channel, or
// when its context is canceled, which is recorded.
type regionCalls struct {
	started  chan string
	answers  map[string]chan error
	mu       sync.Mutex
	canceled chan string // the regions whose call saw its cancellation
	inFlight map[string]context.Context
	maxExtra int // the most regions but the first in flight, and not canceled, at once
	// onStart, when set, is called once a call's start is recorded, before
	// it waits for its answer.
	onStart func(ctx context.Context, region string)
}

func newRegionCalls(regions ...string) *regionCalls {
	rc := &regionCalls{started: make(chan string, 16), answers: map[string]chan error{},
		canceled: make(chan string, 16), inFlight: map[string]context.Context{}}
	for _, r := range regions {
		rc.answers[r] = make(chan error, 1)
	}
	return rc
}

func (rc *regionCalls) try(ctx context.Context, region string) (string, error) {
	rc.mu.Lock()
	rc.inFlight[region] = ctx
	extra := 0
	for r, c := range rc.inFlight {
		if c.Err() == nil && r != "own" {
			extra++
		}
	}
	rc.maxExtra = max(rc.maxExtra, extra)
	rc.mu.Unlock()
	defer func() {
		rc.mu.Lock()
		delete(rc.inFlight, region)
		rc.mu.Unlock()
	}()
	rc.started <- region
	if rc.onStart != nil {
		rc.onStart(ctx, region)
	}
	select {
	case err := <-rc.answers[region]:
		if err != nil {
			return "", err
		}
		return "value from " + region, nil
	case <-ctx.Done():
		rc.canceled <- region
		return "", ctx.Err()
	}
}

// expectStart waits for region's call to start.
func (rc *regionCalls) expectStart(t *testing.T, region string) {
	t.Helper()
	if got := receive(t, rc.started, region+" was never asked"); got != region {
		t.Fatalf("%s was asked, want %s", got, region)
	}
}

// expectCanceled waits for a call to see its cancellation, and checks
// that it is region's, the loser's.
func (rc *regionCalls) expectCanceled(t *testing.T, region string) {
	t.Helper()
	if got := receive(t, rc.canceled, "the losing "+region+" was not canceled"); got != region {
		t.Errorf("%s was canceled, want the losing %s", got, region)
	}
}

// expectNoStart checks that no region's call has started.
func (rc *regionCalls) expectNoStart(t *testing.T) {
	t.Helper()
	select {
	case got := <-rc.started:
		t.Fatalf("%s was asked too early", got)
	default:
	}
}

type hedgeResult struct {
	value, region string
	err           error
}

// startHedge runs hedge over regions, each answered by a regionCalls, on
// a fake clock, and waits for the first region's call to start.
func startHedge(t *testing.T, regions ...string) (*regionCalls, *fakeClock, chan hedgeResult) {
	t.Helper()
	rc, clock := newRegionCalls(regions...), newFakeClock()
	done := make(chan hedgeResult, 1)
	go func() {
		v, region, err := hedge(context.Background(), regions, time.Hour, clock.after, rc.try, nil)
		done <- hedgeResult{v, region, err}
	}()
	rc.expectStart(t, regions[0])
	return rc, clock, done
}

func wait(t *testing.T, done chan hedgeResult) hedgeResult {
	t.Helper()
	return receive(t, done, "hedge did not return")
}

func TestHedgeSlowOwnRegionWins(t *testing.T) {
	rc, clock, done := startHedge(t, "own", "b")
	clock.fire(t)
	rc.expectStart(t, "b")
	rc.answers["own"] <- nil
	got := wait(t, done)
	if got.err != nil || got.region != "own" || got.value != "value from own" {
		t.Fatalf("hedge = %q from %s, %v; want the own region's value", got.value, got.region, got.err)
	}
	rc.expectCanceled(t, "b")
}

func TestHedgeWaitsForTheDelay(t *testing.T) {
	rc, clock, done := startHedge(t, "own", "b")
	// The delay's timer is armed, and has not fired: no hedge yet.
	armed := <-clock.armed
	rc.expectNoStart(t)
	armed <- time.Time{}
	rc.expectStart(t, "b")
	rc.answers["b"] <- nil
	got := wait(t, done)
	if got.err != nil || got.region != "b" {
		t.Fatalf("hedge = %s, %v; want b's value", got.region, got.err)
	}
	rc.expectCanceled(t, "own")
}

func TestHedgeTransientFailureAsksAtOnce(t *testing.T) {
	rc, _, done := startHedge(t, "own", "b")
	rc.answers["own"] <- errUnavailable
	rc.expectStart(t, "b") // no timer fired
	rc.answers["b"] <- nil
	if got := wait(t, done); got.err != nil || got.region != "b" {
		t.Fatalf("hedge = %s, %v; want b's value", got.region, got.err)
	}
}

func TestHedgeDefinitiveFailsClosed(t *testing.T) {
	t.Run("before any hedge", func(t *testing.T) {
		rc, _, done := startHedge(t, "own", "b")
		rc.answers["own"] <- errNotFound
		got := wait(t, done)
		if !errors.Is(got.err, errNotFound) {
			t.Fatalf("hedge error = %v, want the own region's not found", got.err)
		}
		rc.expectNoStart(t)
	})
	t.Run("with a hedge in flight", func(t *testing.T) {
		rc, clock, done := startHedge(t, "own", "b")
		clock.fire(t)
		rc.expectStart(t, "b")
		rc.answers["own"] <- errNotFound
		if got := wait(t, done); !errors.Is(got.err, errNotFound) {
			t.Fatalf("hedge error = %v, want the own region's not found", got.err)
		}
	})
}

func TestHedgeOneFallbackAtATime(t *testing.T) {
	rc, clock, done := startHedge(t, "own", "b", "c")
	clock.fire(t)
	rc.expectStart(t, "b")
	clock.fire(t) // b stalls too: c is asked, and b given up
	rc.expectStart(t, "c")
	rc.answers["c"] <- nil
	got := wait(t, done)
	if got.err != nil || got.region != "c" {
		t.Fatalf("hedge = %s, %v; want c's value", got.region, got.err)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.maxExtra > 1 {
		t.Errorf("%d fallback regions were in flight at once, want at most 1", rc.maxExtra)
	}
}

func TestHedgeEveryRegionFails(t *testing.T) {
	rc, _, done := startHedge(t, "own", "b", "c")
	rc.answers["own"] <- errUnavailable
	rc.expectStart(t, "b")
	rc.answers["b"] <- errNotFound // a fallback's definitive answer only moves on
	rc.expectStart(t, "c")
	rc.answers["c"] <- errUnavailable
	got := wait(t, done)
	if !errors.Is(got.err, errUnavailable) || got.region != "own" {
		t.Fatalf("hedge = %s, %v; want the own region's error", got.region, got.err)
	}
}

// flakySecrets fails every call with err in its region, and otherwise
// answers as fakeSecrets does.
type flakySecrets struct {
	fakeSecrets
	err error
}

func (f flakySecrets) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, o ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	if f.err != nil {
		f.record(f.region, "GetSecretValue "+aws.ToString(in.SecretId))
		return nil, f.err
	}
	return f.fakeSecrets.GetSecretValue(ctx, in, o...)
}

func (f flakySecrets) BatchGetSecretValue(ctx context.Context, in *secretsmanager.BatchGetSecretValueInput, o ...func(*secretsmanager.Options)) (*secretsmanager.BatchGetSecretValueOutput, error) {
	if f.err != nil {
		f.record(f.region, "BatchGetSecretValue "+strings.Join(in.SecretIdList, " "))
		return nil, f.err
	}
	return f.fakeSecrets.BatchGetSecretValue(ctx, in, o...)
}

type flakyParams struct {
	fakeParams
	err error
}

func (f flakyParams) GetParameters(ctx context.Context, in *ssm.GetParametersInput, o ...func(*ssm.Options)) (*ssm.GetParametersOutput, error) {
	if f.err != nil {
		f.record(f.region, "GetParameters "+strings.Join(in.Names, " "))
		return nil, f.err
	}
	return f.fakeParams.GetParameters(ctx, in, o...)
}

// newFailoverResolver is a resolver over f whose region down fails every
// call with err, with us-west-2 and eu-west-1 as fallback regions, and a
// log in buf.
func newFailoverResolver(f *fakeAWS, down string, err error, buf *bytes.Buffer) *Resolver {
	r := New(Config{AWS: aws.Config{Region: "us-east-1"}, Concurrency: 4,
		FallbackRegions: []string{"us-west-2", "eu-west-1"}, HedgeDelay: time.Hour,
		Logger: slog.New(slog.NewTextHandler(buf, nil))})
	r.secrets.New = func(region string) secretsAPI {
		s := flakySecrets{fakeSecrets: fakeSecrets{f, region}}
		if region == down {
			s.err = err
		}
		return s
	}
	r.parameters.New = func(region string) parametersAPI {
		p := flakyParams{fakeParams: fakeParams{f, region}}
		if region == down {
			p.err = err
		}
		return p
	}
	return r
}

func TestResolveFailsOver(t *testing.T) {
	const canary = "canary-c4f1e2"
	f := &fakeAWS{
		secrets: map[string]string{
			"us-west-2/db": canary + "-db",
			"us-west-2/arn:aws:secretsmanager:us-west-2:123456789012:secret:api-AbCdEf": canary + "-api",
		},
		params: map[string]string{"eu-west-1//app/url": canary + "-url", "eu-west-1//app/port": "5432"},
	}
	var buf bytes.Buffer
	r := newFailoverResolver(f, "us-east-1", errUnavailable, &buf)
	values, err := r.Resolve(context.Background(), requests(t,
		"DB", "secretsmanager:db",
		"API", "arn:aws:secretsmanager:us-east-1:123456789012:secret:api-AbCdEf",
		"URL", "ssm:/app/url",
		"PORT", "ssm:/app/port",
	))
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	want := map[string][2]string{
		"DB": {canary + "-db", "us-west-2"}, "API": {canary + "-api", "us-west-2"},
		"URL": {canary + "-url", "eu-west-1"}, "PORT": {"5432", "eu-west-1"},
	}
	for _, v := range values {
		w := want[v.Var]
		if string(v.Value) != w[0] || v.Fallback != w[1] {
			t.Errorf("%s came from fallback %q, want %q (value right: %v)", v.Var, v.Fallback, w[1], string(v.Value) == w[0])
		}
	}
	// The parameters were asked as one batch in each region.
	if got := f.calls["eu-west-1"]; len(got) != 1 {
		t.Errorf("eu-west-1 saw %q, want one GetParameters call", got)
	}
	log := buf.String()
	if strings.Contains(log, canary) {
		t.Error("the log holds a value")
	}
	for _, v := range []string{"var=DB", "var=API", "var=URL", "var=PORT"} {
		if n := strings.Count(log, v+" "); n != 1 {
			t.Errorf("the log names %s %d times, want one warning:\n%s", v, n, log)
		}
	}
	if !strings.Contains(log, "fallback_region=us-west-2") || !strings.Contains(log, "level=WARN") {
		t.Errorf("no warning names the fallback region:\n%s", log)
	}
}

func TestResolveDoesNotFailOverDefinitive(t *testing.T) {
	f := &fakeAWS{secrets: map[string]string{"us-west-2/gone": "copy"}, params: map[string]string{"us-west-2//gone": "copy"}}
	var buf bytes.Buffer
	r := newFailoverResolver(f, "", nil, &buf) // us-east-1 answers: not found
	_, err := r.Resolve(context.Background(), requests(t, "S", "secretsmanager:gone", "P", "ssm:/gone"))
	var errs Errors
	if !errors.As(err, &errs) || len(errs) != 2 {
		t.Fatalf("Resolve error = %v, want both variables not found", err)
	}
	for _, e := range errs {
		if e.Ref.Region != "us-east-1" || (e.Code != "ResourceNotFoundException" && e.Code != awsapi.CodeNotFound) {
			t.Errorf("%s: %s in %s, want not found in us-east-1", e.Var, e.Code, e.Ref.Region)
		}
	}
	if len(f.calls["us-west-2"]) != 0 {
		t.Errorf("a definitive answer failed over: us-west-2 saw %q", f.calls["us-west-2"])
	}
}

func TestResolveFallbackWithoutEveryParameter(t *testing.T) {
	// us-west-2 mirrors /a but not /b: its answer for the batch is
	// incomplete, so eu-west-1 is asked, which has neither. The batch then
	// fails with the own region's error, which a name alone can cause, so
	// each name is asked on its own: /a comes from us-west-2, and /b gets
	// the own region's error.
	f := &fakeAWS{params: map[string]string{"us-west-2//a": "a"}}
	var buf bytes.Buffer
	r := newFailoverResolver(f, "us-east-1", errUnavailable, &buf)
	_, err := r.Resolve(context.Background(), requests(t, "A", "ssm:/a", "B", "ssm:/b"))
	var errs Errors
	if !errors.As(err, &errs) || len(errs) != 1 {
		t.Fatalf("Resolve error = %v, want B alone to fail: %q", err, f.calls)
	}
	if e := errs[0]; e.Var != "B" || e.Code != "ServiceUnavailable" || e.Ref.Region != "us-east-1" {
		t.Errorf("%s: %s in %s, want B with the own region's ServiceUnavailable", e.Var, e.Code, e.Ref.Region)
	}
	if got := f.calls["eu-west-1"]; len(got) == 0 || got[0] != "GetParameters /a /b" {
		t.Errorf("eu-west-1 saw %q, want the batch after us-west-2's incomplete answer", got)
	}
	r.cfg.FallbackRegions = nil
	values, _ := r.Resolve(context.Background(), requests(t, "A", "ssm:/a"))
	if len(values) != 1 || values[0].Fallback != "us-west-2" {
		t.Errorf("A resolved to %+v, want its value from us-west-2 (cached)", values)
	}
}

func TestGetSecretFailsOver(t *testing.T) {
	f := &fakeAWS{secrets: map[string]string{"us-west-2/arn:aws:secretsmanager:us-west-2:123456789012:secret:api-AbCdEf": "v"}}
	var buf bytes.Buffer
	r := newFailoverResolver(f, "us-east-1", errUnavailable, &buf)
	s, err := r.GetSecret(context.Background(), SecretQuery{ID: "arn:aws:secretsmanager:us-east-1:123456789012:secret:api-AbCdEf"}, GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Region != "us-west-2" || !strings.Contains(s.ARN, ":us-west-2:") {
		t.Errorf("GetSecret answered from %s with ARN %s, want the us-west-2 replica", s.Region, s.ARN)
	}
	if !strings.Contains(buf.String(), "fallback_region=us-west-2") {
		t.Errorf("no warning names the fallback region:\n%s", buf.String())
	}
}

// TestHedgeOnFailingAttempt: an attempt of the own region that fails in a
// way that says the region is failing (a 503, a reset) starts the hedge
// while the SDK still retries; a throttled attempt does not.
func TestHedgeOnFailingAttempt(t *testing.T) {
	throttled := &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}
	for _, tt := range []struct {
		name  string
		err   error
		hedge bool
	}{
		{"503", errUnavailable, true},
		{"reset", &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}, true},
		{"throttled", throttled, false},
		{"not found", errNotFound, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rc, clock := newRegionCalls("own", "b"), newFakeClock()
			reported := make(chan struct{})
			// The attempt fails once own's start is recorded, so that a
			// hedge it starts cannot be recorded first.
			rc.onStart = func(ctx context.Context, region string) {
				if region == "own" {
					awsapi.AttemptFailed(ctx, tt.err) // the SDK retries on
					close(reported)
				}
			}
			done := make(chan hedgeResult, 1)
			go func() {
				v, region, err := hedge(context.Background(), []string{"own", "b"}, time.Hour, clock.after, rc.try, nil)
				done <- hedgeResult{v, region, err}
			}()
			<-reported
			rc.expectStart(t, "own")
			if !tt.hedge {
				// The hedge loop sees no signal: only the timer would start b.
				rc.expectNoStart(t)
				rc.answers["own"] <- nil
				if got := wait(t, done); got.region != "own" {
					t.Fatalf("hedge answered from %s, want own", got.region)
				}
				rc.expectNoStart(t)
				return
			}
			rc.expectStart(t, "b")
			rc.answers["b"] <- nil
			if got := wait(t, done); got.err != nil || got.region != "b" {
				t.Fatalf("hedge = %s, %v; want b's value", got.region, got.err)
			}
		})
	}
}

// TestResolveOnFallback: with Config.OnFallback, each value a fallback
// region gave goes to it, with its own region, in place of the warning.
func TestResolveOnFallback(t *testing.T) {
	f := &fakeAWS{secrets: map[string]string{"us-west-2/db": "canary-db"}, params: map[string]string{"us-east-1//app/url": "u"}}
	var buf bytes.Buffer
	r := newFailoverResolver(f, "us-east-1", errUnavailable, &buf)
	r.parameters.New = func(region string) parametersAPI { return fakeParams{f, region} } // SSM up
	got := map[string]string{}
	r.cfg.OnFallback = func(v Value, region string) { got[v.Var] = region + ">" + v.Fallback }
	if _, err := r.Resolve(context.Background(), requests(t, "DB", "secretsmanager:db", "URL", "ssm:/app/url")); err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	if len(got) != 1 || got["DB"] != "us-east-1>us-west-2" {
		t.Errorf("OnFallback saw %v, want DB alone, us-east-1>us-west-2", got)
	}
	if strings.Contains(buf.String(), "level=WARN") {
		t.Errorf("a warning was logged with OnFallback set:\n%s", buf.String())
	}
}

// TestHedgeHandsTheOwnRegionOver: when a fallback region's answer wins
// while the own region's call is in flight, that call goes on, under the
// Resolve's lateAnswers, and its answer goes to late; close cancels it.
func TestHedgeHandsTheOwnRegionOver(t *testing.T) {
	start := func(t *testing.T) (*regionCalls, *lateAnswers, chan error, chan hedgeResult) {
		t.Helper()
		rc, clock := newRegionCalls("own", "b"), newFakeClock()
		la := new(lateAnswers)
		ctx := withLateAnswers(context.Background(), la)
		lates := make(chan error, 1)
		done := make(chan hedgeResult, 1)
		go func() {
			v, region, err := hedge(ctx, []string{"own", "b"}, time.Hour, clock.after, rc.try, func(_ string, err error) { lates <- err })
			done <- hedgeResult{v, region, err}
		}()
		rc.expectStart(t, "own")
		clock.fire(t)
		rc.expectStart(t, "b")
		rc.answers["b"] <- nil
		if got := wait(t, done); got.err != nil || got.region != "b" {
			t.Fatalf("hedge = %s, %v; want b's value", got.region, got.err)
		}
		return rc, la, lates, done
	}
	t.Run("late answer", func(t *testing.T) {
		rc, la, lates, _ := start(t)
		select {
		case r := <-rc.canceled:
			t.Fatalf("%s was canceled when hedge returned", r)
		default:
		}
		rc.answers["own"] <- errNotFound
		if err := receive(t, lates, "late did not get the own region's answer"); !errors.Is(err, errNotFound) {
			t.Errorf("late got %v, want the own region's not found", err)
		}
		la.close()
	})
	t.Run("close cancels", func(t *testing.T) {
		rc, la, lates, _ := start(t)
		la.close()
		rc.expectCanceled(t, "own")
		if err := receive(t, lates, "late did not get the canceled call's end"); !errors.Is(err, context.Canceled) {
			t.Errorf("late got %v, want context.Canceled", err)
		}
	})
}

// TestHedgeOff: a negative delay (VALUEFROM_HEDGE_DELAY=off) arms no
// timer: a silent own region is never hedged, a failing one still is.
func TestHedgeOff(t *testing.T) {
	rc, clock := newRegionCalls("own", "b"), newFakeClock()
	done := make(chan hedgeResult, 1)
	go func() {
		v, region, err := hedge(context.Background(), []string{"own", "b"}, -1, clock.after, rc.try, nil)
		done <- hedgeResult{v, region, err}
	}()
	rc.expectStart(t, "own")
	if n := len(clock.armed); n != 0 {
		t.Fatalf("%d hedge timers armed with the delay off, want none", n)
	}
	rc.expectNoStart(t)
	rc.answers["own"] <- errUnavailable // failing, not slow: b is asked
	rc.expectStart(t, "b")
	rc.answers["b"] <- nil
	if got := wait(t, done); got.err != nil || got.region != "b" {
		t.Fatalf("hedge = %s, %v; want b's value", got.region, got.err)
	}
	if n := len(clock.armed); n != 0 {
		t.Errorf("%d hedge timers armed with the delay off, want none", n)
	}
}

// gatedSecrets is a region whose GetSecretValue of one id reports a failed
// attempt at once (a 503, which starts the hedge, as the SDK's retries
// would), then waits for gate before it answers as fakeSecrets does, or
// for its context, which it reports on canceled.
type gatedSecrets struct {
	fakeSecrets
	id       string
	gate     chan struct{}
	canceled chan struct{}
}

func (g gatedSecrets) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, o ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	if aws.ToString(in.SecretId) == g.id {
		awsapi.AttemptFailed(ctx, errUnavailable)
		select {
		case <-g.gate:
		case <-ctx.Done():
			close(g.canceled)
			return nil, ctx.Err()
		}
	}
	return g.fakeSecrets.GetSecretValue(ctx, in, o...)
}

// gatedParams is a region whose GetParameters waits for gate.
type gatedParams struct {
	fakeParams
	gate chan struct{}
}

func (g gatedParams) GetParameters(ctx context.Context, in *ssm.GetParametersInput, o ...func(*ssm.Options)) (*ssm.GetParametersOutput, error) {
	<-g.gate
	return g.fakeParams.GetParameters(ctx, in, o...)
}

// newGatedResolver is a failover resolver over f whose us-east-1 holds
// the GetSecretValue of id (see gatedSecrets) and its GetParameters until
// their gates open, and whose late answers' events go to events.
func newGatedResolver(f *fakeAWS, id string, events chan string) (r *Resolver, secret gatedSecrets, params gatedParams) {
	var buf bytes.Buffer
	r = newFailoverResolver(f, "", nil, &buf)
	secret = gatedSecrets{fakeSecrets: fakeSecrets{f, "us-east-1"}, id: id, gate: make(chan struct{}), canceled: make(chan struct{})}
	params = gatedParams{fakeParams: fakeParams{f, "us-east-1"}, gate: make(chan struct{})}
	r.secrets.New = func(region string) secretsAPI {
		if region == "us-east-1" {
			return secret
		}
		return fakeSecrets{f, region}
	}
	r.parameters.New = func(region string) parametersAPI {
		if region == "us-east-1" {
			return params
		}
		return fakeParams{f, region}
	}
	r.lateNotify = func(e string) { events <- e }
	return r, secret, params
}

type resolved struct {
	values []Value
	err    error
}

// TestResolveLateVerdictFails (issue 20): the own region's not-found that
// comes after a fallback region's copy won, while another fetch is still
// in flight, fails the variable, in the own region, whatever the
// fallback said.
func TestResolveLateVerdictFails(t *testing.T) {
	f := &fakeAWS{secrets: map[string]string{"us-west-2/gone": "canary-stale-copy"}, params: map[string]string{"us-east-1//app/url": "u"}}
	events := make(chan string, 4)
	r, secret, params := newGatedResolver(f, "gone", events)
	done := make(chan resolved, 1)
	go func() {
		values, err := r.Resolve(context.Background(), requests(t, "S", "secretsmanager:gone", "URL", "ssm:/app/url"))
		done <- resolved{values, err}
	}()
	// us-west-2's copy won S's hedge; its own region's call goes on.
	if e := receive(t, events, "the own region's call was not handed over"); e != "adopted" {
		t.Fatalf("event %q, want adopted", e)
	}
	close(secret.gate) // us-east-1: not found
	if e := receive(t, events, "the late answer was not taken"); e != "taken" {
		t.Fatalf("event %q, want taken", e)
	}
	close(params.gate) // the last fetch ends
	res := receive(t, done, "Resolve did not return")
	var errs Errors
	if !errors.As(res.err, &errs) || len(errs) != 1 {
		t.Fatalf("Resolve error = %v, want S alone to fail", res.err)
	}
	if e := errs[0]; e.Var != "S" || e.Code != "ResourceNotFoundException" || e.Ref.Region != "us-east-1" {
		t.Errorf("%s: %s in %s, want S not found in us-east-1", e.Var, e.Code, e.Ref.Region)
	}
	if strings.Contains(res.err.Error(), "canary") {
		t.Error("the error holds the value")
	}
}

// TestResolveLateAnswerWindow: a slow own region is not waited for once
// every fetch has ended: the fallback's copy stands, and the own region's
// call is canceled. This is the window docs/outages.md states.
func TestResolveLateAnswerWindow(t *testing.T) {
	f := &fakeAWS{secrets: map[string]string{"us-west-2/gone": "canary-stale-copy"}}
	events := make(chan string, 4)
	r, secret, _ := newGatedResolver(f, "gone", events)
	values, err := r.Resolve(context.Background(), requests(t, "S", "secretsmanager:gone"))
	if err != nil || len(values) != 1 || values[0].Fallback != "us-west-2" {
		t.Fatalf("Resolve = %d values, %v; want S from us-west-2", len(values), err)
	}
	receive(t, secret.canceled, "the own region's call was not canceled")
}

// TestResolveLateBatchVerdict: an own region's late BatchGetSecretValue
// answer that lists a secret as not found fails it; the batch's other
// secret keeps the fallback's value.
func TestResolveLateBatchVerdict(t *testing.T) {
	f := &fakeAWS{
		secrets: map[string]string{"us-east-1/kept": "k1", "us-west-2/kept": "k2", "us-west-2/gone": "canary-stale-copy"},
		params:  map[string]string{"us-east-1//app/url": "u"},
	}
	events := make(chan string, 4)
	r, _, params := newGatedResolver(f, "", events)
	gate := make(chan struct{})
	r.secrets.New = func(region string) secretsAPI {
		if region == "us-east-1" {
			return gatedBatch{fakeSecrets: fakeSecrets{f, region}, gate: gate}
		}
		return fakeSecrets{f, region}
	}
	done := make(chan resolved, 1)
	go func() {
		values, err := r.Resolve(context.Background(), requests(t, "K", "secretsmanager:kept", "S", "secretsmanager:gone", "URL", "ssm:/app/url"))
		done <- resolved{values, err}
	}()
	receive(t, events, "the own region's batch was not handed over")
	close(gate)
	receive(t, events, "the late batch answer was not taken")
	close(params.gate)
	res := receive(t, done, "Resolve did not return")
	var errs Errors
	if !errors.As(res.err, &errs) || len(errs) != 1 || errs[0].Var != "S" || errs[0].Code != "ResourceNotFoundException" {
		t.Fatalf("Resolve error = %v, want S alone not found", res.err)
	}
}

// gatedBatch is a region whose BatchGetSecretValue reports a failed
// attempt, then waits for gate.
type gatedBatch struct {
	fakeSecrets
	gate chan struct{}
}

func (g gatedBatch) BatchGetSecretValue(ctx context.Context, in *secretsmanager.BatchGetSecretValueInput, o ...func(*secretsmanager.Options)) (*secretsmanager.BatchGetSecretValueOutput, error) {
	awsapi.AttemptFailed(ctx, errUnavailable)
	select {
	case <-g.gate:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return g.fakeSecrets.BatchGetSecretValue(ctx, in, o...)
}

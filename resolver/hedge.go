package resolver

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/valuefrom/valuefrom/internal/awsapi"
	"github.com/valuefrom/valuefrom/resolver/reference"
)

// DefaultHedgeDelay is how long a region may go without answering before
// the next fallback region is asked as well, when Config.HedgeDelay is
// zero. A call to Secrets Manager or SSM takes tens of milliseconds, and
// the SDK's retries of a brief blip take a second or two: five seconds of
// silence is a region in trouble, not a slow tail.
const DefaultHedgeDelay = 5 * time.Second

// errNotMirrored says a fallback region answered a parameter batch without
// every name in it: it holds no copy to stand in for them all.
var errNotMirrored = errors.New("the fallback region does not hold every parameter of the batch")

// hedged is the outcome of one hedge: the value and the region that gave it.
type hedged[T any] struct {
	value  T
	region string
	err    error
	i      int // the region's place: 0 the reference's own, then the fallbacks in order
}

// hedge asks regions[0], a reference's own region, with try, and takes
// the first good answer of it or of the fallback regions after it, as
// "The Tail at Scale" (Dean and Barroso) hedges a request to a replica:
//
//   - The next region is asked only when the one asked last has failed
//     in a way that may fail over (see awsapi.Class.FailOver), when one
//     of its attempts has failed in a way that says the region is failing
//     (refused, reset, timed out, 5xx; see awsapi.Class.RegionFailing)
//     while the SDK retries it, or when it has not answered within delay.
//     The own region stays in flight all along: when it answers first,
//     its answer wins, even late.
//   - At most one fallback region is in flight at a time: a fallback that
//     stalls for delay is canceled when the next one is asked.
//   - An answer of the own region that is Definitive (not found, denied,
//     a KMS key) ends the hedge at once with that error: it fails closed,
//     whatever a fallback would say.
//   - A fallback's failure, of any kind, only moves on to the next one.
//     When every region has failed, the own region's error is returned.
//
// The losers are canceled when hedge returns, but for one: when a
// fallback region's answer wins while the own region's call is still in
// flight and late is set, that call goes on, and late gets its answer (see
// lateAnswers, which cancels it). A negative delay never hedges on
// silence: the next region is asked only when the one asked last fails.
// after makes the hedge delay's timers; tests pass a clock of their own.
func hedge[T any](ctx context.Context, regions []string, delay time.Duration, after func(time.Duration) <-chan time.Time,
	try func(ctx context.Context, region string) (T, error), late func(T, error)) (T, string, error) {
	if len(regions) == 1 {
		v, err := try(ctx, regions[0])
		return v, regions[0], err
	}
	// The own region's call may outlive hedge: its context is ctx's, but
	// for a cancellation when hedge returns.
	own, cancelOwn := context.WithCancel(context.WithoutCancel(ctx))
	stopOwn := context.AfterFunc(ctx, cancelOwn)
	handedOver := false
	defer func() {
		if !handedOver {
			stopOwn()
			cancelOwn()
		}
	}()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make(chan hedged[T], len(regions))
	failing := make(chan int, 2*len(regions)) // a region whose attempt failed; a signal, dropped when full
	cancels := make([]context.CancelFunc, len(regions))
	start := func(i int) {
		parent := ctx
		if i == 0 {
			parent = own
		}
		actx, acancel := context.WithCancel(parent)
		cancels[i] = acancel
		actx = awsapi.OnAttemptFailed(actx, func(err error) {
			if awsapi.Classify(err).RegionFailing() {
				select {
				case failing <- i:
				default:
				}
			}
		})
		go func() {
			defer acancel()
			v, err := try(actx, regions[i])
			results <- hedged[T]{value: v, region: regions[i], err: err, i: i}
		}()
	}
	arm := func() <-chan time.Time {
		if delay < 0 {
			return nil // off: silence never hedges
		}
		return after(delay)
	}
	var (
		zero     T
		inFlight = 1
		last     = 0 // the region asked last
		next     = 1 // the region to ask next
		ownErr   error
		ownDone  bool
		stall    = arm()
	)
	moveOn := func() {
		if next == len(regions) {
			stall = nil
			return
		}
		if last != 0 {
			cancels[last]() // one fallback in flight at a time
		}
		start(next)
		last, next = next, next+1
		inFlight++
		stall = arm()
	}
	start(0)
	for {
		select {
		case <-stall:
			moveOn()
		case i := <-failing:
			if i == last {
				moveOn()
			}
		case h := <-results:
			inFlight--
			if h.err == nil {
				if h.i != 0 && !ownDone && late != nil && lateFrom(ctx).adopt(cancelOwn) {
					// The own region may still say the value is gone.
					handedOver = true
					stopOwn()
					go func() {
						for h := range results {
							if h.i == 0 {
								late(h.value, h.err)
								return
							}
						}
					}()
				}
				return h.value, h.region, nil
			}
			if h.i == 0 {
				ownErr, ownDone = h.err, true
				if !awsapi.Classify(h.err).FailOver() || errors.As(h.err, new(stayHome)) {
					return zero, h.region, h.err
				}
			}
			if h.i == last {
				moveOn()
			}
			// The own region is always in flight until it fails: with
			// nothing in flight, every region has failed.
			if inFlight == 0 {
				return zero, regions[0], ownErr
			}
		}
	}
}

// stayHome marks an error of the own region that must not fail over,
// although its class would: try returns it to end the hedge.
type stayHome struct{ error }

func (e stayHome) Unwrap() error { return e.error }

// regions returns the regions a fetch asks: its own, then the fallback
// regions that are not its own, in order.
func (r *Resolver) regions(own string) []string {
	regions := []string{own}
	for _, f := range r.cfg.FallbackRegions {
		if f != "" && !slices.Contains(regions, f) {
			regions = append(regions, f)
		}
	}
	return regions
}

// hedgeWith is hedge with r's fallback regions, delay and clock.
func hedgeWith[T any](ctx context.Context, r *Resolver, own string, try func(ctx context.Context, region string) (T, error), late func(T, error)) (T, string, error) {
	delay := r.cfg.HedgeDelay
	if delay == 0 {
		delay = DefaultHedgeDelay
	}
	after := r.after
	if after == nil {
		after = time.After
	}
	return hedge(ctx, r.regions(own), delay, after, try, late)
}

// lateAnswers holds, for one Resolve, the own regions' answers that come
// after a fallback region's answer has won a hedge: a slow own region may
// yet say that a value is gone (not found, denied, its KMS key), and that
// must fail the resolve, whatever a fallback region said, as it would have
// had it come first. It takes them while other fetches are in flight,
// until close; the calls still out then are canceled. A Resolve with
// fallback regions therefore never waits for a slow own region, and the
// window that remains is an own region slower than the fallback and every
// other fetch of the resolve (or HedgeDelay off: no hedge on silence).
type lateAnswers struct {
	mu      sync.Mutex
	closed  bool
	cancels []context.CancelFunc
	failed  map[*fetch]*fetchError
	notify  func(event string) // tests: "adopted" and "taken"; nil: none
}

type lateKey struct{}

// withLateAnswers returns ctx carrying la, for the hedges under it.
func withLateAnswers(ctx context.Context, la *lateAnswers) context.Context {
	return context.WithValue(ctx, lateKey{}, la)
}

// lateFrom returns the lateAnswers of ctx, or nil.
func lateFrom(ctx context.Context) *lateAnswers {
	la, _ := ctx.Value(lateKey{}).(*lateAnswers)
	return la
}

// adopt takes cancel, of an own region's call that goes on after its
// hedge, to call at close. It reports false, and cancel is the caller's,
// once la is closed, or when la is nil: outside a Resolve.
func (la *lateAnswers) adopt(cancel context.CancelFunc) bool {
	if la == nil {
		return false
	}
	la.mu.Lock()
	defer la.mu.Unlock()
	if la.closed {
		return false
	}
	la.cancels = append(la.cancels, cancel)
	la.event("adopted")
	return true
}

func (la *lateAnswers) event(what string) {
	if la.notify != nil {
		la.notify(what)
	}
}

// close stops taking answers, cancels the own regions' calls still out,
// and returns the fetches that late answers failed, with their errors.
func (la *lateAnswers) close() map[*fetch]*fetchError {
	la.mu.Lock()
	defer la.mu.Unlock()
	la.closed = true
	for _, cancel := range la.cancels {
		cancel()
	}
	return la.failed
}

// lateFor returns the late function of a hedge under ctx: judge, given the
// own region's late answer, names the fetches it fails with their errors,
// each of which counts only if it is a verdict on the value (see
// definitive). Nil outside a Resolve.
func lateFor[T any](ctx context.Context, judge func(T, error) map[*fetch]*fetchError) func(T, error) {
	la := lateFrom(ctx)
	if la == nil {
		return nil
	}
	return func(v T, err error) {
		failed := judge(v, err)
		la.mu.Lock()
		defer la.mu.Unlock()
		if la.closed {
			return
		}
		for f, fe := range failed {
			if fe != nil && definitive(fe) {
				if la.failed == nil {
					la.failed = make(map[*fetch]*fetchError)
				}
				la.failed[f] = fe
			}
		}
		la.event("taken")
	}
}

// definitive reports whether fe is a verdict on the value itself (see
// awsapi.Class.Definitive).
func definitive(fe *fetchError) bool { return awsapi.ClassOf(fe.code, fe.err).Definitive() }

// lateOne is the judge of a hedge for one fetch: its own region's error.
func lateOne[T any](f *fetch) func(T, error) map[*fetch]*fetchError {
	return func(_ T, err error) map[*fetch]*fetchError {
		if err == nil {
			return nil
		}
		return map[*fetch]*fetchError{f: classify(err)}
	}
}

// InRegion returns ref as its copy in region names it: a Secrets Manager
// replica keeps its secret's ARN but for the region (the account and the
// name with its suffix stay), and an SSM parameter is asked by the same
// name there. A reference by name is the same name in any region.
func InRegion(ref reference.Ref, region string) reference.Ref {
	if ref.Partition != "" {
		ref.Region = region
	}
	return ref
}

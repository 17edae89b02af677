// Package resolver fetches what references name (the grammar is package
// resolver/reference): one client per region, SSM names batched ten to a
// call and current secrets twenty (with GetSecretValue, one at a time, for
// what a batch does not answer), duplicates fetched once, calls run
// concurrently under a bound; it
// renders a fetched value (JSON keys, binary values) and returns errors
// that say why a reference failed, naming the variable and the reference
// (what to do about it is the caller's to say, in Error.Hint).
//
// It never logs, returns or formats a value except as the result of
// Resolve.
package resolver

import (
	"sort"

	"github.com/valuefrom/valuefrom/resolver/reference"

	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/sync/singleflight"

	"github.com/valuefrom/valuefrom/cache"
	"github.com/valuefrom/valuefrom/internal/awsapi"
)

// MaxParametersPerCall is the most names GetParameters takes in one call.
const MaxParametersPerCall = 10

// secretsAPI is the part of the Secrets Manager client the resolver uses.
type secretsAPI interface {
	GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
	BatchGetSecretValue(context.Context, *secretsmanager.BatchGetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.BatchGetSecretValueOutput, error)
}

// parametersAPI is the part of the SSM client the resolver uses: batched
// for Resolve, one at a time for GetParameter.
type parametersAPI interface {
	GetParameters(context.Context, *ssm.GetParametersInput, ...func(*ssm.Options)) (*ssm.GetParametersOutput, error)
	GetParameter(context.Context, *ssm.GetParameterInput, ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// Config configures a Resolver.
type Config struct {
	// AWS is the SDK configuration every client shares: credentials,
	// retryer, endpoints. Its Region is the default region, used by
	// short-form references.
	AWS aws.Config
	// Concurrency bounds the API calls in flight at once. Zero means 1.
	Concurrency int
	// Cache memoises fetched values; nil means a memo for this Resolver's
	// lifetime, with no expiry.
	Cache *cache.Cache[Secret]
	// Logger receives a debug line per reference; nil discards.
	Logger *slog.Logger
	// FallbackRegions are the regions, in order, whose copy of a secret
	// or parameter is asked for when its own region fails transiently or
	// stalls (see HedgeDelay): a Secrets Manager secret's replica, the
	// same ARN but for the region (or the same name), and the SSM
	// parameter of the same name, which exists there only if someone put
	// it there: SSM does not replicate. A Definitive failure (not found,
	// denied, a KMS key) never fails over. Empty: no fallback.
	FallbackRegions []string
	// HedgeDelay is how long a region may go without answering before
	// the next fallback region is asked as well; zero means
	// DefaultHedgeDelay, and a negative delay never: the next region is
	// asked only when the one asked last fails. Each value that a
	// fallback region gave is logged once as a warning naming its
	// variable and the region. Within a Resolve, the own region's
	// Definitive answer that comes after a fallback region's, while other
	// fetches are in flight, still fails the variable (see lateAnswers).
	HedgeDelay time.Duration
	// OnFallback, when set, is called by Resolve with each value that a
	// fallback region gave and the reference's own region, in place of the
	// warning: a caller that resolves the same references again and again
	// warns once. It is called on the goroutine that called Resolve.
	OnFallback func(v Value, region string)
	// NoSecretBatches makes Resolve ask for every secret with its own
	// GetSecretValue call. Otherwise the secrets asked for at AWSCURRENT
	// go up to MaxSecretsPerCall to a BatchGetSecretValue call per region,
	// until IAM denies that action in the region (see BatchDeniedWarning).
	NoSecretBatches bool
	// BatchDenials, when set, remembers where IAM denied
	// BatchGetSecretValue for every Resolver that shares it, so that a
	// caller that makes a Resolver per round asks each region once and is
	// warned once. Nil: for this Resolver's lifetime.
	BatchDenials *BatchDenials
}

// A Secret is what one fetch returned: a secret's version, or a parameter.
type Secret struct {
	String    *string // the SecretString or the parameter's value
	Binary    []byte  // the SecretBinary
	VersionID string  // the secret's version id, or the parameter's version
	ARN       string
	RequestID string
	Region    string // the region that answered: the reference's own, or a fallback region

	// Metadata, filled by GetSecret and GetParameter only.
	Name          string
	VersionStages []string  // the secret version's staging labels
	CreatedDate   time.Time // the secret version's creation time
	Version       int64     // the parameter's version
	Type          string    // the parameter's type: String, StringList or SecureString
	DataType      string    // the parameter's data type, such as text
	Selector      string    // the parameter's :VERSION or :LABEL, when asked for
	SourceResult  string    // the parameter's source, for /aws/reference/secretsmanager/ names
	LastModified  time.Time // the parameter's last change
}

// Resolver fetches what references name. It is safe for concurrent use.
type Resolver struct {
	cfg     Config
	log     *slog.Logger
	cache   *cache.Cache[Secret]
	batches singleflight.Group
	calls   atomic.Int64

	secrets    awsapi.Clients[secretsAPI]
	parameters awsapi.Clients[parametersAPI]
	paths      awsapi.Clients[pathsAPI]

	after      func(time.Duration) <-chan time.Time // the hedge delay's clock; nil: time.After
	lateNotify func(event string)                   // tests: see lateAnswers.notify

	pendingMu sync.Mutex
	pending   map[Pending]int // variables waiting, by service and region (Vars zero)

	denials *BatchDenials
}

// New returns a Resolver. Clients are made per region on first use and
// share cfg.AWS's credentials.
func New(cfg Config) *Resolver {
	r := &Resolver{cfg: cfg, log: cfg.Logger, cache: cfg.Cache, denials: cfg.BatchDenials}
	if r.denials == nil {
		r.denials = new(BatchDenials)
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.cache == nil {
		r.cache = cache.New[Secret](cache.Options{})
	}
	r.secrets.New = func(region string) secretsAPI {
		return secretsmanager.NewFromConfig(cfg.AWS, func(o *secretsmanager.Options) { o.Region = region })
	}
	r.parameters.New = func(region string) parametersAPI {
		return ssm.NewFromConfig(cfg.AWS, func(o *ssm.Options) { o.Region = region })
	}
	r.paths.New = func(region string) pathsAPI {
		return ssm.NewFromConfig(cfg.AWS, func(o *ssm.Options) { o.Region = region })
	}
	return r
}

// Calls returns how many API calls the Resolver has made, not counting
// the SDK's retries.
func (r *Resolver) Calls() int64 { return r.calls.Load() }

// Pending counts the variables that Resolve calls in progress still wait
// for in one service and region.
type Pending struct {
	Service reference.Service
	Region  string
	Vars    int
}

// Pending returns what the Resolve calls in progress still wait for, by
// service and region, in that order; nil when nothing is pending. A long
// wait can be explained with it while it lasts.
func (r *Resolver) Pending() []Pending {
	r.pendingMu.Lock()
	defer r.pendingMu.Unlock()
	var ps []Pending
	for k, n := range r.pending {
		if n > 0 {
			k.Vars = n
			ps = append(ps, k)
		}
	}
	// sort.Slice, not slices.SortFunc: a generic sort of a struct type adds a
	// copy of pdqsort to the binary (15-20 KB each), and the binary's budget
	// is 12 MiB.
	sort.Slice(ps, func(i, j int) bool {
		return cmp.Or(strings.Compare(string(ps[i].Service), string(ps[j].Service)), strings.Compare(ps[i].Region, ps[j].Region)) < 0
	})
	return ps
}

// wait adds n variables of f to what is pending; done takes them away.
func (r *Resolver) wait(f *fetch, n int) {
	r.pendingMu.Lock()
	defer r.pendingMu.Unlock()
	if r.pending == nil {
		r.pending = make(map[Pending]int)
	}
	k := Pending{Service: f.ref.Service, Region: f.region}
	if r.pending[k] += n; r.pending[k] <= 0 {
		delete(r.pending, k)
	}
}

func (r *Resolver) done(fs ...*fetch) {
	for _, f := range fs {
		r.wait(f, -f.vars)
	}
}

// FallbackWarning is the message of the warning for a value that a
// fallback region gave.
const FallbackWarning = "the value came from a fallback region: its own region failed or stalled"

// A Value is a resolved reference.
type Value struct {
	Var       string
	Ref       reference.Ref
	Value     []byte
	VersionID string
	// Fallback is the fallback region the value came from, when its own
	// region failed or stalled (see Config.FallbackRegions); "" when it
	// came from its own region.
	Fallback string
}

// fetch is one distinct call's worth of work: a secret version, or a
// parameter with its selector, in a region.
type fetch struct {
	key    string
	region string
	ref    reference.Ref
	secret Secret
	err    *fetchError
	took   time.Duration
	vars   int // the variables that wait for it
}

// Resolve fetches every request's reference and renders its value. It
// fetches each distinct secret version and parameter once, batches
// parameters and current secrets per region, and runs the calls
// concurrently. It tries every
// request even when some fail, so that the error names them all: it
// returns the values in request order, or Errors with one *Error per
// failed variable and no values.
func (r *Resolver) Resolve(ctx context.Context, reqs []reference.Request) ([]Value, error) {
	values, errs := r.resolve(ctx, reqs)
	if errs == nil {
		return values, nil
	}
	return nil, errs
}

func (r *Resolver) resolve(ctx context.Context, reqs []reference.Request) ([]Value, Errors) {
	fetches, keys, noRegion := fetchesOf(reqs, r.cfg.AWS.Region)
	var errs Errors
	for _, i := range noRegion {
		errs = append(errs, &Error{Var: reqs[i].Var, Ref: reqs[i].Ref, Code: awsapi.CodeNoRegion,
			Err: fmt.Errorf("no default region for a short-form reference")})
	}
	if errs != nil {
		return nil, errs
	}
	for _, f := range fetches {
		r.wait(f, f.vars)
	}
	late := &lateAnswers{notify: r.lateNotify}
	ctx = withLateAnswers(ctx, late)

	var secrets []*fetch
	paramsByRegion := make(map[string][]*fetch)
	secretsByRegion := make(map[string][]*fetch) // the batchable ones
	for _, f := range fetches {
		switch {
		case f.ref.Service != reference.SecretsManager:
			paramsByRegion[f.region] = append(paramsByRegion[f.region], f)
		case batchable(f) && !r.cfg.NoSecretBatches:
			secretsByRegion[f.region] = append(secretsByRegion[f.region], f)
		default:
			secrets = append(secrets, f)
		}
	}

	// Every call runs to its end even when another fails, so the error
	// can name every failing variable: the calls record their errors.
	// ctx's deadline still stops them all.
	//
	// Parameter batches start first: each carries up to ten references,
	// and SSM's quota is the one a fleet start exhausts, so their retries
	// are the long pole. Queued behind the secrets, they would start a
	// round trip late whenever there are more calls than Concurrency.
	// Secret batches come next, then the secrets asked one by one; what
	// a secret batch leaves is asked one by one after it.
	c := newCalls(r.cfg.Concurrency)
	for _, region := range slices.Sorted(maps.Keys(paramsByRegion)) {
		for _, batch := range batchParameters(paramsByRegion[region]) {
			c.start(func() []job {
				defer r.done(batch...)
				r.getParameterBatch(ctx, region, batch)
				return nil
			})
		}
	}
	for _, region := range slices.Sorted(maps.Keys(secretsByRegion)) {
		for _, batch := range batchSecrets(secretsByRegion[region]) {
			if len(batch) == 1 {
				secrets = append(secrets, batch[0])
				continue
			}
			c.start(func() []job {
				rest := r.getSecretBatch(ctx, region, batch)
				var next []job
				for _, f := range batch {
					if slices.Contains(rest, f) {
						next = append(next, r.secretJob(ctx, f))
					} else {
						r.done(f)
					}
				}
				return next
			})
		}
	}
	for _, f := range secrets {
		c.start(r.secretJob(ctx, f))
	}
	c.wait()
	// An own region's verdict that came while other fetches were in
	// flight stands, whatever a fallback region answered.
	for f, fe := range late.close() {
		f.err = fe
	}

	values := make([]Value, 0, len(reqs))
	for i, req := range reqs {
		f := fetches[keys[i]]
		if f.err != nil {
			errs = append(errs, r.newError(req, f.region, f.err))
			continue
		}
		v, err := Render(req, f.secret)
		if err != nil {
			err.Var, err.Ref = req.Var, req.Ref
			errs = append(errs, err)
			continue
		}
		attrs := []any{"var", req.Var, "ref", req.Ref.String(), "version_id", f.secret.VersionID, "duration_ms", awsapi.Millis(f.took)}
		if f.secret.RequestID != "" { // none for a value from the cache
			attrs = append(attrs, "request_id", f.secret.RequestID)
		}
		r.log.Debug("resolved", attrs...)
		value := Value{Var: req.Var, Ref: req.Ref, Value: v, VersionID: f.secret.VersionID}
		if f.secret.Region != "" && f.secret.Region != f.region {
			value.Fallback = f.secret.Region
			if r.cfg.OnFallback != nil {
				r.cfg.OnFallback(value, f.region)
			} else {
				r.log.Warn(FallbackWarning, "var", req.Var, "ref", req.Ref.String(), "region", f.region, "fallback_region", f.secret.Region)
			}
		}
		values = append(values, value)
	}
	return values, errs
}

// secretJob returns the job that fetches one secret version with
// GetSecretValue, through the cache, hedged.
func (r *Resolver) secretJob(ctx context.Context, f *fetch) job {
	return func() []job {
		defer r.done(f)
		start := time.Now()
		late := lateFor(ctx, lateOne[Secret](f))
		s, err := r.cacheGet(ctx, f.key, func(ctx context.Context) (Secret, error) {
			s, _, err := hedgeWith(ctx, r, f.region, func(ctx context.Context, region string) (Secret, error) {
				return r.getSecret(ctx, region, InRegion(f.ref, region))
			}, late)
			return s, err
		})
		f.secret, f.took = s, time.Since(start)
		if err != nil {
			f.err = classify(err)
		}
		return nil
	}
}

// fetchesOf groups reqs into the distinct fetches they need, by key, each
// counting the requests it answers: keys[i] is reqs[i]'s. A short-form
// reference with no defaultRegion has no fetch: its index is in noRegion
// and its key is "".
func fetchesOf(reqs []reference.Request, defaultRegion string) (fetches map[string]*fetch, keys []string, noRegion []int) {
	fetches = make(map[string]*fetch)
	keys = make([]string, len(reqs))
	for i, req := range reqs {
		region, err := awsapi.RequestRegion(req.Ref.Region, defaultRegion)
		if err != nil {
			noRegion = append(noRegion, i)
			continue
		}
		k := fetchKey(region, req.Ref)
		keys[i] = k
		if fetches[k] == nil {
			fetches[k] = &fetch{key: k, region: region, ref: req.Ref}
		}
		fetches[k].vars++
	}
	return fetches, keys, noRegion
}

// deadlineGrace is how long past ctx's deadline cacheGet waits for a
// fetch that the deadline ends: the SDK returns at once when it does.
const deadlineGrace = 500 * time.Millisecond

// cacheGet is r.cache.Get for Resolve. A fetch ends at ctx's deadline
// with an error that says why its attempts failed (connection refused,
// an HTTP status; see awsapi.CallError), but the cache stops waiting at
// that same instant and would return the bare deadline instead: cacheGet
// waits a moment past the deadline, so that the fetch's own error is the
// one returned. A cancellation still stops the wait at once.
func (r *Resolver) cacheGet(ctx context.Context, key string, fetch func(context.Context) (Secret, error)) (Secret, error) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return r.cache.Get(ctx, key, fetch)
	}
	wait, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline.Add(deadlineGrace))
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			cancel()
		}
	})
	defer stop()
	return r.cache.Get(wait, key, func(fctx context.Context) (Secret, error) {
		fctx, cancel := context.WithDeadline(fctx, deadline)
		defer cancel()
		return fetch(fctx)
	})
}

// newError attributes a failed fetch in region to req's variable. The
// error's reference names the region asked.
func (r *Resolver) newError(req reference.Request, region string, fe *fetchError) *Error {
	ref := req.Ref
	ref.Region = region
	return &Error{Var: req.Var, Ref: ref, Code: fe.code, RequestID: fe.requestID, Err: fe.err}
}

// fetchKey identifies one distinct fetch, and its value in the cache. A
// parameter's name is kept as written: db and /db are two parameters.
func fetchKey(region string, ref reference.Ref) string {
	if ref.Service == reference.SecretsManager {
		return strings.Join([]string{"secretsmanager", region, ref.ID(), ref.VersionStage, ref.VersionID}, "\x00")
	}
	return strings.Join([]string{"ssm", region, ref.Partition, ref.Account, ref.Name, ref.Selector}, "\x00")
}

func (r *Resolver) getSecret(ctx context.Context, region string, ref reference.Ref) (Secret, error) {
	return r.getSecretValue(ctx, region, ref.ID(), ref.VersionStage, ref.VersionID)
}

// getSecretValue makes one GetSecretValue call, asking for the stage and
// the version id when given (both, when both are).
func (r *Resolver) getSecretValue(ctx context.Context, region, id, stage, versionID string) (Secret, error) {
	in := &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)}
	if stage != "" {
		in.VersionStage = aws.String(stage)
	}
	if versionID != "" {
		in.VersionId = aws.String(versionID)
	}
	r.calls.Add(1)
	out, err := r.secrets.Get(region).GetSecretValue(ctx, in)
	if err != nil {
		return Secret{}, err
	}
	if err := checkSecretARN(id, aws.ToString(out.ARN)); err != nil {
		return Secret{}, err
	}
	return Secret{
		String:        out.SecretString,
		Binary:        out.SecretBinary,
		VersionID:     aws.ToString(out.VersionId),
		ARN:           aws.ToString(out.ARN),
		RequestID:     requestID(out.ResultMetadata),
		Region:        region,
		Name:          aws.ToString(out.Name),
		VersionStages: out.VersionStages,
		CreatedDate:   aws.ToTime(out.CreatedDate),
	}, nil
}

// checkSecretARN returns an error wrapping awsapi.ErrARNMismatch when id,
// a full or partial ARN, was answered with a secret whose ARN, got, names
// another partition, region, account or secret. An id that is a name asks
// for the caller's own secret in the region asked: there is nothing to
// check it against.
func checkSecretARN(id, got string) error {
	want, err := arn.Parse(id)
	if err != nil {
		return nil
	}
	a, err := arn.Parse(got)
	if err != nil {
		return fmt.Errorf("%w: asked for %s, answered without an ARN", awsapi.ErrARNMismatch, id)
	}
	// A partial ARN's name lacks the "-" and six characters AWS adds.
	name, gotName := want.Resource, a.Resource
	sameName := gotName == name || len(gotName) == len(name)+7 && strings.HasPrefix(gotName, name+"-")
	if a.Partition != want.Partition || a.Service != want.Service || a.Region != want.Region ||
		a.AccountID != want.AccountID || !sameName {
		return fmt.Errorf("%w: asked for %s, answered with %s", awsapi.ErrARNMismatch, id, got)
	}
	return nil
}

// uncached gives each fetch of batch whose value the cache holds that
// value, and returns the others.
func (r *Resolver) uncached(batch []*fetch) []*fetch {
	var todo []*fetch
	for _, f := range batch {
		if s, ok := r.cache.Lookup(f.key); ok {
			f.secret = s
		} else {
			todo = append(todo, f)
		}
	}
	return todo
}

// batchKey identifies a batch of fetches, for the singleflight group that
// lets concurrent Resolve calls share one call.
func batchKey(batch []*fetch) string {
	keys := make([]string, len(batch))
	for i, f := range batch {
		keys[i] = f.key
	}
	return strings.Join(keys, "\x01")
}

// batchParameters splits a region's parameters into GetParameters calls of
// at most ten names, never putting one name in a call twice: a response
// may omit Selector, so within a call a name must say which it was. Nor
// does a call hold both db and /db, two parameters: which of them an
// answer's Name spells is not documented, so an answer is matched to the
// name it answers with or without its leading slash.
func batchParameters(params []*fetch) [][]*fetch {
	return pack(params, MaxParametersPerCall, func(p *fetch) []string { return []string{strings.TrimPrefix(p.ref.Name, "/")} })
}

// getParameterBatch fetches a batch of parameters with one GetParameters
// call, through the cache, and records each one's result or error. When
// the call fails as a whole for a reason one name can cause (access denied
// on one parameter, its KMS key), it asks again one name at a time, so
// that the error lands on the variables at fault.
func (r *Resolver) getParameterBatch(ctx context.Context, region string, batch []*fetch) {
	todo := r.uncached(batch)
	if len(todo) == 0 {
		return
	}
	start := time.Now()
	// The own region's late answer fails a parameter it does not find (but
	// one by ARN, which getByARN would ask next), or the batch.
	late := lateFor(ctx, func(found map[string]result, err error) map[*fetch]*fetchError {
		failed := make(map[*fetch]*fetchError)
		for _, f := range todo {
			fe := found[f.key].err
			if err != nil {
				fe = classify(err)
			}
			if fe != nil && !askByARN(f, fe) {
				failed[f] = fe
			}
		}
		return failed
	})
	// Concurrent Resolve calls asking for the same batch share one call.
	res, err, _ := r.batches.Do(batchKey(todo), func() (any, error) {
		found, _, err := hedgeWith(ctx, r, region, func(ctx context.Context, rg string) (map[string]result, error) {
			found, err := r.getParameters(ctx, rg, todo)
			if err == nil && rg != region && !allFound(found) {
				return nil, errNotMirrored
			}
			return found, err
		}, late)
		return found, err
	})
	took := time.Since(start)
	if err != nil {
		if len(todo) > 1 && awsapi.Classify(err).PerName {
			for _, f := range todo {
				r.getParameterBatch(ctx, region, []*fetch{f})
			}
			return
		}
		fe := classify(err)
		for _, f := range todo {
			f.err, f.took = fe, took
		}
		return
	}
	found := res.(map[string]result)
	for _, f := range todo {
		got := found[f.key]
		if got.err != nil && askByARN(f, got.err) {
			got = r.getByARN(ctx, region, f)
		}
		f.secret, f.err, f.took = got.secret, got.err, took
		if got.err == nil {
			r.cache.Set(f.key, got.secret)
		}
	}
}

// askByARN reports whether f, which failed by name with fe, is asked for
// again by its ARN (getByARN): a reference by ARN that GetParameters did
// not find, or found in another account.
func askByARN(f *fetch, fe *fetchError) bool {
	return f.ref.Partition != "" && (fe.code == awsapi.CodeNotFound || fe.code == codeOtherAccount)
}

// getByARN asks for a parameter by its full ARN. A reference by ARN is
// first asked by name, batched; that finds the caller's own parameters.
// A parameter shared from another account can only be read by ARN, and the
// ARN also settles whether arn:...:parameter/NAME means NAME or /NAME.
func (r *Resolver) getByARN(ctx context.Context, region string, f *fetch) result {
	arn := f.ref.ARN("", "", "")
	name := arn
	if f.ref.Selector != "" {
		name += ":" + f.ref.Selector
	}
	r.calls.Add(1)
	out, err := r.parameters.Get(region).GetParameters(ctx, &ssm.GetParametersInput{
		Names:          []string{name},
		WithDecryption: aws.Bool(true),
	})
	if err != nil {
		return result{err: classify(err)}
	}
	reqID := requestID(out.ResultMetadata)
	for _, p := range out.Parameters {
		if aws.ToString(p.ARN) == arn {
			return result{secret: Secret{String: p.Value, VersionID: strconv.FormatInt(p.Version, 10), ARN: arn, RequestID: reqID, Region: region}}
		}
	}
	return result{err: &fetchError{code: awsapi.CodeNotFound, requestID: reqID,
		err: fmt.Errorf("GetParameters found no parameter %s, by name or by ARN", name)}}
}

type result struct {
	secret Secret
	err    *fetchError
}

// allFound reports whether a batch's every name was found.
func allFound(found map[string]result) bool {
	for _, res := range found {
		if res.err != nil {
			return false
		}
	}
	return true
}

// getParameters makes one GetParameters call and maps its answer back to
// the fetches by name, since responses may omit Selector.
func (r *Resolver) getParameters(ctx context.Context, region string, batch []*fetch) (map[string]result, error) {
	names := make([]string, len(batch))
	for i, f := range batch {
		names[i] = f.ref.Name
		if f.ref.Selector != "" {
			names[i] += ":" + f.ref.Selector
		}
	}
	r.calls.Add(1)
	out, err := r.parameters.Get(region).GetParameters(ctx, &ssm.GetParametersInput{
		Names:          names,
		WithDecryption: aws.Bool(true),
	})
	if err != nil {
		return nil, err
	}
	reqID := requestID(out.ResultMetadata)
	invalid := make(map[string]bool)
	for _, n := range out.InvalidParameters {
		invalid[n] = true
	}
	found := make(map[string]result, len(batch))
	for i, f := range batch {
		ref := InRegion(f.ref, region)
		if invalid[names[i]] {
			found[f.key] = result{err: &fetchError{code: awsapi.CodeNotFound, requestID: reqID,
				err: fmt.Errorf("GetParameters listed %s among InvalidParameters: no such parameter, version or label", names[i])}}
			continue
		}
		found[f.key] = result{err: &fetchError{code: awsapi.CodeInternal, requestID: reqID,
			err: fmt.Errorf("GetParameters answered without %s", names[i])}}
		for _, p := range out.Parameters {
			// With or without the slash: batchParameters never asks
			// for db and /db in one call.
			if strings.TrimPrefix(aws.ToString(p.Name), "/") != strings.TrimPrefix(f.ref.Name, "/") {
				continue
			}
			if ref.Account != "" && aws.ToString(p.ARN) != ref.ARN("", "", "") {
				// The caller's own parameter of that name, not the
				// ARN's: never hand it over in its place.
				found[f.key] = result{err: &fetchError{code: codeOtherAccount, requestID: reqID,
					err: fmt.Errorf("GetParameters answered %s from another account or partition", names[i])}}
				continue
			}
			if sel := aws.ToString(p.Selector); sel != "" && sel != ":"+f.ref.Selector && f.ref.Selector != "" {
				continue
			}
			if _, err := strconv.Atoi(f.ref.Selector); err == nil && strconv.FormatInt(p.Version, 10) != f.ref.Selector {
				continue
			}
			found[f.key] = result{secret: Secret{
				String:    p.Value,
				VersionID: strconv.FormatInt(p.Version, 10),
				ARN:       aws.ToString(p.ARN),
				RequestID: reqID,
				Region:    region,
			}}
			break
		}
	}
	return found, nil
}

func requestID(md middleware.Metadata) string {
	id, _ := awsmiddleware.GetRequestIDMetadata(md)
	return id
}

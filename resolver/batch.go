package resolver

import (
	"context"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"

	"github.com/valuefrom/valuefrom/internal/awsapi"
	"github.com/valuefrom/valuefrom/resolver/reference"
)

// This file batches secrets: the secrets a Resolve asks for at AWSCURRENT
// go, up to twenty per call and per region, in BatchGetSecretValue calls.
// Whatever a batch does not answer with a value (an entry of its Errors,
// an id it left out, the whole call failing) is asked again with
// GetSecretValue, one secret at a time, as it would have been without
// batching: a failure costs one round trip more, and reads exactly as it
// did.

// MaxSecretsPerCall is the most secret ids BatchGetSecretValue takes in
// one call.
const MaxSecretsPerCall = 20

// BatchDeniedWarning is the message of the warning logged, once per region
// (and Config.BatchDenials), when IAM denies BatchGetSecretValue: the
// Resolver then asks for each secret with GetSecretValue.
const BatchDeniedWarning = "BatchGetSecretValue was denied: each secret now costs one GetSecretValue call"

// BatchDeniedHint says how to let valuefrom batch secrets again.
const BatchDeniedHint = `grant the task role secretsmanager:BatchGetSecretValue on resource "*" (the action has no resource type; it returns only the secrets that secretsmanager:GetSecretValue allows)`

// batchable reports whether f may go in a BatchGetSecretValue call, which
// returns each secret's AWSCURRENT version: a secret asked for with no
// version id, at no stage or at AWSCURRENT.
func batchable(f *fetch) bool {
	return f.ref.VersionID == "" && (f.ref.VersionStage == "" || f.ref.VersionStage == "AWSCURRENT")
}

// answerNames returns the names an answer of BatchGetSecretValue may carry
// for id: a name is its own; an ARN ends in the secret's name, with the
// "-" and six characters AWS adds when it is complete, without them when
// it is partial, and which it is cannot be told from the ARN.
func answerNames(id string) []string {
	a, err := arn.Parse(id)
	if err != nil {
		return []string{id}
	}
	name := strings.TrimPrefix(a.Resource, "secret:")
	if n := len(name) - 7; n > 0 && name[n] == '-' {
		return []string{name, name[:n]}
	}
	return []string{name}
}

// batchSecrets splits a region's batchable secrets into BatchGetSecretValue
// calls of at most MaxSecretsPerCall ids. No two ids in a call may be
// answered with the same name (db, and an ARN that ends in db or db-AbCdEf,
// perhaps of another account): an answer is matched to the one id whose
// name it carries, so that a name never takes the answer meant for an ARN.
func batchSecrets(secrets []*fetch) [][]*fetch {
	return pack(secrets, MaxSecretsPerCall, func(s *fetch) []string { return answerNames(s.ref.ID()) })
}

// pack splits fs, sorted by key, into batches of at most size, putting
// each into the first batch that has room and holds none of its names.
func pack(fs []*fetch, size int, names func(*fetch) []string) [][]*fetch {
	sort.Slice(fs, func(i, j int) bool { return fs[i].key < fs[j].key })
	var batches [][]*fetch
	var taken []map[string]bool
next:
	for _, f := range fs {
		ns := names(f)
		for i, b := range batches {
			if len(b) < size && !slices.ContainsFunc(ns, func(n string) bool { return taken[i][n] }) {
				batches[i] = append(b, f)
				for _, n := range ns {
					taken[i][n] = true
				}
				continue next
			}
		}
		m := map[string]bool{}
		for _, n := range ns {
			m[n] = true
		}
		batches = append(batches, []*fetch{f})
		taken = append(taken, m)
	}
	return batches
}

// getSecretBatch fetches a batch of secrets with one BatchGetSecretValue
// call, through the cache, and records each answered one's value. It
// returns the secrets it did not fetch, for GetSecretValue to ask: the
// ones the call did not answer with a value, all of them when the call
// failed or when batching is off in region, and one left alone (it costs
// one call either way, and GetSecretValue's quota is the larger).
//
// The call is hedged as a parameter batch is, but for throttling, and in
// a fallback region it must answer every id. It makes one attempt: the SDK's retries of a
// throttled call would spend the deadline on BatchGetSecretValue's
// quota of 100 calls a second, where GetSecretValue allows 10,000; the
// secrets are asked one by one instead, with every retry. Only when the
// deadline has passed, or ctx is canceled, does the call's error become
// the secrets' own: there is no time left to ask them one by one.
func (r *Resolver) getSecretBatch(ctx context.Context, region string, batch []*fetch) (rest []*fetch) {
	todo := r.uncached(batch)
	if len(todo) < 2 || r.cfg.NoSecretBatches || r.denials.denied(region) {
		return todo
	}
	start := time.Now()
	// The own region's late answer fails a secret it lists as an error (not
	// found, denied, its KMS key). The call's own failure, a denial of
	// BatchGetSecretValue say, is no verdict on any secret.
	late := lateFor(ctx, func(a secretBatch, err error) map[*fetch]*fetchError {
		failed := make(map[*fetch]*fetchError)
		for _, f := range todo {
			if e := a.failed[f.key]; e != nil {
				failed[f] = classify(e)
			}
		}
		return failed
	})
	// Concurrent Resolve calls asking for the same batch share one call.
	res, err, _ := r.batches.Do(batchKey(todo), func() (any, error) {
		a, _, err := hedgeWith(ctx, r, region, func(ctx context.Context, rg string) (secretBatch, error) {
			a, err := r.batchGetSecretValue(ctx, rg, todo)
			if err == nil && rg != region && len(a.found) < len(todo) {
				return secretBatch{}, errNotMirrored
			}
			// The batch's one attempt was throttled: no outage, so the
			// secrets are asked one by one here, with retries, rather
			// than of a fallback region (a throttled GetSecretValue
			// fails over only once its retries run out).
			if c := awsapi.Classify(err); err != nil && rg == region && c.FailOver() && !c.RegionFailing() {
				return secretBatch{}, stayHome{err}
			}
			return a, err
		}, late)
		return a.found, err
	})
	took := time.Since(start)
	if err != nil {
		if c := awsapi.Classify(err); c.ActionDenied() {
			r.denyBatch(region, c.RequestID)
		}
		if ctx.Err() != nil {
			fe := classify(err)
			for _, f := range todo {
				f.err, f.took = fe, took
			}
			return nil
		}
		return todo
	}
	found := res.(map[string]Secret)
	for _, f := range todo {
		s, ok := found[f.key]
		if !ok {
			rest = append(rest, f)
			continue
		}
		f.secret, f.took = s, took
		r.cache.Set(f.key, s)
	}
	return rest
}

// oneAttempt makes a call's first attempt its last.
func oneAttempt(o *secretsmanager.Options) {
	if o.Retryer != nil {
		o.Retryer = retry.AddWithMaxAttempts(o.Retryer, 1)
	}
}

// A secretBatch is what a BatchGetSecretValue call answered, by fetch
// key: the values, and the errors it listed.
type secretBatch struct {
	found  map[string]Secret
	failed map[string]error
}

// batchGetSecretValue makes one BatchGetSecretValue call in region for
// batch, and maps each value it answered to its fetch's key. An id listed
// in Errors is in failed instead; one that no answer matches exactly (see
// answers) is left out.
func (r *Resolver) batchGetSecretValue(ctx context.Context, region string, batch []*fetch) (secretBatch, error) {
	ids := make([]string, len(batch))
	for i, f := range batch {
		ids[i] = InRegion(f.ref, region).ID()
	}
	r.calls.Add(1)
	// Twenty secrets may answer with more than one call's 1 MiB.
	ctx = awsapi.WithResponseLimit(ctx, awsapi.MaxBatchResponseBytes)
	out, err := r.secrets.Get(region).BatchGetSecretValue(ctx, &secretsmanager.BatchGetSecretValueInput{SecretIdList: ids}, oneAttempt)
	if err != nil {
		return secretBatch{}, err
	}
	reqID := requestID(out.ResultMetadata)
	a := secretBatch{found: make(map[string]Secret, len(batch)), failed: make(map[string]error)}
	for _, e := range out.Errors {
		for i, id := range ids {
			if id == aws.ToString(e.SecretId) {
				a.failed[batch[i].key] = &smithy.GenericAPIError{Code: aws.ToString(e.ErrorCode), Message: aws.ToString(e.Message)}
			}
		}
	}
	for _, v := range out.SecretValues {
		got, name := aws.ToString(v.ARN), aws.ToString(v.Name)
		for i, id := range ids {
			if a.failed[batch[i].key] != nil || !answers(id, got, name) {
				continue
			}
			a.found[batch[i].key] = Secret{
				String:        v.SecretString,
				Binary:        v.SecretBinary,
				VersionID:     aws.ToString(v.VersionId),
				ARN:           got,
				RequestID:     reqID,
				Region:        region,
				Name:          name,
				VersionStages: v.VersionStages,
				CreatedDate:   aws.ToTime(v.CreatedDate),
			}
		}
	}
	return a, nil
}

// answers reports whether an answer of BatchGetSecretValue, the secret
// whose ARN is got and whose name is name, is the one id asks for. A name
// asks for the caller's own secret of that name in the region asked. A
// full or partial ARN must be answered as checkSecretARN requires of
// GetSecretValue (the same partition, region, account and name), and the
// answer's name must be the ARN's, without AWS's suffix when the ARN is
// complete.
func answers(id, got, name string) bool {
	if _, err := arn.Parse(id); err != nil {
		return name == id
	}
	if checkSecretARN(id, got) != nil {
		return false
	}
	ns := answerNames(id)
	if got == id {
		// Complete: its name lacks AWS's suffix.
		return len(ns) == 2 && name == ns[1]
	}
	// Partial: AWS's suffix follows it.
	return name == ns[0]
}

// BatchDenials holds the regions where IAM denied BatchGetSecretValue
// (see Config.BatchDenials), each for BatchDenialTTL: a long-running
// process (supervise mode, render --watch) tries batching again after
// that, so that a permission granted meanwhile takes effect without a
// restart. Its zero value holds none; it is safe for concurrent use.
type BatchDenials struct {
	mu      sync.Mutex
	regions map[string]time.Time // when it was denied
	now     func() time.Time     // nil: time.Now; tests set a clock
}

// BatchDenialTTL is how long a denial of BatchGetSecretValue in a region
// is remembered.
const BatchDenialTTL = time.Hour

func (d *BatchDenials) clock() time.Time {
	if d.now != nil {
		return d.now()
	}
	return time.Now()
}

// denied reports whether IAM denied BatchGetSecretValue in region within
// BatchDenialTTL. Call with d.mu held.
func (d *BatchDenials) deniedLocked(region string) bool {
	at, ok := d.regions[region]
	return ok && d.clock().Sub(at) < BatchDenialTTL
}

// denied reports whether IAM denied BatchGetSecretValue in region within
// BatchDenialTTL.
func (d *BatchDenials) denied(region string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.deniedLocked(region)
}

// deny records that IAM denied BatchGetSecretValue in region, and reports
// whether it is news: the first time, or the first since the last denial
// expired.
func (d *BatchDenials) deny(region string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.deniedLocked(region) {
		return false
	}
	if d.regions == nil {
		d.regions = make(map[string]time.Time)
	}
	d.regions[region] = d.clock()
	return true
}

// denyBatch records that IAM denied BatchGetSecretValue in region, for
// BatchDenialTTL, and warns about it when that is news: each secret there
// costs a call from now on.
func (r *Resolver) denyBatch(region, requestID string) {
	if r.denials.deny(region) {
		r.log.Warn(BatchDeniedWarning, "region", region, "request_id", requestID, "hint", BatchDeniedHint)
	}
}

// calls runs jobs that make API calls, at most a bound at a time, each
// started once a slot is free and in the order they were started.
type calls struct {
	slots chan struct{}
	wg    sync.WaitGroup
}

// A job makes API calls and returns the jobs to start after it: they wait
// for a slot after its own is free, so that a job never holds a slot
// while it waits for another.
type job func() []job

func newCalls(limit int) *calls {
	return &calls{slots: make(chan struct{}, max(limit, 1))}
}

// start runs j once a slot is free, blocking until then.
func (c *calls) start(j job) {
	c.slots <- struct{}{}
	c.wg.Go(func() {
		next := j()
		<-c.slots
		for _, n := range next {
			c.start(n)
		}
	})
}

// wait waits for every job and the jobs they started.
func (c *calls) wait() { c.wg.Wait() }

// BatchesSecrets reports whether Resolve, given reqs, would ask for some
// of their secrets with BatchGetSecretValue: two or more distinct secrets
// at AWSCURRENT that may share a call in one region. defaultRegion is the
// region of short-form references.
func BatchesSecrets(reqs []reference.Request, defaultRegion string) bool {
	return len(SecretBatches(reqs, defaultRegion)) > 0
}

// A SecretBatch is one BatchGetSecretValue call Resolve would make.
type SecretBatch struct {
	Region string
	// IDs are the secret ids the call asks for, as it names them.
	IDs []string
	// Requests are the indexes in reqs of the requests the call answers,
	// in order: more than one may ask for the same secret.
	Requests []int
}

// SecretBatches returns the BatchGetSecretValue calls Resolve would make
// for reqs, with nothing cached and batching on, by region in sorted
// order: the distinct secrets asked for at AWSCURRENT, split as
// batchSecrets splits them, without the ones left alone in a call (those
// are asked with GetSecretValue). defaultRegion is the region of
// short-form references.
func SecretBatches(reqs []reference.Request, defaultRegion string) []SecretBatch {
	fetches, keys, _ := fetchesOf(reqs, defaultRegion)
	reqsOf := map[*fetch][]int{}
	for i, k := range keys {
		if k != "" {
			reqsOf[fetches[k]] = append(reqsOf[fetches[k]], i)
		}
	}
	byRegion := map[string][]*fetch{}
	for _, f := range fetches {
		if f.ref.Service == reference.SecretsManager && batchable(f) {
			byRegion[f.region] = append(byRegion[f.region], f)
		}
	}
	var batches []SecretBatch
	for _, region := range slices.Sorted(maps.Keys(byRegion)) {
		for _, b := range batchSecrets(byRegion[region]) {
			if len(b) < 2 {
				continue
			}
			sb := SecretBatch{Region: region}
			for _, f := range b {
				sb.IDs = append(sb.IDs, InRegion(f.ref, region).ID())
				sb.Requests = append(sb.Requests, reqsOf[f]...)
			}
			slices.Sort(sb.Requests)
			batches = append(batches, sb)
		}
	}
	return batches
}

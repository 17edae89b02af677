package resolver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"

	"github.com/valuefrom/valuefrom/cache"
	"github.com/valuefrom/valuefrom/internal/awsapi"
	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
)

// ops returns the operation of each call, without its ids.
func ops(calls []string) []string {
	var out []string
	for _, c := range calls {
		op, _, _ := strings.Cut(c, " ")
		out = append(out, op)
	}
	return out
}

func count(calls []string, op string) int {
	n := 0
	for _, c := range calls {
		if strings.HasPrefix(c, op+" ") {
			n++
		}
	}
	return n
}

func TestResolveBatchesSecrets(t *testing.T) {
	f := &fakeAWS{secrets: map[string]string{}}
	var kv []string
	for i := range 45 {
		f.secrets[fmt.Sprintf("us-east-1/s%02d", i)] = fmt.Sprintf("v%02d", i)
		kv = append(kv, fmt.Sprintf("S%02d", i), fmt.Sprintf("secretsmanager:s%02d", i),
			fmt.Sprintf("AGAIN%02d", i), fmt.Sprintf("secretsmanager:s%02d", i))
	}
	f.secrets["us-east-1/s00"] = "v00"
	f.secrets["us-west-2/arn:aws:secretsmanager:us-west-2:123456789012:secret:w"] = "west"
	kv = append(kv,
		"STAGED", "secretsmanager:s01::AWSPREVIOUS:", // a stage: GetSecretValue
		"CURRENT", "secretsmanager:s02::AWSCURRENT:", // AWSCURRENT by name: batched
		"WEST", "arn:aws:secretsmanager:us-west-2:123456789012:secret:w") // alone in its region: GetSecretValue
	r := newFakeResolver(f)
	values, err := r.Resolve(context.Background(), requests(t, kv...))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, v := range values {
		got[v.Var] = string(v.Value)
	}
	for i := range 45 {
		if want := fmt.Sprintf("v%02d", i); got[fmt.Sprintf("S%02d", i)] != want || got[fmt.Sprintf("AGAIN%02d", i)] != want {
			t.Errorf("S%02d or AGAIN%02d: wrong value", i, i)
		}
	}
	if got["WEST"] != "west" || got["STAGED"] != "v01" || got["CURRENT"] != "v02" {
		t.Errorf("WEST, STAGED or CURRENT: wrong value")
	}

	// us-east-1: 46 distinct current secrets (45, and s02 at AWSCURRENT,
	// which goes in another call than s02) in ceil(46/20) = 3 calls; s01
	// at AWSPREVIOUS by GetSecretValue.
	east := f.calls["us-east-1"]
	if n := count(east, "BatchGetSecretValue"); n != 3 {
		t.Errorf("us-east-1: %d BatchGetSecretValue calls, want 3: %q", n, ops(east))
	}
	for _, c := range east {
		if ids := strings.Fields(c)[1:]; strings.Count(" "+strings.Join(ids, " ")+" ", " s02 ") > 1 {
			t.Errorf("s02 twice in one call: %q", c)
		}
	}
	if n := count(east, "GetSecretValue"); n != 1 || !slices.Contains(east, "GetSecretValue s01") {
		t.Errorf("us-east-1: GetSecretValue calls %q, want one, for s01's stage", east)
	}
	for _, c := range east {
		if ids := strings.Fields(c)[1:]; len(ids) > MaxSecretsPerCall {
			t.Errorf("a call of %d ids, more than %d", len(ids), MaxSecretsPerCall)
		}
	}
	if west := f.calls["us-west-2"]; !slices.Equal(ops(west), []string{"GetSecretValue"}) {
		t.Errorf("us-west-2: calls %q, want one GetSecretValue", west)
	}
	if r.Calls() != 5 {
		t.Errorf("Calls() = %d, want 5 (3 + 1 + 1)", r.Calls())
	}

	// Each secret is in the cache under its own key, as GetSecretValue
	// would have put it.
	for _, id := range []string{"s00", "s44"} {
		ref := requests(t, "X", "secretsmanager:"+id)[0].Ref
		if s, ok := r.cache.Lookup(fetchKey("us-east-1", ref)); !ok || aws.ToString(s.String) != "v"+id[1:] {
			t.Errorf("%s is not in the cache under its key", id)
		}
	}
	// A second Resolve is served from the cache.
	before := r.Calls()
	if _, err := r.Resolve(context.Background(), requests(t, kv...)); err != nil {
		t.Fatal(err)
	}
	if r.Calls() != before {
		t.Errorf("a second Resolve made %d calls, want 0", r.Calls()-before)
	}
}

func TestNoSecretBatches(t *testing.T) {
	f := &fakeAWS{secrets: map[string]string{"us-east-1/a": "1", "us-east-1/b": "2"}}
	r := newFakeResolver(f)
	r.cfg.NoSecretBatches = true
	if _, err := r.Resolve(context.Background(), requests(t, "A", "secretsmanager:a", "B", "secretsmanager:b")); err != nil {
		t.Fatal(err)
	}
	if got := ops(f.calls["us-east-1"]); !slices.Equal(got, []string{"GetSecretValue", "GetSecretValue"}) {
		t.Errorf("calls %q, want two GetSecretValue", got)
	}
}

func TestBatchSecretsNames(t *testing.T) {
	const arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:"
	var fs []*fetch
	for _, id := range []string{"secretsmanager:db", arn + "db", arn + "db-AbCdEf", "secretsmanager:other", arn + "x-AbCdEf"} {
		ref := requests(t, "X", id)[0].Ref
		fs = append(fs, &fetch{key: fetchKey("us-east-1", ref), region: "us-east-1", ref: ref})
	}
	batches := batchSecrets(fs)
	for _, b := range batches {
		seen := map[string]string{}
		for _, f := range b {
			for _, n := range answerNames(f.ref.ID()) {
				if other, ok := seen[n]; ok {
					t.Errorf("%s and %s share a call: both may be answered with the name %s", other, f.ref.ID(), n)
				}
				seen[n] = f.ref.ID()
			}
		}
	}
	// db, its partial and its complete ARN: three calls.
	if len(batches) != 3 {
		t.Errorf("%d calls, want 3", len(batches))
	}
}

func TestAnswers(t *testing.T) {
	const (
		prefix = "arn:aws:secretsmanager:us-east-1:123456789012:secret:"
		dbARN  = prefix + "app/db-AbCdEf"
	)
	tests := []struct {
		name, id, arn, answerName string
		want                      bool
	}{
		{"name", "app/db", dbARN, "app/db", true},
		{"name, another secret", "app/db", prefix + "app/dbx-AbCdEf", "app/dbx", false},
		{"complete ARN", dbARN, dbARN, "app/db", true},
		{"complete ARN, another suffix", dbARN, prefix + "app/db-ZzZzZz", "app/db", false},
		{"complete ARN, name inconsistent", dbARN, dbARN, "app/db-AbCdEf", false},
		{"partial ARN", prefix + "app/db", dbARN, "app/db", true},
		{"partial ARN, name inconsistent", prefix + "app/db", dbARN, "app/dbx", false},
		{"partial ARN, a longer name", prefix + "app/db", prefix + "app/db-x-AbCdEf", "app/db-x", false},
		{"partial ARN looks complete", prefix + "db-AbCdEf", prefix + "db-AbCdEf-QwErTy", "db-AbCdEf", true},
		{"another account", prefix + "app/db", "arn:aws:secretsmanager:us-east-1:999999999999:secret:app/db-AbCdEf", "app/db", false},
		{"another region", prefix + "app/db", "arn:aws:secretsmanager:us-west-2:123456789012:secret:app/db-AbCdEf", "app/db", false},
		{"another partition", prefix + "app/db", "arn:aws-cn:secretsmanager:us-east-1:123456789012:secret:app/db-AbCdEf", "app/db", false},
		{"no ARN", prefix + "app/db", "", "app/db", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := answers(tt.id, tt.arn, tt.answerName); got != tt.want {
				t.Errorf("answers(%s, %s, %s) = %v, want %v", tt.id, tt.arn, tt.answerName, got, tt.want)
			}
		})
	}
}

// TestBatchErrorsReadAsBefore: what a batch answers in Errors is asked
// again with GetSecretValue, and fails with the error and hint it had
// without batching.
func TestBatchErrorsReadAsBefore(t *testing.T) {
	reqs := requests(t, "OK", "secretsmanager:ok", "OK2", "secretsmanager:ok2", "LOCKED", "secretsmanager:locked",
		"GONE", "secretsmanager:gone")
	newFake := func() *fakeAWS {
		return &fakeAWS{secrets: map[string]string{"us-east-1/ok": "1", "us-east-1/ok2": "2", "us-east-1/locked": "3"},
			deny: map[string]bool{"locked": true}}
	}
	resolveErr := func(r *Resolver) string {
		_, err := r.Resolve(context.Background(), reqs)
		var errs Errors
		if !errors.As(err, &errs) || len(errs) != 2 {
			t.Fatalf("error %v, want LOCKED's and GONE's", err)
		}
		var b strings.Builder
		for _, e := range errs {
			fmt.Fprintf(&b, "%s\nhint: %s\n", e, testHint(e))
		}
		return b.String()
	}
	one := newFakeResolver(newFake())
	one.cfg.NoSecretBatches = true
	want := resolveErr(one)

	f := newFake()
	got := resolveErr(newFakeResolver(f))
	if got != want {
		t.Errorf("errors with batching:\n%s\nwant, as without:\n%s", got, want)
	}
	calls := f.calls["us-east-1"]
	if !slices.Equal(ops(calls), []string{"BatchGetSecretValue", "GetSecretValue", "GetSecretValue"}) ||
		!slices.Contains(calls, "GetSecretValue locked") || !slices.Contains(calls, "GetSecretValue gone") {
		t.Errorf("calls %q, want a batch, then GetSecretValue for locked and gone", calls)
	}
}

// fakeMissing answers a batch without one of its ids.
type fakeMissing struct {
	fakeSecrets
	missing string
}

func (f fakeMissing) BatchGetSecretValue(ctx context.Context, in *secretsmanager.BatchGetSecretValueInput, o ...func(*secretsmanager.Options)) (*secretsmanager.BatchGetSecretValueOutput, error) {
	out, err := f.fakeSecrets.BatchGetSecretValue(ctx, in, o...)
	if err == nil {
		out.SecretValues = slices.DeleteFunc(out.SecretValues, func(v smtypes.SecretValueEntry) bool { return aws.ToString(v.Name) == f.missing })
	}
	return out, err
}

func TestBatchMissingAnswer(t *testing.T) {
	f := &fakeAWS{secrets: map[string]string{"us-east-1/a": "1", "us-east-1/b": "2", "us-east-1/c": "3"}}
	r := newFakeResolver(f)
	r.secrets.New = func(region string) secretsAPI { return fakeMissing{fakeSecrets{f, region}, "b"} }
	values, err := r.Resolve(context.Background(), requests(t, "A", "secretsmanager:a", "B", "secretsmanager:b", "C", "secretsmanager:c"))
	if err != nil {
		t.Fatal(err)
	}
	if len(values) != 3 || string(values[1].Value) != "2" {
		t.Errorf("B: wrong value, or values missing")
	}
	if calls := f.calls["us-east-1"]; !slices.Equal(calls[1:], []string{"GetSecretValue b"}) {
		t.Errorf("calls %q, want the batch, then GetSecretValue for b alone", calls)
	}
}

func TestBatchCallFails(t *testing.T) {
	const canary = "canary-batch-5e7a"
	throttled := &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}
	denied := &smithy.GenericAPIError{Code: "AccessDeniedException",
		Message: "User: arn:aws:sts::123456789012:assumed-role/task/x is not authorized to perform: secretsmanager:BatchGetSecretValue because no identity-based policy allows the secretsmanager:BatchGetSecretValue action"}
	for _, tt := range []struct {
		name     string
		err      error
		remember bool // no more batch calls, and one warning
	}{
		{"access denied", denied, true},
		{"throttled", throttled, false},
		{"other", errors.New("connection reset by peer"), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeAWS{secrets: map[string]string{"us-east-1/a": canary + "-a", "us-east-1/b": canary + "-b"}, batchErr: tt.err}
			var log bytes.Buffer
			r := newFakeResolver(f)
			r.log = slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
			reqs := requests(t, "A", "secretsmanager:a", "B", "secretsmanager:b")
			for range 2 {
				r.cache = cache.New[Secret](cache.Options{}) // forget the values: ask again
				values, err := r.Resolve(context.Background(), reqs)
				if err != nil || len(values) != 2 || string(values[0].Value) != canary+"-a" {
					t.Fatalf("Resolve: %v, or wrong values", err)
				}
			}
			wantBatches := 2
			if tt.remember {
				wantBatches = 1
			}
			calls := f.calls["us-east-1"]
			if n := count(calls, "BatchGetSecretValue"); n != wantBatches {
				t.Errorf("%d BatchGetSecretValue calls in two Resolves, want %d: %q", n, wantBatches, calls)
			}
			if n := count(calls, "GetSecretValue"); n != 4 {
				t.Errorf("%d GetSecretValue calls, want 4 (two secrets, twice): %q", n, calls)
			}
			warnings := strings.Count(log.String(), BatchDeniedWarning)
			if tt.remember && (warnings != 1 || !strings.Contains(log.String(), "secretsmanager:BatchGetSecretValue")) {
				t.Errorf("%d warnings, want one that names secretsmanager:BatchGetSecretValue:\n%s", warnings, log.String())
			}
			if !tt.remember && warnings != 0 {
				t.Errorf("%d warnings that BatchGetSecretValue was denied, want none:\n%s", warnings, log.String())
			}
			if strings.Contains(log.String(), canary) {
				t.Error("the log holds a secret value")
			}
		})
	}
}

// TestBatchDenialsShared: Resolvers that share BatchDenials ask a region
// where IAM denies BatchGetSecretValue once, and warn once, in all;
// Resolvers that do not each ask and warn.
func TestBatchDenialsShared(t *testing.T) {
	const canary = "canary-denials-3f9c"
	denied := &smithy.GenericAPIError{Code: "AccessDeniedException",
		Message: "User: arn:aws:sts::123456789012:assumed-role/task/x is not authorized to perform: secretsmanager:BatchGetSecretValue"}
	reqs := requests(t, "A", "secretsmanager:a", "B", "secretsmanager:b", "W1", "arn:aws:secretsmanager:us-west-2:123456789012:secret:w1",
		"W2", "arn:aws:secretsmanager:us-west-2:123456789012:secret:w2")
	for _, tt := range []struct {
		name   string
		shared bool
		want   int // batch calls, and warnings, per region
	}{
		{"shared", true, 1},
		{"not shared", false, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeAWS{secrets: map[string]string{"us-east-1/a": canary + "-a", "us-east-1/b": canary + "-b",
				"us-west-2/arn:aws:secretsmanager:us-west-2:123456789012:secret:w1": canary + "-w1",
				"us-west-2/arn:aws:secretsmanager:us-west-2:123456789012:secret:w2": canary + "-w2"}, batchErr: denied}
			var log bytes.Buffer
			var denials *BatchDenials
			if tt.shared {
				denials = new(BatchDenials)
			}
			for range 3 {
				r := New(Config{AWS: aws.Config{Region: "us-east-1"}, Concurrency: 4, BatchDenials: denials,
					Logger: slog.New(slog.NewTextHandler(&log, nil))})
				r.secrets.New = func(region string) secretsAPI { return fakeSecrets{f, region} }
				values, err := r.Resolve(context.Background(), reqs)
				if err != nil || len(values) != 4 || string(values[3].Value) != canary+"-w2" {
					t.Fatalf("Resolve: %v, or wrong values", err)
				}
			}
			for _, region := range []string{"us-east-1", "us-west-2"} {
				calls := f.calls[region]
				if n := count(calls, "BatchGetSecretValue"); n != tt.want {
					t.Errorf("%s: %d BatchGetSecretValue calls by three Resolvers, want %d: %q", region, n, tt.want, ops(calls))
				}
				if n := count(calls, "GetSecretValue"); n != 6 {
					t.Errorf("%s: %d GetSecretValue calls, want 6 (two secrets, three times): %q", region, n, ops(calls))
				}
				if n := strings.Count(log.String(), BatchDeniedWarning+"\" region="+region); n != tt.want {
					t.Errorf("%s: %d warnings, want %d:\n%s", region, n, tt.want, log.String())
				}
			}
			if strings.Contains(log.String(), canary) {
				t.Error("the log holds a secret value")
			}
		})
	}
}

// TestBatchFailsOver: with the own region down, the batch is asked of
// the fallback region; a fallback region that lacks one of the secrets
// is no stand-in for the batch, and each secret is asked on its own.
func TestBatchFailsOver(t *testing.T) {
	f := &fakeAWS{secrets: map[string]string{"us-west-2/a": "1", "us-west-2/b": "2", "eu-west-1/c": "3", "us-west-2/d": "4"}}
	var buf bytes.Buffer
	r := newFailoverResolver(f, "us-east-1", errUnavailable, &buf)
	values, err := r.Resolve(context.Background(), requests(t, "A", "secretsmanager:a", "B", "secretsmanager:b"))
	if err != nil || len(values) != 2 || values[0].Fallback != "us-west-2" || string(values[1].Value) != "2" {
		t.Fatalf("Resolve = %v, %v; want both from us-west-2", values, err)
	}
	if got := f.calls["us-west-2"]; !slices.Equal(got, []string{"BatchGetSecretValue a b"}) {
		t.Errorf("us-west-2: calls %q, want one batch", got)
	}

	f.calls = nil
	values, err = r.Resolve(context.Background(), requests(t, "C", "secretsmanager:c", "D", "secretsmanager:d"))
	if err != nil || len(values) != 2 || values[0].Fallback != "eu-west-1" || values[1].Fallback != "us-west-2" {
		t.Fatalf("Resolve = %v, %v; want C from eu-west-1, D from us-west-2", values, err)
	}
	if got := ops(f.calls["eu-west-1"]); !slices.Contains(got, "GetSecretValue") {
		t.Errorf("eu-west-1: calls %q, want GetSecretValue for c", got)
	}
}

// TestBatchThrottledStaysHome: a throttled batch in the own region is no
// outage: its secrets are asked one by one there, with retries, and never
// of a fallback region, whose replicas may be behind.
func TestBatchThrottledStaysHome(t *testing.T) {
	f := &fakeAWS{
		secrets:  map[string]string{"us-east-1/a": "fresh-a", "us-east-1/b": "fresh-b", "us-west-2/a": "stale-a", "us-west-2/b": "stale-b"},
		batchErr: &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}, batchIn: "us-east-1",
	}
	var buf bytes.Buffer
	r := newFailoverResolver(f, "", nil, &buf)
	values, err := r.Resolve(context.Background(), requests(t, "A", "secretsmanager:a", "B", "secretsmanager:b"))
	if err != nil || len(values) != 2 || string(values[0].Value) != "fresh-a" || string(values[1].Value) != "fresh-b" ||
		values[0].Fallback != "" || values[1].Fallback != "" {
		t.Fatalf("Resolve: %v; want both values fresh from us-east-1 (calls %q)", err, f.calls)
	}
	if got := f.calls["us-west-2"]; len(got) != 0 {
		t.Errorf("us-west-2 was asked: %q", got)
	}
	if got := f.calls["us-east-1"]; count(got, "GetSecretValue") != 2 {
		t.Errorf("us-east-1: calls %q, want the batch, then GetSecretValue for each", got)
	}
}

// TestBatchMoto resolves secrets through BatchGetSecretValue against moto,
// by name, complete ARN and partial ARN, and one partial ARN of another
// account, which moto answers by name alone: it must fail as it does
// with GetSecretValue, never take the caller's own secret.
func TestBatchMoto(t *testing.T) {
	moto := mototest.Start(t)
	sd := moto.Seeder(t, "us-east-1")
	a := sd.Secret("batch/a", "canary-moto-a")
	b := sd.Secret("batch/b", "canary-moto-b")
	sd.Secret("batch/c", "canary-moto-c")
	sd.Secret("batch/d", "canary-moto-d")
	prefix := a.ARN[:strings.Index(a.ARN, ":secret:")+len(":secret:")]
	partialC := prefix + "batch/c"
	otherD := "arn:aws:secretsmanager:us-east-1:999999999999:secret:batch/d"

	var log bytes.Buffer
	cfg := moto.Config(t, "us-east-1")
	r := New(Config{AWS: cfg, Concurrency: 4,
		Logger: slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	calls := &callCounts{n: map[string]int{}}
	r.secrets.New = func(region string) secretsAPI {
		return countingSecrets{secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) { o.Region = region }), calls}
	}
	reqs := requests(t, "A", "secretsmanager:batch/a", "B", b.ARN, "C", partialC, "D", otherD, "GONE", "secretsmanager:batch/gone")
	_, err := r.Resolve(context.Background(), reqs)
	var errs Errors
	if !errors.As(err, &errs) || len(errs) != 2 || errs[0].Var != "D" || errs[0].Code != awsapi.CodeARNMismatch ||
		errs[1].Var != "GONE" || errs[1].Code != "ResourceNotFoundException" {
		t.Fatalf("Resolve: %v; want D's ARN mismatch and GONE not found", err)
	}
	if strings.Contains(err.Error(), "canary") || strings.Contains(log.String(), "canary") {
		t.Error("an error or the log holds a secret value")
	}
	// One batch for the five, then GetSecretValue for D and GONE.
	if calls.n["BatchGetSecretValue"] != 1 || calls.n["GetSecretValue"] != 2 {
		t.Errorf("calls %v, want 1 BatchGetSecretValue and 2 GetSecretValue", calls.n)
	}

	values, err := r.Resolve(context.Background(), reqs[:3])
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"canary-moto-a", "canary-moto-b", "canary-moto-c"} {
		if string(values[i].Value) != want {
			t.Errorf("%s: wrong value (%d bytes)", values[i].Var, len(values[i].Value))
		}
	}
}

type callCounts struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *callCounts) add(op string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[op]++
}

// countingSecrets counts the calls of a real client.
type countingSecrets struct {
	*secretsmanager.Client
	calls *callCounts
}

func (c countingSecrets) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, o ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	c.calls.add("GetSecretValue")
	return c.Client.GetSecretValue(ctx, in, o...)
}

func (c countingSecrets) BatchGetSecretValue(ctx context.Context, in *secretsmanager.BatchGetSecretValueInput, o ...func(*secretsmanager.Options)) (*secretsmanager.BatchGetSecretValueOutput, error) {
	c.calls.add("BatchGetSecretValue")
	return c.Client.BatchGetSecretValue(ctx, in, o...)
}

func TestBatchesSecrets(t *testing.T) {
	const west = "arn:aws:secretsmanager:us-west-2:123456789012:secret:"
	tests := []struct {
		name string
		kv   []string
		want bool
	}{
		{"two secrets", []string{"A", "secretsmanager:a", "B", "secretsmanager:b"}, true},
		{"one secret twice", []string{"A", "secretsmanager:a", "A2", "secretsmanager:a:key::"}, false},
		{"two regions", []string{"A", "secretsmanager:a", "W", west + "w"}, false},
		{"a stage", []string{"A", "secretsmanager:a", "B", "secretsmanager:b::AWSPREVIOUS:"}, false},
		{"a name and its ARN", []string{"A", "secretsmanager:a", "A2", "arn:aws:secretsmanager:us-east-1:123456789012:secret:a"}, false},
		{"parameters", []string{"P", "ssm:/p", "Q", "ssm:/q"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := BatchesSecrets(requests(t, tt.kv...), "us-east-1"); got != tt.want {
				t.Errorf("BatchesSecrets = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestBatchDenialsExpire: a denial is remembered for BatchDenialTTL, then
// batching is tried again, so that a permission granted meanwhile takes
// effect in a long-running process.
func TestBatchDenialsExpire(t *testing.T) {
	now := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	d := &BatchDenials{now: func() time.Time { return now }}
	if d.denied("us-east-1") {
		t.Fatal("denied before any denial")
	}
	if !d.deny("us-east-1") || d.deny("us-east-1") {
		t.Fatal("deny: want news the first time only")
	}
	now = now.Add(BatchDenialTTL - time.Second)
	if !d.denied("us-east-1") || d.denied("eu-west-1") {
		t.Error("within the TTL: want us-east-1 denied, eu-west-1 not")
	}
	now = now.Add(time.Second)
	if d.denied("us-east-1") {
		t.Error("after the TTL: still denied")
	}
	if !d.deny("us-east-1") {
		t.Error("a denial after the TTL is not news")
	}
}

func TestSecretBatches(t *testing.T) {
	const west = "arn:aws:secretsmanager:us-west-2:123456789012:secret:"
	kv := []string{
		"A", "secretsmanager:a",
		"P", "ssm:/p",
		"A_KEY", "secretsmanager:a:key::",
		"OLD", "secretsmanager:b::AWSPREVIOUS:",
		"B", "secretsmanager:b",
		"W", west + "w",
		"X", west + "x",
		"LONE", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:lone",
	}
	var big []string
	for i := range MaxSecretsPerCall + 1 {
		big = append(big, fmt.Sprintf("S%d", i), fmt.Sprintf("secretsmanager:s%02d", i))
	}
	tests := []struct {
		name string
		kv   []string
		want []SecretBatch
	}{
		{"by region, lone secrets left out", kv, []SecretBatch{
			{Region: "us-east-1", IDs: []string{"a", "b"}, Requests: []int{0, 2, 4}},
			{Region: "us-west-2", IDs: []string{west + "w", west + "x"}, Requests: []int{5, 6}},
		}},
		{"twenty a call", big, []SecretBatch{{Region: "us-east-1", Requests: seq(0, MaxSecretsPerCall)}}},
		{"none", []string{"A", "secretsmanager:a", "P", "ssm:/p"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SecretBatches(requests(t, tt.kv...), "us-east-1")
			if len(got) != len(tt.want) {
				t.Fatalf("%d batches %+v, want %d", len(got), got, len(tt.want))
			}
			for i, b := range got {
				w := tt.want[i]
				if b.Region != w.Region || w.IDs != nil && !slices.Equal(b.IDs, w.IDs) || !slices.Equal(b.Requests, w.Requests) {
					t.Errorf("batch %d = %+v, want %+v", i, b, w)
				}
				if len(b.IDs) > MaxSecretsPerCall {
					t.Errorf("batch %d has %d ids, more than %d", i, len(b.IDs), MaxSecretsPerCall)
				}
			}
		})
	}
}

// seq returns the integers from i up to, not including, j.
func seq(i, j int) []int {
	var s []int
	for ; i < j; i++ {
		s = append(s, i)
	}
	return s
}

package faultproxy_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"

	"github.com/valuefrom/valuefrom/internal/testkit/awsstub"
	"github.com/valuefrom/valuefrom/internal/testkit/faultproxy"
	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
)

const (
	opGet  = "secretsmanager.GetSecretValue"
	opGetP = "AmazonSSM.GetParameters"
)

// backend starts an awsstub with secrets a, b, denied and parameters /p/a,
// /p/kms.
func backend(t *testing.T) *awsstub.Server {
	t.Helper()
	s := awsstub.Serve(t, awsstub.Options{})
	for _, name := range []string{"a", "b", "denied"} {
		s.PutSecretString(name, strings.ToUpper(name))
	}
	s.PutParameter("/p/a", "String", "pa")
	s.PutParameter("/p/kms", "SecureString", "pk")
	return s
}

// outcome names what a call returned: "ok", an error code, or "conn".
func outcome(err error) string {
	var ae smithy.APIError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &ae):
		return ae.ErrorCode()
	default:
		return "conn"
	}
}

func getSecret(sm *secretsmanager.Client, id string) error {
	_, err := sm.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
	return err
}

func TestFaultKinds(t *testing.T) {
	b := backend(t)
	tests := []struct {
		name       string
		rule       faultproxy.Rule
		wantCode   string
		wantStatus int
		want       faultproxy.Stats
	}{
		{"throttle", faultproxy.Rule{Throttle: 1}, "ThrottlingException", 400, faultproxy.Stats{Requests: 1, Throttled: 1}},
		{"internal", faultproxy.Rule{Internal: 1}, "InternalServiceError", 500, faultproxy.Stats{Requests: 1, Internal: 1}},
		{"unavailable", faultproxy.Rule{Unavailable: 1}, "ServiceUnavailable", 503, faultproxy.Stats{Requests: 1, Unavailable: 1}},
		{"none", faultproxy.Rule{}, "ok", 200, faultproxy.Stats{Requests: 1, Forwarded: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := faultproxy.Serve(t, b.URL(), faultproxy.Config{Default: tt.rule})
			cfg := awsstub.Config(p.URL())
			sm, ps := secretsmanager.NewFromConfig(cfg), ssm.NewFromConfig(cfg)

			err := getSecret(sm, "a")
			_, perr := ps.GetParameters(context.Background(), &ssm.GetParametersInput{Names: []string{"/p/a"}})
			var ids []string
			for _, err := range []error{err, perr} {
				if got := outcome(err); got != tt.wantCode {
					t.Errorf("got %q, want %q", got, tt.wantCode)
				}
				var re *awshttp.ResponseError
				if err == nil {
					continue
				}
				if !errors.As(err, &re) {
					t.Fatalf("%v is not an *awshttp.ResponseError", err)
				}
				if re.HTTPStatusCode() != tt.wantStatus {
					t.Errorf("HTTP status %d, want %d", re.HTTPStatusCode(), tt.wantStatus)
				}
				ids = append(ids, re.ServiceRequestID())
			}
			if len(ids) == 2 && (ids[0] == "" || ids[0] == ids[1]) {
				t.Errorf("request ids %q: want unique and non-empty", ids)
			}
			want := map[string]faultproxy.Stats{opGet: tt.want, opGetP: tt.want}
			if got := p.Counts(); !maps.Equal(got, want) {
				t.Errorf("Counts = %+v, want %+v", got, want)
			}
		})
	}
}

func TestReset(t *testing.T) {
	b := backend(t)
	p := faultproxy.Serve(t, b.URL(), faultproxy.Config{Ops: map[string]faultproxy.Rule{
		opGet: {Script: []faultproxy.Fault{faultproxy.ConnReset, faultproxy.ConnReset}},
	}})
	sm := secretsmanager.NewFromConfig(awsstub.Config(p.URL()))

	err := getSecret(sm, "a")
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("got %v, want ECONNRESET", err)
	}
	if got := retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err); got != aws.TrueTernary {
		t.Errorf("SDK calls the reset retryable: %v, want true", got)
	}

	// With the SDK's standard retryer, the second reset is retried and the
	// third attempt is forwarded.
	retrying := secretsmanager.NewFromConfig(awsstub.Config(p.URL()), func(o *secretsmanager.Options) {
		o.Retryer = retry.NewStandard(func(o *retry.StandardOptions) {
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		})
	})
	if err := getSecret(retrying, "a"); err != nil {
		t.Fatalf("with retries: %v", err)
	}
	want := map[string]faultproxy.Stats{opGet: {Requests: 3, Resets: 2, Forwarded: 1}}
	if got := p.Counts(); !maps.Equal(got, want) {
		t.Errorf("Counts = %+v, want %+v", got, want)
	}
	if got := b.Counts()[opGet]; got != 1 {
		t.Errorf("backend saw %d requests, want 1", got)
	}
}

// sequence sends n GetSecretValue calls, one at a time, and returns the
// outcomes.
func sequence(t *testing.T, seed uint64, n int) ([]string, map[string]faultproxy.Stats) {
	b := backend(t)
	p := faultproxy.Serve(t, b.URL(), faultproxy.Config{Seed: seed, Default: faultproxy.Rule{Throttle: 0.3, Internal: 0.1, Unavailable: 0.1}})
	sm := secretsmanager.NewFromConfig(awsstub.Config(p.URL()))
	var got []string
	for range n {
		got = append(got, outcome(getSecret(sm, "a")))
	}
	return got, p.Counts()
}

func TestDeterministic(t *testing.T) {
	const n = 60
	first, counts := sequence(t, 42, n)
	second, _ := sequence(t, 42, n)
	other, _ := sequence(t, 43, n)
	if !slices.Equal(first, second) {
		t.Errorf("seed 42 gave two sequences:\n%v\n%v", first, second)
	}
	if slices.Equal(first, other) {
		t.Errorf("seeds 42 and 43 gave the same sequence %v", first)
	}
	tally := map[string]int{}
	for _, o := range first {
		tally[o]++
	}
	st := counts[opGet]
	want := faultproxy.Stats{Requests: n, Forwarded: tally["ok"], Throttled: tally["ThrottlingException"],
		Internal: tally["InternalServiceError"], Unavailable: tally["ServiceUnavailable"]}
	if st != want {
		t.Errorf("Counts = %+v, want %+v", st, want)
	}
	if len(tally) != 4 {
		t.Errorf("outcomes %v: want all four kinds in %d calls", tally, n)
	}
}

// clock is a manual clock for the token buckets, in Unix nanoseconds.
type clock struct{ ns atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

func TestTokenBucket(t *testing.T) {
	b := backend(t)
	clk := new(clock)
	clk.Advance(1700000000 * time.Second)
	p := faultproxy.Serve(t, b.URL(), faultproxy.Config{
		Now:     clk.Now,
		Buckets: map[string]faultproxy.Bucket{"ssm": {Rate: 2, Burst: 3}},
		Ops:     map[string]faultproxy.Rule{"AmazonSSM.*": {Bucket: "ssm"}},
	})
	cfg := awsstub.Config(p.URL())
	ps, sm := ssm.NewFromConfig(cfg), secretsmanager.NewFromConfig(cfg)
	call := func() string {
		_, err := ps.GetParameters(context.Background(), &ssm.GetParametersInput{Names: []string{"/p/a"}})
		return outcome(err)
	}
	calls := func(n int) string {
		var out []string
		for range n {
			out = append(out, call())
		}
		return strings.Join(out, " ")
	}

	steps := []struct {
		advance time.Duration
		n       int
		want    string
	}{
		{0, 4, "ok ok ok ThrottlingException"},                // burst of 3
		{250 * time.Millisecond, 1, "ThrottlingException"},    // half a token
		{250 * time.Millisecond, 2, "ok ThrottlingException"}, // one token at 2/s
		{time.Hour, 4, "ok ok ok ThrottlingException"},        // refill stops at the burst
	}
	for i, s := range steps {
		clk.Advance(s.advance)
		if got := calls(s.n); got != s.want {
			t.Errorf("step %d: got %q, want %q", i, got, s.want)
		}
	}
	for range 5 {
		if err := getSecret(sm, "a"); err != nil {
			t.Errorf("secretsmanager shares no bucket with SSM, got %v", err)
		}
	}
	want := map[string]faultproxy.Stats{
		opGetP: {Requests: 11, Forwarded: 7, RateLimited: 4},
		opGet:  {Requests: 5, Forwarded: 5},
	}
	if got := p.Counts(); !maps.Equal(got, want) {
		t.Errorf("Counts = %+v, want %+v", got, want)
	}
	p.Reset()
	if got := p.Counts(); len(got) != 0 {
		t.Errorf("after Reset, Counts = %+v", got)
	}
}

func TestDeny(t *testing.T) {
	b := backend(t)
	p := faultproxy.Serve(t, b.URL(), faultproxy.Config{Deny: map[string]faultproxy.Denial{
		"denied": faultproxy.AccessDenied,
		"/p/kms": faultproxy.KMSInvalidState,
	}})
	cfg := awsstub.Config(p.URL())
	sm, ps := secretsmanager.NewFromConfig(cfg), ssm.NewFromConfig(cfg)
	ctx := context.Background()

	err := getSecret(sm, "denied")
	if got := outcome(err); got != "AccessDeniedException" {
		t.Errorf("denied: got %q, want AccessDeniedException", got)
	} else if msg := err.Error(); !strings.Contains(msg, "secretsmanager:GetSecretValue on resource: denied") {
		t.Errorf("denied: message %q does not name the action and secret", msg)
	}
	if err := getSecret(sm, "a"); err != nil {
		t.Errorf("a: %v", err)
	}

	if _, err := ps.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"/p/a"}}); err != nil {
		t.Errorf("/p/a: %v", err)
	}
	_, err = ps.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"/p/a", "/p/kms:1"}})
	if got := outcome(err); got != "KMSInvalidStateException" {
		t.Errorf("/p/kms:1: got %q, want KMSInvalidStateException", got)
	}

	want := map[string]faultproxy.Stats{
		opGet:  {Requests: 2, Forwarded: 1, Denied: 1},
		opGetP: {Requests: 2, Forwarded: 1, Denied: 1},
	}
	if got := p.Counts(); !maps.Equal(got, want) {
		t.Errorf("Counts = %+v, want %+v", got, want)
	}
	if got, want := b.Counts(), map[string]int{opGet: 1, opGetP: 1}; !maps.Equal(got, want) {
		t.Errorf("backend Counts = %v, want %v", got, want)
	}
}

// TestDenyBatch: a batch answers each denied id in Errors, as AWS does,
// and the other ids' values from the backend; a batch of denied ids only
// never reaches it. Faults apply to batches as to any operation.
func TestDenyBatch(t *testing.T) {
	b := backend(t)
	p := faultproxy.Serve(t, b.URL(), faultproxy.Config{
		Deny: map[string]faultproxy.Denial{"denied": faultproxy.AccessDenied},
		Ops:  map[string]faultproxy.Rule{faultproxy.OpBatchGetSecretValue: {Script: []faultproxy.Fault{faultproxy.Throttle}}},
	})
	sm := secretsmanager.NewFromConfig(awsstub.Config(p.URL()))
	batch := func(ids ...string) (*secretsmanager.BatchGetSecretValueOutput, error) {
		return sm.BatchGetSecretValue(context.Background(), &secretsmanager.BatchGetSecretValueInput{SecretIdList: ids})
	}
	if _, err := batch("a"); outcome(err) != "ThrottlingException" {
		t.Errorf("the scripted throttle: got %q", outcome(err))
	}
	out, err := batch("a", "denied", "b")
	if err != nil {
		t.Fatal(err)
	}
	var values []string
	for _, v := range out.SecretValues {
		values = append(values, aws.ToString(v.Name)+"="+aws.ToString(v.SecretString))
	}
	if !slices.Equal(values, []string{"a=A", "b=B"}) {
		t.Errorf("SecretValues %q, want a and b", values)
	}
	if len(out.Errors) != 1 || aws.ToString(out.Errors[0].SecretId) != "denied" || aws.ToString(out.Errors[0].ErrorCode) != "AccessDeniedException" ||
		!strings.Contains(aws.ToString(out.Errors[0].Message), "secretsmanager:GetSecretValue on resource: denied") {
		t.Errorf("Errors %+v, want AccessDeniedException for denied, naming secretsmanager:GetSecretValue", out.Errors)
	}
	out, err = batch("denied")
	if err != nil || len(out.SecretValues) != 0 || len(out.Errors) != 1 {
		t.Errorf("only denied: %v, %+v; want one entry in Errors", err, out)
	}
	want := map[string]faultproxy.Stats{faultproxy.OpBatchGetSecretValue: {Requests: 3, Throttled: 1, Forwarded: 1, Denied: 1}}
	if got := p.Counts(); !maps.Equal(got, want) {
		t.Errorf("Counts = %+v, want %+v", got, want)
	}
	if got, want := b.Counts(), map[string]int{awsstub.OpBatchGetSecretValue: 1}; !maps.Equal(got, want) {
		t.Errorf("backend Counts = %v, want %v", got, want)
	}
}

func TestDenialCodes(t *testing.T) {
	b := backend(t)
	tests := []struct {
		denial      faultproxy.Denial
		code, inMsg string
	}{
		{faultproxy.AccessDenied, "AccessDeniedException", "secretsmanager:GetSecretValue"},
		{faultproxy.KMSAccessDenied, "AccessDeniedException", "kms:Decrypt"},
		{faultproxy.KMSInvalidState, "KMSInvalidStateException", "disabled"},
		{faultproxy.DecryptionFailure, "DecryptionFailure", "decrypt"},
	}
	for _, tt := range tests {
		t.Run(tt.code+"/"+tt.inMsg, func(t *testing.T) {
			p := faultproxy.Serve(t, b.URL(), faultproxy.Config{Deny: map[string]faultproxy.Denial{"a": tt.denial}})
			err := getSecret(secretsmanager.NewFromConfig(awsstub.Config(p.URL())), "a")
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != tt.code || !strings.Contains(ae.ErrorMessage(), tt.inMsg) {
				t.Errorf("got %v, want %s mentioning %q", err, tt.code, tt.inMsg)
			}
		})
	}
}

// TestLatency checks the lower bound only: wall time can only add to it.
func TestLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: measures real latency")
	}
	b := backend(t)
	p := faultproxy.Serve(t, b.URL(), faultproxy.Config{Default: faultproxy.Rule{Latency: 40 * time.Millisecond, Jitter: 10 * time.Millisecond}})
	sm := secretsmanager.NewFromConfig(awsstub.Config(p.URL()))
	for range 3 {
		start := time.Now()
		if err := getSecret(sm, "a"); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d < 30*time.Millisecond {
			t.Errorf("call took %v, want at least 30ms", d)
		}
	}
}

// TestMoto runs the real SDK through the proxy to moto: writes and reads
// are forwarded intact, and denials still apply.
func TestMoto(t *testing.T) {
	m := mototest.Start(t)
	p := faultproxy.Serve(t, m.URL, faultproxy.Config{Deny: map[string]faultproxy.Denial{"moto/denied": faultproxy.DecryptionFailure}})
	// m.Config sets the endpoint with config.WithBaseEndpoint, which wins
	// over a later cfg.BaseEndpoint: only the client options override it.
	cfg := m.Config(t, "us-east-1")
	cfg.Retryer = func() aws.Retryer { return aws.NopRetryer{} }
	sm := secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(p.URL()) })
	ps := ssm.NewFromConfig(cfg, func(o *ssm.Options) { o.BaseEndpoint = aws.String(p.URL()) })
	ctx := context.Background()

	for _, name := range []string{"moto/ok", "moto/denied"} {
		if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String("v-" + name)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ps.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/moto/p"), Value: aws.String("pv"), Type: "String"}); err != nil {
		t.Fatal(err)
	}
	got, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("moto/ok")})
	if err != nil || aws.ToString(got.SecretString) != "v-moto/ok" {
		t.Errorf("moto/ok: %v, %v", err, got)
	}
	if _, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("moto/denied")}); outcome(err) != "DecryptionFailure" {
		t.Errorf("moto/denied: got %v, want DecryptionFailure", err)
	}
	params, err := ps.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"/moto/p", "/moto/missing"}})
	if err != nil || len(params.Parameters) != 1 || aws.ToString(params.Parameters[0].Value) != "pv" || !slices.Equal(params.InvalidParameters, []string{"/moto/missing"}) {
		t.Errorf("GetParameters: %v, %+v", err, params)
	}
	want := map[string]faultproxy.Stats{
		"secretsmanager.CreateSecret": {Requests: 2, Forwarded: 2},
		"AmazonSSM.PutParameter":      {Requests: 1, Forwarded: 1},
		opGet:                         {Requests: 2, Forwarded: 1, Denied: 1},
		opGetP:                        {Requests: 1, Forwarded: 1},
	}
	if got := p.Counts(); !maps.Equal(got, want) {
		t.Errorf("Counts = %+v, want %+v", got, want)
	}
}

func TestSigningRegion(t *testing.T) {
	tests := []struct{ header, want string }{
		{"AWS4-HMAC-SHA256 Credential=test/20260101/us-west-2/secretsmanager/aws4_request, SignedHeaders=host, Signature=abc", "us-west-2"},
		{"AWS4-HMAC-SHA256 Credential=AKID/20260101/eu-west-1/ssm/aws4_request,SignedHeaders=host,Signature=abc", "eu-west-1"},
		{"AWS4-HMAC-SHA256 Credential=AKID/us-east-1, Signature=abc", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := faultproxy.SigningRegion(tt.header); got != tt.want {
			t.Errorf("SigningRegion(%q) = %q, want %q", tt.header, got, tt.want)
		}
	}
}

// TestDownRegion: a region that is down fails every request signed for
// it, in each outage's way, while another region's requests pass.
func TestDownRegion(t *testing.T) {
	b := backend(t)
	tests := []struct {
		outage faultproxy.Outage
		want   string // the outcome in the region that is down
		stats  faultproxy.Stats
	}{
		{faultproxy.DownReset, "conn", faultproxy.Stats{Requests: 1, Resets: 1}},
		{faultproxy.Down503, "ServiceUnavailable", faultproxy.Stats{Requests: 1, Unavailable: 1}},
		{faultproxy.DownHang, "conn", faultproxy.Stats{Requests: 1, Hung: 1}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.outage), func(t *testing.T) {
			if tt.outage == faultproxy.DownHang && testing.Short() {
				t.Skip("-short: a real 200 ms deadline ends the hang")
			}
			p := faultproxy.Serve(t, b.URL(), faultproxy.Config{Down: map[string]faultproxy.Outage{"us-east-1": tt.outage}})
			cfg := awsstub.Config(p.URL())
			inRegion := func(region string) *secretsmanager.Client {
				return secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) { o.Region = region })
			}
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond) // ends a hang
			defer cancel()
			_, err := inRegion("us-east-1").GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("a")})
			if got := outcome(err); got != tt.want {
				t.Errorf("us-east-1, down: %s (%v), want %s", got, err, tt.want)
			}
			if err := getSecret(inRegion("us-west-2"), "a"); err != nil {
				t.Errorf("us-west-2, up: %v", err)
			}
			want := map[string]faultproxy.Stats{opGet: tt.stats}
			want[opGet] = faultproxy.Stats{Requests: 2, Forwarded: 1, Resets: tt.stats.Resets, Unavailable: tt.stats.Unavailable, Hung: tt.stats.Hung}
			if got := p.Counts(); !maps.Equal(got, want) {
				t.Errorf("Counts = %+v, want %+v", got, want)
			}
			if got := p.Regions(); got["us-east-1"] != 1 || got["us-west-2"] != 1 {
				t.Errorf("Regions = %v, want one request in each", got)
			}
			// Back up, us-east-1 answers.
			p.SetDown("us-east-1", faultproxy.Up)
			if err := getSecret(inRegion("us-east-1"), "a"); err != nil {
				t.Errorf("us-east-1, back up: %v", err)
			}
		})
	}
}

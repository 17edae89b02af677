package resolver

import (
	"context"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
)

// AWSOptions say how to build the SDK configuration shared by every client.
type AWSOptions struct {
	Region      string // overrides the SDK's default region when set
	Profile     string // a shared-config profile, when set
	MaxAttempts int    // per API call, counting the first
	Concurrency int    // calls in flight at once; sizes the connection pool
}

// Backoff bounds for retries. A starting task has a fixed set of calls to
// make under a deadline, so it retries sooner than the SDK's default (up to
// 20 s between attempts): full jitter spreads a fleet's retries out, and the
// cap keeps one unlucky call from eating the deadline.
const (
	backoffBase = 100 * time.Millisecond
	backoffMax  = 5 * time.Second
)

// LoadAWSConfig loads the SDK's default configuration (environment, shared
// config, SSO, container and instance credentials) with valuefrom's retry
// policy and connection pool.
//
// Retries cover throttling, 5xx answers and connection errors, with
// jittered exponential backoff. The SDK's client-side retry quota is off:
// it protects long-running services from retry storms, but a starting task
// makes a bounded number of calls under an overall deadline, and running
// out of quota would fail a start that one more retry would have saved.
func LoadAWSConfig(ctx context.Context, o AWSOptions) (aws.Config, error) {
	conns := max(o.Concurrency, 10)
	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer { return NewRetryer(o.MaxAttempts) }),
		// AWS_CA_BUNDLE needs a client the SDK can still configure.
		config.WithHTTPClient(awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
			t.MaxIdleConns = conns * 2
			t.MaxIdleConnsPerHost = conns
		})),
	}
	if o.Region != "" {
		opts = append(opts, config.WithRegion(o.Region))
	}
	if o.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.Profile))
	}
	return config.LoadDefaultConfig(ctx, opts...)
}

// NewRetryer returns the SDK's standard retryer with valuefrom's backoff
// and no client-side retry quota.
func NewRetryer(maxAttempts int) aws.Retryer {
	return retry.NewStandard(func(so *retry.StandardOptions) {
		if maxAttempts > 0 {
			so.MaxAttempts = maxAttempts
		}
		so.MaxBackoff = backoffMax
		so.Backoff = fullJitter{base: backoffBase, max: backoffMax}
		so.RateLimiter = ratelimit.None
	})
}

// fullJitter waits a random time in [0, min(max, base·2^(attempt-1))).
type fullJitter struct{ base, max time.Duration }

func (j fullJitter) BackoffDelay(attempt int, _ error) (time.Duration, error) {
	ceil := j.max
	if attempt < 30 {
		ceil = min(j.max, j.base<<(attempt-1))
	}
	return rand.N(ceil), nil
}

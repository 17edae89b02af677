// Package awsapi is everything valuefrom knows about AWS itself: loading
// the SDK's configuration, the retry policy, finding the default region,
// per-region clients, and classifying AWS errors with hints for an
// operator.
package awsapi

import (
	"cmp"
	"context"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
	"github.com/aws/smithy-go/middleware"

	"github.com/valuefrom/valuefrom/internal/platform"
)

// Options say how to build the SDK configuration shared by every client.
type Options struct {
	Region      string // overrides the SDK's default region when set
	Profile     string // a shared-config profile, when set
	MaxAttempts int    // per API call, counting the first
	Concurrency int    // calls in flight at once; sizes the connection pool
	// BoundConns caps the connections per host at Concurrency, for a
	// caller whose calls Concurrency bounds (a start): a call that finds
	// none idle dials, and without the cap a call finishing while another
	// dials leaves a spare one, a TLS handshake spent for nothing (38-44
	// connections for 32 calls in flight, before the cap). serve, whose
	// requests are not bounded by Concurrency, opens what it needs.
	BoundConns bool
	// RetryMode is the SDK's retry mode, as AWS_RETRY_MODE names it:
	// "adaptive" adds the SDK's client-side rate limiting, which slows each
	// client down after throttling answers; anything else is "standard".
	RetryMode string
	// Version is valuefrom's version: every request names it in its
	// User-Agent, as app/valuefrom-VERSION (see AppID).
	Version string
	// Logger receives the SDK's own log lines (its warnings), so that
	// they come out in the log format asked for; nil discards them.
	Logger *slog.Logger
	// Tracker, when set, watches every call made with the configuration.
	Tracker *Tracker
	// Platform is where valuefrom runs (see platform.Of): the
	// configuration carries it (see PlatformOf), for hints to name the
	// IAM role as the platform does.
	Platform platform.Platform

	// attemptTimeout replaces DefaultAttemptTimeout when set: tests
	// shorten it.
	attemptTimeout time.Duration
}

// DefaultAttemptTimeout is how long one attempt waits for the answer's
// headers before it is retried. AWS answers these calls in tens of
// milliseconds; a connection that stays silent for seconds is dead (a
// NAT or firewall dropped it while it sat in the pool), and waiting on it
// would spend the whole VALUEFROM_TIMEOUT on one attempt that a retry on
// a new connection would win at once.
const DefaultAttemptTimeout = 10 * time.Second

// Backoff bounds for retries. A starting task has a fixed set of calls to
// make under a deadline, so it retries sooner than the SDK's default (up to
// 20 s between attempts): full jitter spreads a fleet's retries out, and the
// cap keeps one unlucky call from eating the deadline.
const (
	backoffBase = 100 * time.Millisecond
	backoffMax  = 5 * time.Second
)

// LoadConfig loads the SDK's default configuration (environment, shared
// config, SSO, container and instance credentials) with valuefrom's retry
// policy and connection pool, reading at most MaxResponseBytes of any
// answer. Every call made with it returns a *CallError when it fails, and
// a proxy's refusal to open a tunnel is a *ProxyError. Its error is a
// *ConfigError; half a static key pair in the environment is one too (a
// *HalfKeysError), before anything is loaded. SourceOf names the
// credential source the SDK's chain chose; AWS_ENDPOINT_URL applies to
// web identity's STS call as to every other (see lazySTS).
//
// Retries cover throttling, 5xx answers and connection errors, with
// jittered exponential backoff. The SDK's client-side retry quota is off:
// it protects long-running services from retry storms, but a starting task
// makes a bounded number of calls under an overall deadline, and running
// out of quota would fail a start that one more retry would have saved.
func LoadConfig(ctx context.Context, o Options) (aws.Config, error) {
	if err := checkKeys(o.Profile); err != nil {
		ce := newConfigError(err, o.Profile)
		ce.Credentials, ce.Platform = true, o.Platform
		return aws.Config{}, ce
	}
	conns := max(o.Concurrency, 10)
	track := trackCalls{tracker: o.Tracker}
	roots := newLazyRoots()
	src := &CredentialSource{}
	// AWS_CA_BUNDLE needs a client the SDK can still configure.
	client := awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConns = conns * 2
		t.MaxIdleConnsPerHost = conns
		if o.BoundConns {
			t.MaxConnsPerHost = conns
		}
		t.ResponseHeaderTimeout = cmp.Or(o.attemptTimeout, DefaultAttemptTimeout)
		t.MaxResponseHeaderBytes = maxHeaderBytes
		t.OnProxyConnectResponse = proxyRefusal
		roots.wrap(t)
	})
	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer { return NewRetryerMode(o.MaxAttempts, aws.RetryMode(strings.ToLower(o.RetryMode))) }),
		config.WithHTTPClient(client),
		// The container credentials provider (ECS, EKS Pod Identity)
		// would make a client of its own, without the roots above.
		config.WithEndpointCredentialOptions(func(eo *endpointcreds.Options) { eo.HTTPClient = client; src.container() }),
		// Every client made from the configuration, credential and
		// metadata clients included, reads at most MaxResponseBytes of an
		// answer, and keeps the cause of its failure; a credential
		// source's calls say what they met to CheckCredentials.
		config.WithAPIOptions([]func(*middleware.Stack) error{LimitResponses, track.addTo, traceCredentials}),
		config.WithLogger(NewLogger(o.Logger)),
	}
	opts = append(opts, recordSource(src, o.Profile)...)
	opts = append(opts, config.WithAppID(AppID(o.Version)))
	if o.Region != "" {
		opts = append(opts, config.WithRegion(o.Region))
	}
	if o.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.Profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		ce := newConfigError(err, o.Profile)
		ce.Platform = o.Platform
		return cfg, ce
	}
	src.loaded(cfg, o.Profile)
	// SourceOf and PlatformOf find them here: a configuration copied
	// carries them along.
	cfg.ConfigSources = append(cfg.ConfigSources, src, o.Platform)
	roots.sealed()
	// Service clients verify servers against the roots their chains name.
	cfg.ServiceOptions = append(cfg.ServiceOptions, func(_ string, options any) { roots.direct(options) })
	return cfg, nil
}

// PlatformOf returns the platform cfg, a configuration from LoadConfig,
// was loaded on (Options.Platform); the zero Platform for one LoadConfig
// did not make.
func PlatformOf(cfg aws.Config) platform.Platform {
	for _, s := range cfg.ConfigSources {
		if on, ok := s.(platform.Platform); ok {
			return on
		}
	}
	return platform.Platform{}
}

// proxyRefusal makes a proxy's answer to CONNECT other than 200 a
// *ProxyError, which says the proxy answered; net/http reports only the
// status's text.
func proxyRefusal(_ context.Context, proxy *url.URL, req *http.Request, resp *http.Response) error {
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	return &ProxyError{Proxy: proxy.Host, Target: cmp.Or(req.Host, req.URL.Host), Status: resp.StatusCode, Text: http.StatusText(resp.StatusCode)}
}

// NewRetryer returns the SDK's standard retryer with valuefrom's backoff
// and no client-side retry quota.
func NewRetryer(maxAttempts int) aws.Retryer {
	return NewRetryerMode(maxAttempts, aws.RetryModeStandard)
}

// NewRetryerMode is NewRetryer in the given retry mode: with
// aws.RetryModeAdaptive, the SDK's adaptive retryer, whose client-side
// token bucket slows the client's requests after throttling answers, with
// the same attempts, backoff and no retry quota.
func NewRetryerMode(maxAttempts int, mode aws.RetryMode) aws.Retryer {
	standard := func(so *retry.StandardOptions) {
		if maxAttempts > 0 {
			so.MaxAttempts = maxAttempts
		}
		so.MaxBackoff = backoffMax
		so.Backoff = fullJitter{base: backoffBase, max: backoffMax}
		so.RateLimiter = ratelimit.None
	}
	if mode == aws.RetryModeAdaptive {
		return retry.NewAdaptiveMode(func(ao *retry.AdaptiveModeOptions) {
			ao.StandardOptions = append(ao.StandardOptions, standard)
		})
	}
	return retry.NewStandard(standard)
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

// AppID is the application id every request to AWS carries in its
// User-Agent, as app/valuefrom-VERSION, so that CloudTrail records which
// tool read a secret. The SDK allows 50 characters, and replaces any but
// letters, digits and !#$%&'*+-.^_`|~ with "-".
func AppID(version string) string {
	id := "valuefrom"
	if version != "" {
		id += "-" + version
	}
	if len(id) > 50 {
		id = id[:50]
	}
	return id
}

package awsapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"
)

// hugeBytes is how much a hostile endpoint sends: far beyond
// MaxResponseBytes, and a well-formed answer when read to its end, so that
// nothing but a size limit stops the SDK from reading all of it.
const hugeBytes = 64 << 20

// maxGrowth bounds the memory one attempt at a call against a huge answer
// may allocate, with the test server's own allocations and whatever else
// the process does meanwhile (TotalAlloc counts every goroutine, and the
// race detector, which CI runs, adds its own). Reading the answer whole
// allocates several times its size (320-635 MiB before the limit), so a
// third of one answer still tells a bounded read from an unbounded one.
const maxGrowth = 24 << 20

// hugeServer answers every request with status 200 and a body of
// hugeBytes: prefix, filler, then suffix. It stops early when the client
// hangs up. It counts the requests.
func hugeServer(t *testing.T, contentType, prefix, suffix string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var requests atomic.Int32
	filler := []byte(strings.Repeat("a", 32<<10))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("X-Amz-Request-Id", "req-huge")
		if _, err := io.WriteString(w, prefix); err != nil {
			return
		}
		for sent := len(prefix) + len(suffix); sent < hugeBytes; sent += len(filler) {
			if _, err := w.Write(filler[:min(len(filler), hugeBytes-sent)]); err != nil {
				return // the client hung up
			}
		}
		io.WriteString(w, suffix)
	}))
	t.Cleanup(srv.Close)
	return srv, &requests
}

// allocated returns how many bytes call allocated on the heap, in all.
func allocated(call func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	call()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestLoadConfigLimitsResponses: a huge answer to any client made from
// LoadConfig's configuration fails with ResponseTooLarge after one attempt
// (it is not retried), and the call allocates a bounded amount of memory
// instead of the whole answer and more.
func TestLoadConfigLimitsResponses(t *testing.T) {
	const json = "application/x-amz-json-1.1"
	tests := []struct {
		name, contentType, prefix, suffix string
		call                              func(context.Context, aws.Config) error
	}{
		{"Secrets Manager", json, `{"Name":"db","VersionId":"v1","SecretString":"`, `"}`,
			func(ctx context.Context, cfg aws.Config) error {
				_, err := secretsmanager.NewFromConfig(cfg).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("db")})
				return err
			}},
		{"SSM", json, `{"InvalidParameters":[],"Parameters":[{"Name":"/db","Version":1,"Value":"`, `"}]}`,
			func(ctx context.Context, cfg aws.Config) error {
				_, err := ssm.NewFromConfig(cfg).GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"/db"}})
				return err
			}},
		{"KMS", json, `{"KeyMetadata":{"KeyId":"k","Description":"`, `"}}`,
			func(ctx context.Context, cfg aws.Config) error {
				_, err := kms.NewFromConfig(cfg).DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("k")})
				return err
			}},
		{"STS", "text/xml", `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>`,
			`</Arn><UserId>u</UserId><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>`,
			func(ctx context.Context, cfg aws.Config) error {
				_, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
				return err
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, requests := hugeServer(t, tt.contentType, tt.prefix, tt.suffix)
			t.Setenv("AWS_ENDPOINT_URL", srv.URL)
			t.Setenv("AWS_ACCESS_KEY_ID", "test")
			t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
			t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			const maxAttempts = 5
			cfg, err := LoadConfig(ctx, Options{Region: "us-east-1", MaxAttempts: maxAttempts})
			if err != nil {
				t.Fatal(err)
			}
			var logged []string
			cfg.Logger = logging.LoggerFunc(func(_ logging.Classification, f string, a ...any) {
				logged = append(logged, fmt.Sprintf(f, a...))
			})
			var callErr error
			grew := allocated(func() { callErr = tt.call(ctx, cfg) })
			c := Classify(callErr)
			if c.Code != CodeResponseTooLarge || c.Transient || c.PerName {
				t.Errorf("a %d-byte answer: error %v, class %+v; want code %s, not transient, not per name",
					hugeBytes, callErr, c, CodeResponseTooLarge)
			}
			// The SDK now and then loses a connection mid-answer on
			// loopback (net/http's write loop closes it) and retries
			// that, so the attempts are not always one: check the
			// policy itself, and that the attempts did not run out.
			if cfg.Retryer().IsErrorRetryable(callErr) {
				t.Errorf("the retryer retries %v, want not", callErr)
			}
			if got := requests.Load(); got >= maxAttempts {
				t.Errorf("attempts = %d, want fewer than %d: a too-large answer is not retried", got, maxAttempts)
			}
			t.Logf("%d attempts allocated %d KiB", requests.Load(), grew>>10)
			for _, line := range logged {
				if strings.Contains(line, ErrResponseTooLarge.Error()) {
					t.Errorf("the SDK logged %q: draining a too-large answer should stop quietly", line)
				}
			}
			if n := uint64(max(requests.Load(), 1)); grew/n > maxGrowth {
				t.Errorf("the call allocated %d MiB in %d attempts, want under %d MiB each", grew>>20, n, maxGrowth>>20)
			}
		})
	}
}

func TestLimitBody(t *testing.T) {
	tests := []struct {
		name    string
		size    int
		tooBig  bool
		wantLen int
	}{
		{"empty", 0, false, 0},
		{"under", 99, false, 99},
		{"exactly the limit", 100, false, 100},
		{"one byte over", 101, true, 100},
		{"far over", 10000, true, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := LimitBody(io.NopCloser(strings.NewReader(strings.Repeat("x", tt.size))), 100)
			got, err := io.ReadAll(body)
			if tt.tooBig != errors.Is(err, ErrResponseTooLarge) || (!tt.tooBig && err != nil) {
				t.Errorf("error = %v, want too large: %v", err, tt.tooBig)
			}
			if len(got) != tt.wantLen {
				t.Errorf("read %d bytes, want %d", len(got), tt.wantLen)
			}
			if n, err := body.Read(make([]byte, 10)); tt.tooBig && (n != 0 || err != io.EOF) {
				t.Errorf("a read after the limit: %d bytes, error %v; want the end of the body", n, err)
			}
		})
	}
}

// TestLimitResponsesTwice: adding the option twice, as LoadConfig's
// configuration and a client's own options may, is harmless.
func TestLimitResponsesTwice(t *testing.T) {
	srv, _ := hugeServer(t, "application/x-amz-json-1.1", `{"SecretString":"`, `"}`)
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("us-east-1"),
		config.WithAPIOptions([]func(*middleware.Stack) error{LimitResponses}))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Credentials = aws.AnonymousCredentials{}
	cfg.BaseEndpoint = aws.String(srv.URL)
	_, err = secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) {
		o.APIOptions = append(o.APIOptions, LimitResponses)
	}).GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String("db")})
	if !errors.Is(err, ErrResponseTooLarge) {
		t.Errorf("error = %v, want ErrResponseTooLarge", err)
	}
}

// TestWithResponseLimit: an answer of 2 MiB is too large for a call, and
// read whole under WithResponseLimit of 4 MiB, as a batch of secrets is.
func TestWithResponseLimit(t *testing.T) {
	value := strings.Repeat("v", 2<<20)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		fmt.Fprintf(w, `{"Name":"big","SecretString":%q}`, value)
	}))
	defer srv.Close()
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	cfg, err := LoadConfig(context.Background(), Options{Region: "us-east-1", MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	sm := secretsmanager.NewFromConfig(cfg)
	in := &secretsmanager.GetSecretValueInput{SecretId: aws.String("big")}
	if _, err := sm.GetSecretValue(context.Background(), in); !errors.Is(err, ErrResponseTooLarge) {
		t.Errorf("2 MiB answer: err = %v, want ErrResponseTooLarge", err)
	}
	out, err := sm.GetSecretValue(WithResponseLimit(context.Background(), MaxBatchResponseBytes), in)
	if err != nil || len(aws.ToString(out.SecretString)) != len(value) {
		t.Errorf("2 MiB answer under a 4 MiB limit: err = %v, or the value was cut", err)
	}
}

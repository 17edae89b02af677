package awsapi

import (
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"

	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// TestStalledAttemptIsRetried: an attempt whose connection never answers
// is given up after the attempt timeout and retried, instead of holding
// the whole resolution until its deadline.
func TestStalledAttemptIsRetried(t *testing.T) {
	release := make(chan struct{})
	var attempts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if attempts.Add(1) == 1 {
			select { // the first attempt hangs until the test ends
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		io.WriteString(w, `{"Name":"db","SecretString":"ok","VersionId":"v1"}`)
	}))
	defer srv.Close()
	defer close(release) // before Close, which waits for the handlers
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg, err := LoadConfig(ctx, Options{Region: "us-east-1", MaxAttempts: 3, Concurrency: 1, attemptTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	out, err := secretsmanager.NewFromConfig(cfg).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("db")})
	if err != nil {
		t.Fatalf("GetSecretValue: %v", err)
	}
	if got := aws.ToString(out.SecretString); got != "ok" {
		t.Errorf("value = %q, want ok", got)
	}
	if got := attempts.Load(); got != 2 {
		t.Errorf("attempts = %d, want 2 (a stalled one, then a retry)", got)
	}
}

func TestFullJitterBounds(t *testing.T) {
	j := fullJitter{base: backoffBase, max: backoffMax}
	for attempt := 1; attempt <= 40; attempt++ {
		ceil := min(backoffMax, backoffBase<<min(attempt-1, 20))
		for range 50 {
			d, _ := j.BackoffDelay(attempt, nil)
			if d < 0 || d >= ceil {
				t.Fatalf("attempt %d: delay %v outside [0, %v)", attempt, d, ceil)
			}
		}
	}
}

func TestNewRetryerMode(t *testing.T) {
	tests := []struct {
		mode     aws.RetryMode
		adaptive bool
	}{
		{"", false},
		{aws.RetryModeStandard, false},
		{aws.RetryModeAdaptive, true},
	}
	for _, tt := range tests {
		r := NewRetryerMode(7, tt.mode)
		if _, ok := r.(*retry.AdaptiveMode); ok != tt.adaptive {
			t.Errorf("mode %q: got %T, adaptive = %v, want %v", tt.mode, r, ok, tt.adaptive)
		}
		if got := r.MaxAttempts(); got != 7 {
			t.Errorf("mode %q: MaxAttempts = %d, want 7", tt.mode, got)
		}
		// valuefrom's retry quota is off in both modes: a thousand
		// failed attempts still leave a token for the next retry.
		for range 1000 {
			if _, err := r.GetRetryToken(context.Background(), errors.New("boom")); err != nil {
				t.Fatalf("mode %q: retry quota ran out: %v", tt.mode, err)
			}
		}
	}
}

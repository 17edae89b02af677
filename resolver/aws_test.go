package resolver

import (
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
	cfg, err := LoadAWSConfig(ctx, AWSOptions{Region: "us-east-1", MaxAttempts: 3, Concurrency: 1, AttemptTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	r := New(Config{AWS: cfg, Concurrency: 1})
	values, err := r.Resolve(ctx, requests(t, "DB", "secretsmanager:db"))
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	if string(values[0].Value) != "ok" {
		t.Errorf("value = %q, want ok", values[0].Value)
	}
	if got := attempts.Load(); got != 2 {
		t.Errorf("attempts = %d, want 2 (a stalled one, then a retry)", got)
	}
}

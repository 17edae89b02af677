package pipeline_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/valuefrom/valuefrom/internal/pipeline"
	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/resolver"
)

// denyBatches stands in front of backend as a role without
// secretsmanager:BatchGetSecretValue: it answers every such call
// AccessDeniedException, as AWS does, forwards every other call, and
// counts the calls by X-Amz-Target.
type denyBatches struct {
	backend http.Handler
	mu      sync.Mutex
	calls   map[string]int
}

func (d *denyBatches) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op := r.Header.Get("X-Amz-Target")
	d.mu.Lock()
	d.calls[op]++
	d.mu.Unlock()
	if op != "secretsmanager.BatchGetSecretValue" {
		d.backend.ServeHTTP(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-RequestId", "denied-batch-request")
	w.WriteHeader(http.StatusBadRequest)
	w.Write([]byte(`{"__type":"AccessDeniedException","message":"User: arn:aws:sts::123456789012:assumed-role/task/x is not authorized to perform: secretsmanager:BatchGetSecretValue because no identity-based policy allows the secretsmanager:BatchGetSecretValue action"}`))
}

func (d *denyBatches) count(op string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.calls["secretsmanager."+op]
}

// TestSessionRemembersBatchDenial: a session whose role may not call
// BatchGetSecretValue asks for a batch, and warns, in its first resolve
// only; every cycle asks for each secret with GetSecretValue.
func TestSessionRemembersBatchDenial(t *testing.T) {
	if testing.Short() {
		t.Skip("moto: not in -short")
	}
	const canary = "canary-watchbatch-71d2"
	moto := mototest.Start(t)
	sd := moto.Seeder(t, "us-east-1")
	sd.Secret("app/a", canary+"-a")
	sd.Secret("app/b", canary+"-b")
	u, err := url.Parse(moto.URL)
	if err != nil {
		t.Fatal(err)
	}
	front := &denyBatches{backend: httputil.NewSingleHostReverseProxy(u), calls: map[string]int{}}
	srv := httptest.NewServer(front)
	t.Cleanup(srv.Close)
	for _, kv := range mototest.EndpointEnv(srv.URL) {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}

	var log bytes.Buffer
	o := options(t, &log)
	ctx := context.Background()
	sess, first, err := pipeline.Open(ctx, o, []string{"A=secretsmanager:app/a", "B=secretsmanager:app/b"})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	results := []*pipeline.Result{first}
	for range 2 {
		res, err := sess.Resolve(ctx)
		if err != nil {
			t.Fatalf("Session.Resolve: %v", err)
		}
		results = append(results, res)
	}
	for i, res := range results {
		set := res.Set()
		if set["A"] != canary+"-a" || set["B"] != canary+"-b" {
			t.Errorf("resolve %d: wrong values (not shown)", i+1)
		}
	}

	if n := front.count("BatchGetSecretValue"); n != 1 {
		t.Errorf("%d BatchGetSecretValue calls in three resolves of a session, want 1", n)
	}
	if n := front.count("GetSecretValue"); n != 6 {
		t.Errorf("%d GetSecretValue calls, want 6 (two secrets, three times)", n)
	}
	if got := []int64{results[0].Calls, results[1].Calls, results[2].Calls}; got[0] != 3 || got[1] != 2 || got[2] != 2 {
		t.Errorf("calls per resolve %v, want [3 2 2]: the batch, then a GetSecretValue per secret", got)
	}
	if n := strings.Count(log.String(), resolver.BatchDeniedWarning); n != 1 {
		t.Errorf("%d warnings that BatchGetSecretValue was denied, want 1:\n%s", n, log.String())
	}
	if !strings.Contains(log.String(), "request_id=denied-batch-request") {
		t.Errorf("the warning does not name the denied call's request id:\n%s", log.String())
	}
	if strings.Contains(log.String(), canary) {
		t.Error("a secret value reached the log")
	}
}

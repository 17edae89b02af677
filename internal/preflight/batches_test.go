package preflight

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
)

// batchFront stands in front of moto: it answers every BatchGetSecretValue
// with answer's error when answer is set (as AWS answers a role without
// the action), forwards every other call, and records the number of ids
// of each BatchGetSecretValue call by signing region.
type batchFront struct {
	backend http.Handler
	answer  string // "AccessDeniedException", "InvalidRequestException" or "" to forward

	mu    sync.Mutex
	calls map[string][]int // region → ids per BatchGetSecretValue call
}

func (f *batchFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Amz-Target") != "secretsmanager.BatchGetSecretValue" {
		f.backend.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var in struct{ SecretIdList []string }
	if err := json.Unmarshal(body, &in); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.calls[signingRegion(r)] = append(f.calls[signingRegion(r)], len(in.SecretIdList))
	f.mu.Unlock()
	if f.answer == "" {
		r.Body = io.NopCloser(bytes.NewReader(body))
		f.backend.ServeHTTP(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-RequestId", "batch-front-request")
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, `{"__type":%q,"message":"User: arn:aws:sts::123456789012:assumed-role/check/x is not authorized to perform: secretsmanager:BatchGetSecretValue"}`, f.answer)
}

// signingRegion is the region of r's SigV4 credential scope.
func signingRegion(r *http.Request) string {
	_, scope, _ := strings.Cut(r.Header.Get("Authorization"), "Credential=")
	if f := strings.Split(scope, "/"); len(f) > 2 {
		return f[2]
	}
	return ""
}

func (f *batchFront) idsPerCall() map[string][]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.calls)
}

// testBatches checks the warning a start's denied BatchGetSecretValue
// deserves, and the calls check makes to find it.
func testBatches(t *testing.T, moto *mototest.Server) {
	east, west := moto.Seeder(t, "us-east-1"), moto.Seeder(t, "us-west-2")
	var many []string
	for i := range 21 {
		name := fmt.Sprintf("batch/s%02d", i)
		east.Secret(name, canary)
		many = append(many, fmt.Sprintf("S%02d=secretsmanager:%s", i, name))
	}
	west.Secret("batch/w1", canary)
	west.Secret("batch/w2", canary)
	const westARN = "arn:aws:secretsmanager:us-west-2:123456789012:secret:"
	environ := []string{
		"PLAIN=secretsmanager:plain",
		"DB_PASSWORD=secretsmanager:app/db:password::",
		"DB=secretsmanager:app/db",
		"OLD=secretsmanager:plain::AWSPREVIOUS:", // a stage: not batched
		"TOKEN=ssm:/app/token",
		"W1=" + westARN + "batch/w1",
		"W2=" + westARN + "batch/w2",
	}
	batched := []string{"PLAIN", "DB_PASSWORD", "DB", "W1", "W2"}
	lone := []string{"PLAIN=secretsmanager:plain", "OLD=secretsmanager:plain::AWSPREVIOUS:", "TOKEN=ssm:/app/token", "W1=" + westARN + "batch/w1"}

	tests := []struct {
		name    string
		environ []string
		answer  string
		off     bool           // Config.NoSecretBatches
		calls   map[string]int // BatchGetSecretValue calls by region
		warned  []string       // the rows warned of the denial
	}{
		{"denied", environ, "AccessDeniedException", false, map[string]int{"us-east-1": 1, "us-west-2": 1}, batched},
		{"allowed", environ, "", false, map[string]int{"us-east-1": 1, "us-west-2": 1}, nil},
		{"other error", environ, "InvalidRequestException", false, map[string]int{"us-east-1": 1, "us-west-2": 1}, nil},
		{"batching off", environ, "AccessDeniedException", true, nil, nil},
		{"lone secrets", lone, "AccessDeniedException", false, nil, nil},
		{"more than a call's worth, allowed", many, "", false, map[string]int{"us-east-1": 1}, nil},
		{"more than a call's worth, denied", many, "AccessDeniedException", false, map[string]int{"us-east-1": 1}, names(many[:20])},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := url.Parse(moto.URL)
			if err != nil {
				t.Fatal(err)
			}
			front := &batchFront{backend: httputil.NewSingleHostReverseProxy(u), answer: tt.answer, calls: map[string][]int{}}
			srv := httptest.NewServer(front)
			t.Cleanup(srv.Close)
			cfg := (&mototest.Server{URL: srv.URL}).Config(t, "us-east-1") // every call through the front
			c := New(Config{AWS: cfg, Concurrency: 4, NoSecretBatches: tt.off})

			rep := c.Check(context.Background(), tt.environ, nil)

			calls := map[string]int{}
			for region, ids := range front.idsPerCall() {
				calls[region] = len(ids)
				for _, n := range ids {
					if n < 2 || n > 20 {
						t.Errorf("%s: a BatchGetSecretValue call of %d ids, want 2 to 20", region, n)
					}
				}
			}
			if !maps.Equal(calls, tt.calls) {
				t.Errorf("BatchGetSecretValue calls by region %v, want %v", calls, tt.calls)
			}
			var warned []string
			for _, r := range rep.Rows {
				i := slices.IndexFunc(r.Problems, func(p Problem) bool { return p.Code == CodeBatchDenied })
				if i < 0 {
					continue
				}
				warned = append(warned, r.Var)
				p := r.Problems[i]
				if p.Verdict != Warning || r.Verdict != Warning { // every row warned of is otherwise ok
					t.Errorf("%s: problem verdict %s, row verdict %s; want warnings", r.Var, p.Verdict, r.Verdict)
				}
				for _, s := range []string{"BatchGetSecretValue is denied in " + r.Region, "AccessDenied", "GetSecretValue call of its own"} {
					if !strings.Contains(p.Message, s) {
						t.Errorf("%s: message %q lacks %q", r.Var, p.Message, s)
					}
				}
				for _, s := range []string{`secretsmanager:BatchGetSecretValue on resource "*"`, "VALUEFROM_BATCH_SECRETS=false"} {
					if !strings.Contains(p.Hint, s) {
						t.Errorf("%s: hint %q lacks %q", r.Var, p.Hint, s)
					}
				}
			}
			slices.Sort(warned)
			want := slices.Sorted(slices.Values(tt.warned))
			if !slices.Equal(warned, want) {
				t.Errorf("rows warned of the denial %v, want %v", warned, want)
			}

			for where, out := range outputs(t, rep) {
				if strings.Contains(out, canary) {
					t.Errorf("%s output: value leaked", where)
				}
				if n := strings.Count(out, "VALUEFROM_BATCH_SECRETS=false"); n != len(tt.warned) {
					t.Errorf("%s output: %d hints, want %d", where, n, len(tt.warned))
				}
			}
		})
	}
}

// names returns the names of environ's NAME=VALUE entries.
func names(environ []string) []string {
	var ns []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		ns = append(ns, name)
	}
	return ns
}

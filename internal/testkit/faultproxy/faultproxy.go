// Package faultproxy owns a fault-injecting reverse proxy for AWS awsJson1.1
// APIs (Secrets Manager, SSM, KMS), for tests and fleet simulations.
//
// The proxy listens on 127.0.0.1 only and forwards to a backend such as
// moto or awsstub. Per operation, named by the X-Amz-Target header, it can
// add latency with jitter, answer ThrottlingException at random or when a
// token bucket runs dry, answer HTTP 500 or 503, or reset the connection.
// Random choices come from one seeded PCG source, so a given seed and
// request order give the same faults. For chosen secrets and parameters it
// answers AccessDeniedException or a KMS error: for the whole call, except
// that BatchGetSecretValue, as AWS does, answers each chosen secret's
// error in its Errors and the others' values.
//
// For each request the proxy, in order: draws its random numbers, takes a
// token from the operation's bucket, waits out the latency, then answers the
// first fault that applies: a scripted fault, the bucket's throttle, a reset,
// a throttle, a 500, a 503, a denial; otherwise it forwards the request.
//
// A whole region can be taken down (Config.Down, SetDown): every request
// signed for it, as the SigV4 credential scope of its Authorization header
// names the region (moto picks the region the same way), is reset, left
// without an answer, or answered 503, before any other rule applies.
package faultproxy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Fault is a kind of injected failure.
type Fault int

// The faults a Rule can script.
const (
	None        Fault = iota // forward the request
	Throttle                 // HTTP 400 ThrottlingException
	Internal                 // HTTP 500 InternalServiceError
	Unavailable              // HTTP 503 ServiceUnavailable
	ConnReset                // close the connection with RST, before any response byte
)

// Denial is the error answered for a chosen secret or parameter.
type Denial int

// The denials. A call that names a denied id fails as a whole, except
// BatchGetSecretValue, which lists each denied id in its answer's Errors.
const (
	AccessDenied      Denial = iota + 1 // AccessDeniedException naming the operation's IAM action
	KMSAccessDenied                     // AccessDeniedException naming kms:Decrypt
	KMSInvalidState                     // KMSInvalidStateException: the key is disabled or pending deletion
	DecryptionFailure                   // DecryptionFailure
)

// Outage is how a region that is down fails every request signed for it.
type Outage int

// The outages.
const (
	Up        Outage = iota // the region answers
	DownReset               // the connection is reset, before any response byte
	DownHang                // no answer, until the client gives up or the proxy closes
	Down503                 // HTTP 503 ServiceUnavailable
)

// Rule sets the faults for an operation. Probabilities are in [0, 1] and
// their sum must not exceed 1.
type Rule struct {
	Script      []Fault       // faults for the operation's first requests, in order, before the probabilities apply
	Reset       float64       // probability of a connection reset
	Throttle    float64       // probability of ThrottlingException
	Internal    float64       // probability of HTTP 500
	Unavailable float64       // probability of HTTP 503
	Latency     time.Duration // added to every answer
	Jitter      time.Duration // latency varies uniformly in [Latency-Jitter, Latency+Jitter]
	Bucket      string        // name of the Config.Buckets entry requests take a token from; "" for none
}

// Bucket is a token bucket: Burst tokens, refilled at Rate per second.
type Bucket struct {
	Rate  float64
	Burst int
}

// Config configures a Proxy.
type Config struct {
	Seed    uint64
	Default Rule              // for operations without an entry in Ops
	Ops     map[string]Rule   // by X-Amz-Target ("AmazonSSM.GetParameters") or service ("AmazonSSM.*")
	Buckets map[string]Bucket // shared by the operations that name them
	Deny    map[string]Denial // by SecretId or parameter name; a name also matches with any :selector
	Down    map[string]Outage // by SigV4 signing region, such as us-east-1
	Now     func() time.Time  // the clock for token buckets; default time.Now
}

// Stats counts one operation's requests. Every request counts once in
// Requests and once in exactly one of the other fields.
type Stats struct {
	Requests    int
	Forwarded   int // reached the backend
	RateLimited int // ThrottlingException from a token bucket
	Throttled   int // ThrottlingException by probability or script
	Internal    int
	Unavailable int
	Resets      int
	Denied      int
	Hung        int // left without an answer: their region is down (DownHang)
}

// Proxy is a fault-injecting reverse proxy. Its methods are safe for
// concurrent use.
type Proxy struct {
	cfg     Config
	rp      *httputil.ReverseProxy
	tr      *http.Transport
	srv     *http.Server
	url     string
	mu      sync.Mutex
	rng     *rand.Rand
	buckets map[string]*bucket
	counts  map[string]Stats
	down    map[string]Outage
	regions map[string]int // requests by signing region
	closed  chan struct{}
}

var requestIDs atomic.Uint64 // unique across proxies in a process

// OpBatchGetSecretValue is the one operation that answers a denial per
// secret rather than for the whole call.
const OpBatchGetSecretValue = "secretsmanager.BatchGetSecretValue"

// New returns a proxy to backend that is not yet listening; call Start.
func New(backend *url.URL, cfg Config) *Proxy {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.MaxIdleConnsPerHost = 256
	p := &Proxy{
		cfg:     cfg,
		tr:      tr,
		rng:     rand.New(rand.NewPCG(cfg.Seed, cfg.Seed)),
		buckets: map[string]*bucket{},
		counts:  map[string]Stats{},
		down:    map[string]Outage{},
		regions: map[string]int{},
		closed:  make(chan struct{}),
	}
	for region, o := range cfg.Down {
		p.down[region] = o
	}
	for name, b := range cfg.Buckets {
		p.buckets[name] = &bucket{rate: b.Rate, burst: float64(b.Burst), tokens: float64(b.Burst)}
	}
	p.rp = &httputil.ReverseProxy{
		Rewrite:        func(r *httputil.ProxyRequest) { r.SetURL(backend) },
		Transport:      tr,
		ModifyResponse: addDenials,
	}
	return p
}

// Start listens on a free port of 127.0.0.1 and serves in the background.
func (p *Proxy) Start() error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("faultproxy: listen: %w", err)
	}
	p.url = "http://" + l.Addr().String()
	p.srv = &http.Server{Handler: p}
	go p.srv.Serve(l)
	return nil
}

// Serve returns a proxy to the backend at backendURL that is listening,
// and is closed when the test ends.
func Serve(tb testing.TB, backendURL string, cfg Config) *Proxy {
	tb.Helper()
	u, err := url.Parse(backendURL)
	if err != nil {
		tb.Fatalf("faultproxy: backend URL: %v", err)
	}
	p := New(u, cfg)
	if err := p.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { p.Close() })
	return p
}

// URL returns the proxy's base URL, http://127.0.0.1:PORT.
func (p *Proxy) URL() string { return p.url }

// Close stops the proxy and closes its connections.
func (p *Proxy) Close() error {
	defer p.tr.CloseIdleConnections()
	p.mu.Lock()
	select {
	case <-p.closed:
	default:
		close(p.closed) // ends the requests a Hang holds
	}
	p.mu.Unlock()
	if p.srv == nil {
		return nil
	}
	return p.srv.Close()
}

// Counts returns a copy of the counters, by X-Amz-Target.
func (p *Proxy) Counts() map[string]Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.counts)
}

// Reset zeroes the counters, which restarts every Rule's Script. The random
// source and the buckets carry on.
func (p *Proxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts = map[string]Stats{}
	p.regions = map[string]int{}
}

// SetDown takes region down with outage o, or brings it back with Up.
func (p *Proxy) SetDown(region string, o Outage) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down[region] = o
}

// Regions returns how many requests were signed for each region.
func (p *Proxy) Regions() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.regions)
}

// SigningRegion returns the region of a SigV4 Authorization header's
// credential scope (Credential=AKID/DATE/REGION/SERVICE/aws4_request), or
// "" when it names none.
func SigningRegion(authorization string) string {
	_, cred, ok := strings.Cut(authorization, "Credential=")
	if !ok {
		return ""
	}
	cred, _, _ = strings.Cut(cred, ",")
	parts := strings.Split(strings.TrimSpace(cred), "/")
	if len(parts) != 5 {
		return ""
	}
	return parts[2]
}

func (p *Proxy) rule(op string) Rule {
	if r, ok := p.cfg.Ops[op]; ok {
		return r
	}
	if svc, _, ok := strings.Cut(op, "."); ok {
		if r, ok := p.cfg.Ops[svc+".*"]; ok {
			return r
		}
	}
	return p.cfg.Default
}

// ServeHTTP injects a fault or forwards the request.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op := r.Header.Get("X-Amz-Target")
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	rule := p.rule(op)
	denied := p.denied(body)
	// A batch with denied ids answers the others; with only denied ids
	// it reaches no backend.
	batchDenied := op == OpBatchGetSecretValue && len(denied) > 0
	var batchRest []string
	if batchDenied {
		batchRest = notDenied(idsOf(body), denied)
	}
	region := SigningRegion(r.Header.Get("Authorization"))

	p.mu.Lock()
	p.regions[region]++
	if o := p.down[region]; o != Up {
		st := p.counts[op]
		st.Requests++
		switch o {
		case DownReset:
			st.Resets++
		case DownHang:
			st.Hung++
		default:
			st.Unavailable++
		}
		p.counts[op] = st
		p.mu.Unlock()
		switch o {
		case DownReset:
			resetConn(w)
		case DownHang:
			select {
			case <-r.Context().Done():
			case <-p.closed:
			}
		default:
			writeError(w, http.StatusServiceUnavailable, "ServiceUnavailable", "The service is unavailable. Try again later.")
		}
		return
	}
	roll, jitter := p.rng.Float64(), p.rng.Float64()
	limited := false
	if b := p.buckets[rule.Bucket]; b != nil {
		limited = !b.take(p.cfg.Now())
	}
	st := p.counts[op]
	st.Requests++
	fault := None
	switch {
	case st.Requests <= len(rule.Script):
		fault = rule.Script[st.Requests-1]
	case limited:
	case roll < rule.Reset:
		fault = ConnReset
	case roll < rule.Reset+rule.Throttle:
		fault = Throttle
	case roll < rule.Reset+rule.Throttle+rule.Internal:
		fault = Internal
	case roll < rule.Reset+rule.Throttle+rule.Internal+rule.Unavailable:
		fault = Unavailable
	}
	switch {
	case fault == Throttle:
		st.Throttled++
	case fault == Internal:
		st.Internal++
	case fault == Unavailable:
		st.Unavailable++
	case fault == ConnReset:
		st.Resets++
	case limited:
		st.RateLimited++
	case batchDenied && len(batchRest) > 0:
		st.Forwarded++
	case len(denied) > 0:
		st.Denied++
	default:
		st.Forwarded++
	}
	p.counts[op] = st
	p.mu.Unlock()

	if d := rule.Latency + time.Duration((2*jitter-1)*float64(rule.Jitter)); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		}
	}

	switch {
	case fault == ConnReset:
		resetConn(w)
	case fault == Throttle || fault == None && limited:
		writeError(w, http.StatusBadRequest, "ThrottlingException", "Rate exceeded")
	case fault == Internal:
		writeError(w, http.StatusInternalServerError, "InternalServiceError", "An error occurred on the server side.")
	case fault == Unavailable:
		writeError(w, http.StatusServiceUnavailable, "ServiceUnavailable", "The service is unavailable. Try again later.")
	case batchDenied && len(batchRest) == 0:
		writeJSON(w, withDenials(map[string]any{"SecretValues": []any{}}, denied))
	case batchDenied:
		body, _ = json.Marshal(map[string][]string{"SecretIdList": batchRest})
		r.ContentLength = int64(len(body))
		r.Header.Set("Content-Length", strconv.Itoa(len(body)))
		r.Body = io.NopCloser(bytes.NewReader(body))
		p.rp.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), deniedKey{}, denied)))
	case len(denied) > 0:
		code, msg := denialError(denied[0], action(op))
		writeError(w, http.StatusBadRequest, code, msg)
	default:
		r.Body = io.NopCloser(bytes.NewReader(body))
		p.rp.ServeHTTP(w, r)
	}
}

// deniedID is a requested secret id or parameter name chosen for a denial.
type deniedID struct {
	id     string
	denial Denial
}

type ids struct {
	SecretId     string
	Names        []string
	SecretIdList []string
}

func idsOf(body []byte) []string {
	var in ids
	json.Unmarshal(body, &in) // a body that is not JSON has no ids
	out := append(in.Names, in.SecretIdList...)
	if in.SecretId != "" {
		out = append(out, in.SecretId)
	}
	return out
}

// notDenied returns the ids that are not among denied, in order.
func notDenied(all []string, denied []deniedID) []string {
	var out []string
	for _, id := range all {
		if !slices.ContainsFunc(denied, func(d deniedID) bool { return d.id == id }) {
			out = append(out, id)
		}
	}
	return out
}

// deniedKey holds, in a forwarded BatchGetSecretValue request's context,
// the denied ids it left out, for addDenials.
type deniedKey struct{}

// addDenials adds to a BatchGetSecretValue answer's Errors the ids the
// proxy denied, as AWS lists a secret that GetSecretValue is denied on.
func addDenials(resp *http.Response) error {
	denied, _ := resp.Request.Context().Value(deniedKey{}).([]deniedID)
	if len(denied) == 0 || resp.StatusCode != http.StatusOK {
		return nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	var out map[string]any
	if err := json.Unmarshal(body, &out); err != nil {
		return fmt.Errorf("faultproxy: a BatchGetSecretValue answer that is not JSON: %w", err)
	}
	body, err = json.Marshal(withDenials(out, denied))
	if err != nil {
		return err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	return nil
}

// withDenials returns a BatchGetSecretValue answer with an entry in its
// Errors for each denied id.
func withDenials(answer map[string]any, denied []deniedID) map[string]any {
	errs, _ := answer["Errors"].([]any)
	for _, d := range denied {
		code, msg := denialError(d, "secretsmanager:GetSecretValue")
		errs = append(errs, map[string]string{"SecretId": d.id, "ErrorCode": code, "Message": msg})
	}
	answer["Errors"] = errs
	return answer
}

// denied returns the requested ids that Config.Deny matches, in request
// order.
func (p *Proxy) denied(body []byte) []deniedID {
	if len(p.cfg.Deny) == 0 {
		return nil
	}
	var out []deniedID
	for _, id := range idsOf(body) {
		for key, d := range p.cfg.Deny {
			if id == key || strings.HasPrefix(id, key+":") {
				out = append(out, deniedID{id, d})
				break
			}
		}
	}
	return out
}

// action returns the IAM action of an operation: secretsmanager.X is
// secretsmanager:X, AmazonSSM.X is ssm:X, TrentService.X is kms:X.
func action(op string) string {
	svc, name, _ := strings.Cut(op, ".")
	switch svc {
	case "AmazonSSM":
		svc = "ssm"
	case "TrentService":
		svc = "kms"
	}
	return svc + ":" + name
}

func denialError(d deniedID, action string) (code, msg string) {
	const principal = "User: arn:aws:sts::123456789012:assumed-role/task/x is not authorized to perform: "
	switch d.denial {
	case KMSAccessDenied:
		return "AccessDeniedException", principal + "kms:Decrypt on resource: arn:aws:kms:us-east-1:123456789012:key/00000000-0000-4000-8000-000000000000 (protecting " + d.id + ") because no identity-based policy allows the kms:Decrypt action"
	case KMSInvalidState:
		return "KMSInvalidStateException", "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-4000-8000-000000000000 (protecting " + d.id + ") is disabled."
	case DecryptionFailure:
		return "DecryptionFailure", "Secrets Manager can't decrypt the protected secret text using the provided KMS key (" + d.id + ")."
	default:
		return "AccessDeniedException", principal + action + " on resource: " + d.id + " because no identity-based policy allows the " + action + " action"
	}
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.1")
	h.Set("X-Amzn-RequestId", newRequestID())
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}

func writeJSON(w http.ResponseWriter, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.1")
	h.Set("X-Amzn-RequestId", newRequestID())
	json.NewEncoder(w).Encode(v)
}

func newRequestID() string {
	return fmt.Sprintf("fa017000-0000-4000-8000-%012x", requestIDs.Add(1))
}

// resetConn closes the client's connection with SO_LINGER 0, so the kernel
// sends RST and the client reads ECONNRESET.
func resetConn(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // closes the connection, without RST
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

// bucket is a token bucket; the Proxy's mutex guards it.
type bucket struct {
	rate, burst, tokens float64
	last                time.Time
}

func (b *bucket) take(now time.Time) bool {
	if !b.last.IsZero() && now.After(b.last) {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	if b.last.IsZero() || now.After(b.last) {
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

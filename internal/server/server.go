// Package server owns valuefrom's sidecar mode: an HTTP server on
// loopback that answers the API of the AWS Secrets Manager Agent and of
// the AWS Parameters and Secrets Lambda Extension, so that their clients
// work unchanged, from a cache of what it fetched.
//
// It owns the routes and their answers (shapes, status codes and error
// bodies copied from the agent), the token check and the SSRF guard, the
// wiring of the cache (TTL, bound, stale grace on transient failures,
// eviction when AWS says a value may no longer be read) to the resolver,
// the bounds on connections, and the graceful shutdown.
//
// Routes:
//
//	GET /ping, /healthz                           200, no token needed
//	GET /secretsmanager/get?secretId=ID[&versionId=V][&versionStage=S][&refreshNow=true]
//	GET /v1/ID[?versionId=V&versionStage=S&refreshNow=true]
//	GET /systemsmanager/parameters/get?name=NAME[&version=N|&label=L][&withDecryption=true]
//
// Every route but the health checks needs the header
// X-Aws-Parameters-Secrets-Token (or X-Vault-Token) equal to the token.
// The checks run in the agent's order: request limit (429), then
// X-Forwarded-For (400) and token (403), then method (405), then route (404).
//
// It never logs a value or the token.
package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/valuefrom/valuefrom/cache"
	"github.com/valuefrom/valuefrom/internal/awsapi"
	"github.com/valuefrom/valuefrom/resolver"
)

// Defaults for a Config's zero values: the Secrets Manager Agent's, and
// valuefrom's own StaleWait.
const (
	DefaultMaxEntries = 1000
	DefaultMaxConns   = 800
	// DefaultStaleWait is how long a request waits for the refresh of a
	// value past its TTL before it is answered with the cached value: long
	// enough for AWS's answer and a retry or two on a good day, short
	// enough that a client does not notice AWS having a bad one.
	DefaultStaleWait = 500 * time.Millisecond
)

// TokenHeaders are the request headers that may carry the token, as the
// Secrets Manager Agent accepts them.
var TokenHeaders = []string{"X-Aws-Parameters-Secrets-Token", "X-Vault-Token"}

// Config configures a Server.
type Config struct {
	AWS        aws.Config    // credentials, retryer, default region
	Token      string        // required
	TTL        time.Duration // zero: every request asks AWS (concurrent ones still share a call)
	Stale      time.Duration // grace past the TTL while AWS fails transiently
	MaxEntries int           // zero: DefaultMaxEntries
	MaxConns   int           // requests handled at once; zero: DefaultMaxConns
	Timeout    time.Duration // bounds each AWS call, retries included; zero: none
	// StaleWait is how long a request for a value past its TTL, but within
	// the Stale grace, waits for the refresh; then it is answered with the
	// cached value, and the refresh goes on in the background, shared with
	// the requests that follow. Zero: DefaultStaleWait, capped by Timeout.
	StaleWait time.Duration
	Logger    *slog.Logger // nil discards
	Now       func() time.Time
	// FallbackRegions and HedgeDelay are resolver.Config's: each request
	// whose own region fails transiently or stalls asks them in turn.
	FallbackRegions []string
	HedgeDelay      time.Duration
}

// Server is an http.Handler that serves secrets and parameters.
type Server struct {
	cfg      Config
	log      *slog.Logger
	res      *resolver.Resolver
	token    [sha256.Size]byte
	inflight atomic.Int64
}

// New returns a Server with an empty cache. It fails without a token.
func New(cfg Config) (*Server, error) {
	if cfg.Token == "" {
		return nil, ErrNoToken
	}
	if cfg.MaxEntries == 0 {
		cfg.MaxEntries = DefaultMaxEntries
	}
	if cfg.MaxConns == 0 {
		cfg.MaxConns = DefaultMaxConns
	}
	if cfg.StaleWait == 0 {
		cfg.StaleWait = DefaultStaleWait
		if cfg.Timeout > 0 {
			cfg.StaleWait = min(cfg.StaleWait, cfg.Timeout)
		}
	}
	s := &Server{cfg: cfg, log: cfg.Logger, token: sha256.Sum256([]byte(cfg.Token))}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	ttl := cfg.TTL
	if ttl == 0 {
		ttl = time.Nanosecond // the cache reads zero as forever
	}
	c := cache.New[resolver.Secret](cache.Options{
		TTL:        ttl,
		Stale:      cfg.Stale,
		StaleWait:  cfg.StaleWait,
		MaxEntries: cfg.MaxEntries,
		ServeStale: resolver.Transient,
		Evict:      gone,
		Now:        cfg.Now,
		OnStale: func(key string, err error) {
			s.log.Warn("AWS failed: serving the cached value past its TTL until a refresh succeeds", "key", strings.ReplaceAll(key, "\x00", " "),
				"error", err.Error())
		},
	})
	s.res = resolver.New(resolver.Config{AWS: cfg.AWS, Cache: c, Logger: cfg.Logger,
		FallbackRegions: cfg.FallbackRegions, HedgeDelay: cfg.HedgeDelay})
	return s, nil
}

// gone reports whether err, AWS's answer to a fetch, says the value may no
// longer be read, so that its cache entry is evicted at once, by a
// refreshNow=true request or a plain one past the TTL alike, and neither
// a later request nor the stale grace serves it: the secret or parameter
// is not found (deleted, even with a recovery window still open), IAM
// denies the call (a revoked permission must stop the value from being
// served, as it stops a new task), or its KMS key fails. Timeouts,
// throttling and 5xx answers keep the entry.
//
// AWS answers a secret scheduled for deletion with InvalidRequestException,
// which Classify does not name: any AWS answer that is not transient says
// what AWS thinks of this query now, so every one of them evicts.
func gone(err error) bool {
	c := awsapi.Classify(err)
	return c.NotFound || c.Denied || c.KMS || c.AWS && !c.Transient
}

// Calls returns how many AWS calls the server has made, not counting the
// SDK's retries.
func (s *Server) Calls() int64 { return s.res.Calls() }

// httpError is an answer other than success: a status and a body.
type httpError struct {
	status int
	body   string
	json   bool
}

func (e *httpError) Error() string { return e.body }

func textError(status int, body string) *httpError { return &httpError{status: status, body: body} }

// ServeHTTP answers one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	status, id := s.serve(w, r)
	s.log.Debug("request", "method", r.Method, "path", r.URL.Path, "id", id, "status", status,
		"duration_ms", awsapi.Millis(time.Since(start)))
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) (status int, id string) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	n := s.inflight.Add(1)
	defer s.inflight.Add(-1)
	health := r.URL.Path == "/ping" || r.URL.Path == "/healthz"
	limit := int64(s.cfg.MaxConns)
	if health {
		limit += 2 // as the agent: a health check still passes at the limit
	}
	if err := s.check(r, n, limit, health); err != nil {
		return s.fail(w, r, err), ""
	}
	if health {
		h.Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("healthy"))
		return http.StatusOK, ""
	}
	var (
		body any
		err  error
	)
	switch path := r.URL.Path; {
	case path == "/secretsmanager/get":
		body, id, err = s.secret(r, "")
	case strings.HasPrefix(path, "/v1/"):
		body, id, err = s.secret(r, strings.TrimPrefix(path, "/v1/"))
	case path == "/systemsmanager/parameters/get" || path == "/systemsmanager/parameters/get/":
		body, id, err = s.parameter(r)
	default:
		err = textError(http.StatusNotFound, "Not found")
	}
	if err != nil {
		return s.fail(w, r, err), id
	}
	b, err := json.Marshal(body)
	if err != nil {
		return s.fail(w, r, err), id
	}
	h.Set("Content-Type", "application/json")
	w.Write(b)
	return http.StatusOK, id
}

// check applies the request limit, the SSRF guard, the token and the
// method, in the agent's order.
func (s *Server) check(r *http.Request, n, limit int64, health bool) error {
	if n > limit {
		return textError(http.StatusTooManyRequests, "Connection limit exceeded")
	}
	if !health {
		if _, ok := r.Header["X-Forwarded-For"]; ok {
			return textError(http.StatusBadRequest, "Forwarded")
		}
		if !s.validToken(r.Header) {
			return textError(http.StatusForbidden, "Bad Token")
		}
	}
	if r.Method != http.MethodGet {
		return textError(http.StatusMethodNotAllowed, "Not allowed")
	}
	return nil
}

// validToken compares the hashes of the token and of each header's value
// in constant time, so that neither the token's bytes nor its length can
// be learnt from timing.
func (s *Server) validToken(h http.Header) bool {
	ok := 0
	for _, name := range TokenHeaders {
		for _, v := range h.Values(name) {
			got := sha256.Sum256([]byte(v))
			ok |= subtle.ConstantTimeCompare(got[:], s.token[:])
		}
	}
	return ok == 1
}

// fail writes err's answer and returns its status. AWS errors keep AWS's
// HTTP status and code, as the agent passes them on.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) int {
	var he *httpError
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		s.log.Debug("client gone before the answer", "path", r.URL.Path)
		he = textError(http.StatusServiceUnavailable, "Canceled")
	} else if !errors.As(err, &he) {
		he = awsError(err)
		level := slog.LevelWarn
		if he.status >= 500 {
			level = slog.LevelError
		}
		s.log.Log(r.Context(), level, "request failed", "path", r.URL.Path, "status", he.status, "error", err.Error())
	} else if he.status == http.StatusForbidden || he.status == http.StatusTooManyRequests ||
		he.body == "Forwarded" {
		s.log.Warn("request refused", "path", r.URL.Path, "remote", r.RemoteAddr, "status", he.status, "reason", he.body)
	}
	if he.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", http.MethodGet)
	}
	if he.json {
		w.Header().Set("Content-Type", "application/json")
	} else {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	}
	w.WriteHeader(he.status)
	w.Write([]byte(he.body))
	return he.status
}

// awsErrorBody is the agent's error body.
type awsErrorBody struct {
	Type    string `json:"__type"`
	Message string `json:"message,omitempty"`
}

// awsError maps an error from a fetch to the agent's answer: AWS's status
// and code when AWS answered; 504 when it did not, in time (a timeout) or
// at all (connection refused, DNS, TLS: AWS could not be reached, whether
// the deadline or the attempts ran out first); 502 for an answer that was
// not AWS's (an HTTP status without an AWS error code, such as a proxy's
// error page, an oversized answer, or one for another ARN than asked);
// 500 else.
func awsError(err error) *httpError {
	status, body := http.StatusInternalServerError, awsErrorBody{Type: "InternalFailure"}
	switch c := awsapi.Classify(err); {
	case c.AWS:
		status, body = http.StatusBadRequest, awsErrorBody{Type: c.Code, Message: c.Message}
		if c.HTTPStatus >= 400 {
			status = c.HTTPStatus
		}
	case c.Code == awsapi.CodeTimeout:
		status, body = http.StatusGatewayTimeout, awsErrorBody{Type: "TimeoutError", Message: "Timeout"}
	case c.Code == awsapi.CodeResponseTooLarge:
		status, body = http.StatusBadGateway, awsErrorBody{Type: c.Code, Message: "the answer was larger than any secret or parameter can be"}
	case c.Code == awsapi.CodeARNMismatch:
		status, body = http.StatusBadGateway, awsErrorBody{Type: c.Code, Message: "the answer was for another account, region or secret than the ARN names"}
	case c.HTTPStatus != 0:
		status, body = http.StatusBadGateway, awsErrorBody{Type: "ConnectionError", Message: "Response Error"}
	case c.Transient:
		status, body = http.StatusGatewayTimeout, awsErrorBody{Type: "ConnectionError", Message: "Read Error"}
	}
	b, _ := json.Marshal(body)
	return &httpError{status: status, body: string(b), json: true}
}

// query parses the raw query strictly, as the agent does: a malformed
// query or a parameter not in allowed is a 400. A repeated parameter's
// last value wins.
func query(r *http.Request, allowed ...string) (map[string]string, error) {
	vs, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, textError(http.StatusBadRequest, "malformed query")
	}
	q := make(map[string]string, len(vs))
	for k, v := range vs {
		if !contains(allowed, k) {
			return nil, textError(http.StatusBadRequest, "unknown parameter: "+k)
		}
		q[k] = v[len(v)-1]
	}
	return q, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// parseBool accepts what the agent's refreshNow accepts: true, false, 1, 0,
// in any case; "" is false.
func parseBool(name, v string) (bool, error) {
	switch strings.ToLower(v) {
	case "true", "1":
		return true, nil
	case "false", "0", "":
		return false, nil
	}
	return false, textError(http.StatusBadRequest, "invalid "+name+" value")
}

// secretBody is the agent's GetSecretValue answer, keys in its order.
// CreatedDate is a string of epoch seconds with a fraction, as the agent
// writes it; the absent ARN, Name, VersionId and CreatedDate are null.
type secretBody struct {
	ARN           *string  `json:"ARN"`
	Name          *string  `json:"Name"`
	VersionID     *string  `json:"VersionId"`
	SecretString  *string  `json:"SecretString,omitempty"`
	SecretBinary  []byte   `json:"SecretBinary,omitempty"`
	VersionStages []string `json:"VersionStages,omitempty"`
	CreatedDate   *string  `json:"CreatedDate"`
}

// secret answers a GetSecretValue: from the query's secretId, or from id
// (the path form) when id is not empty.
func (s *Server) secret(r *http.Request, id string) (any, string, error) {
	allowed := []string{"secretId", "versionId", "versionStage", "refreshNow"}
	if id != "" {
		allowed = allowed[1:]
	}
	q, err := query(r, allowed...)
	if err != nil {
		return nil, id, err
	}
	if id == "" {
		id = q["secretId"]
		if id == "" {
			return nil, "", textError(http.StatusBadRequest, "missing parameter secretId")
		}
	}
	if err := resolver.CheckID(id); err != nil {
		return nil, id, textError(http.StatusBadRequest, err.Error())
	}
	refresh, err := parseBool("refreshNow", q["refreshNow"])
	if err != nil {
		return nil, id, err
	}
	v, err := s.res.GetSecret(r.Context(), resolver.SecretQuery{ID: id, VersionID: q["versionId"], VersionStage: q["versionStage"]},
		resolver.GetOptions{Refresh: refresh, Timeout: s.cfg.Timeout})
	if err != nil {
		return nil, id, err
	}
	return secretBody{
		ARN:           nonEmpty(v.ARN),
		Name:          nonEmpty(v.Name),
		VersionID:     nonEmpty(v.VersionID),
		SecretString:  v.String,
		SecretBinary:  v.Binary,
		VersionStages: v.VersionStages,
		CreatedDate:   epochSeconds(v.CreatedDate),
	}, id, nil
}

// epochSeconds formats t as the agent does: seconds since the epoch with
// the shortest fraction that round-trips ("1569534789.046", "1569534789").
func epochSeconds(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	f := float64(t.Unix()) + float64(t.Nanosecond())/1e9
	s := strconv.FormatFloat(f, 'f', -1, 64)
	return &s
}

// parameterBody is the Lambda extension's GetParameter answer: the SDK's
// output as encoding/json writes it, absent fields null, ISO 8601 times.
type parameterBody struct {
	Parameter      parameter `json:"Parameter"`
	ResultMetadata struct{}  `json:"ResultMetadata"`
}

type parameter struct {
	ARN              *string
	DataType         *string
	LastModifiedDate *time.Time
	Name             *string
	Selector         *string
	SourceResult     *string
	Type             string
	Value            *string
	Version          int64
}

// parameter answers a GetParameter. version and label are exclusive.
func (s *Server) parameter(r *http.Request) (any, string, error) {
	q, err := query(r, "name", "version", "label", "withDecryption")
	if err != nil {
		return nil, "", err
	}
	name := q["name"]
	if name == "" {
		return nil, "", textError(http.StatusBadRequest, "missing parameter name")
	}
	switch {
	case q["version"] != "" && q["label"] != "":
		return nil, name, textError(http.StatusBadRequest, "version and label are exclusive: give one")
	case q["version"] != "":
		name += ":" + q["version"]
	case q["label"] != "":
		name += ":" + q["label"]
	}
	if err := resolver.CheckID(name); err != nil {
		return nil, name, textError(http.StatusBadRequest, err.Error())
	}
	decrypt, err := parseBool("withDecryption", q["withDecryption"])
	if err != nil {
		return nil, name, err
	}
	v, err := s.res.GetParameter(r.Context(), resolver.ParameterQuery{Name: name, Decrypt: decrypt},
		resolver.GetOptions{Timeout: s.cfg.Timeout})
	if err != nil {
		return nil, name, err
	}
	p := parameter{
		ARN:          nonEmpty(v.ARN),
		DataType:     nonEmpty(v.DataType),
		Name:         nonEmpty(v.Name),
		Selector:     nonEmpty(v.Selector),
		SourceResult: nonEmpty(v.SourceResult),
		Type:         v.Type,
		Value:        v.String,
		Version:      v.Version,
	}
	if !v.LastModified.IsZero() {
		t := v.LastModified.UTC()
		p.LastModifiedDate = &t
	}
	return parameterBody{Parameter: p}, name, nil
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Package awsstub owns an in-memory stand-in for the AWS read calls
// valuefrom makes: secretsmanager.GetSecretValue and BatchGetSecretValue,
// and AmazonSSM.GetParameters.
//
// Unlike moto, which serialises requests, the stub answers many requests in
// parallel after a configurable delay, so tests and benchmarks can see what
// concurrency and batching buy. It speaks awsJson1.1 as the Go SDK does,
// ignores request signing, accepts any region and listens on loopback only.
// It enforces AWS's batch limits of 10 parameter names and 20 secret ids,
// which moto does not.
package awsstub

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// Operation names, as sent in the X-Amz-Target header.
const (
	OpGetSecretValue      = "secretsmanager.GetSecretValue"
	OpBatchGetSecretValue = "secretsmanager.BatchGetSecretValue"
	OpGetParameters       = "AmazonSSM.GetParameters"
)

// MaxBatchGetSecretValue is the most secret ids AWS takes in one
// BatchGetSecretValue call.
const MaxBatchGetSecretValue = 20

// MaxGetParameters is the most names AWS takes in one GetParameters call.
const MaxGetParameters = 10

// The region and account in the stub's ARNs.
const (
	region  = "us-east-1"
	account = "123456789012"
)

// Options configures a Server.
type Options struct {
	Delay time.Duration // added before every answer; 0 answers at once
}

// Server is an in-memory, parallel AWS stub. Its methods are safe for
// concurrent use.
type Server struct {
	opts Options
	url  string

	mu       sync.Mutex
	secrets  map[string]*secret // by name
	params   map[string]*param  // by name
	seq      int
	requests int // for request ids
	counts   map[string]int
	inFlight int
	maxIn    int
}

type secret struct {
	name, arn string
	versions  []*secretVersion // oldest first
}

type secretVersion struct {
	id      string
	str     string
	stages  []string
	created time.Time
}

type param struct {
	name, arn, typ, dataType string
	versions                 []paramVersion // index i holds version i+1
}

type paramVersion struct {
	value    string
	labels   []string
	modified time.Time
}

// New returns a stub that is not yet listening: it is an http.Handler,
// for httptest.NewServer. Tests call Serve instead.
func New(opts Options) *Server {
	return &Server{
		opts:    opts,
		secrets: map[string]*secret{},
		params:  map[string]*param{},
		counts:  map[string]int{},
	}
}

// Serve returns a stub listening on a free port of 127.0.0.1, which is
// closed when the test ends.
func Serve(tb testing.TB, opts Options) *Server {
	s := New(opts)
	hs := httptest.NewServer(s)
	tb.Cleanup(hs.Close)
	s.url = hs.URL
	return s
}

// Config returns an SDK configuration for a stub, or a proxy in front of
// one, at url: us-east-1, dummy credentials, and no retries, so that a
// test sees every answer.
func Config(url string) aws.Config {
	return aws.Config{
		Region:       region,
		BaseEndpoint: aws.String(url),
		HTTPClient:   awshttp.NewBuildableClient(),
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}, nil
		}),
	}
}

// URL returns the base URL of a stub from Serve, http://127.0.0.1:PORT,
// for BaseEndpoint.
func (s *Server) URL() string { return s.url }

// PutSecretString adds a new version holding value to the secret name,
// creating the secret if needed, as PutSecretValue does: with no stages the
// version becomes AWSCURRENT. A version that loses AWSCURRENT becomes
// AWSPREVIOUS. It returns the new VersionId.
func (s *Server) PutSecretString(name, value string, stages ...string) string {
	v := &secretVersion{str: value}
	s.mu.Lock()
	defer s.mu.Unlock()
	sec := s.secrets[name]
	if sec == nil {
		sum := sha256.Sum256([]byte(name))
		arn := fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-%s",
			region, account, name, hex.EncodeToString(sum[:3]))
		sec = &secret{name: name, arn: arn}
		s.secrets[name] = sec
	}
	if len(stages) == 0 {
		stages = []string{"AWSCURRENT"}
	}
	s.seq++
	v.id = fmt.Sprintf("00000000-0000-4000-8000-%012d", s.seq)
	v.stages = slices.Clone(stages)
	v.created = time.Unix(1700000000+int64(s.seq), 0)
	for _, old := range sec.versions {
		hadCurrent := slices.Contains(old.stages, "AWSCURRENT")
		old.stages = slices.DeleteFunc(old.stages, func(st string) bool {
			return slices.Contains(stages, st) || st == "AWSPREVIOUS" && slices.Contains(stages, "AWSCURRENT")
		})
		if hadCurrent && slices.Contains(stages, "AWSCURRENT") {
			old.stages = append(old.stages, "AWSPREVIOUS")
		}
	}
	sec.versions = append(sec.versions, v)
	return v.id
}

// PutParameter adds a new version of the parameter name with type typ
// (String, StringList or SecureString) and moves labels to it. It returns
// the new version number, starting at 1.
func (s *Server) PutParameter(name, typ, value string, labels ...string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.params[name]
	if p == nil {
		p = &param{
			name:     name,
			arn:      fmt.Sprintf("arn:aws:ssm:%s:%s:parameter/%s", region, account, strings.TrimPrefix(name, "/")),
			dataType: "text",
		}
		s.params[name] = p
	}
	p.typ = typ
	for i := range p.versions {
		p.versions[i].labels = slices.DeleteFunc(p.versions[i].labels, func(l string) bool { return slices.Contains(labels, l) })
	}
	s.seq++
	p.versions = append(p.versions, paramVersion{value: value, labels: slices.Clone(labels), modified: time.Unix(1700000000+int64(s.seq), 0)})
	return int64(len(p.versions))
}

// Counts returns a copy of the number of requests received per operation
// (by X-Amz-Target), including rejected ones.
func (s *Server) Counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.counts)
}

// MaxInFlight returns the largest number of requests that were being served
// at the same time since New or the last ResetCounts.
func (s *Server) MaxInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxIn
}

// ResetCounts zeroes the request counters and MaxInFlight; data stays.
func (s *Server) ResetCounts() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts = map[string]int{}
	s.maxIn = s.inFlight
}

// apiError is an awsJson1.1 error answer.
type apiError struct {
	status int
	code   string
	msg    string
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

// ServeHTTP answers one awsJson1.1 request after the configured delay.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op := r.Header.Get("X-Amz-Target")
	s.mu.Lock()
	s.counts[op]++
	s.requests++
	id := s.requests
	s.inFlight++
	s.maxIn = max(s.maxIn, s.inFlight)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}()

	if err := wait(r.Context(), s.opts.Delay); err != nil {
		return
	}
	var out any
	var err error
	switch op {
	case OpGetSecretValue:
		out, err = s.getSecretValue(r)
	case OpBatchGetSecretValue:
		out, err = s.batchGetSecretValue(r)
	case OpGetParameters:
		out, err = s.getParameters(r)
	default:
		err = &apiError{400, "UnknownOperationException", "awsstub does not implement " + strconv.Quote(op)}
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-RequestId", fmt.Sprintf("a5570b00-0000-4000-8000-%012x", id))
	if err != nil {
		ae, ok := err.(*apiError)
		if !ok {
			ae = &apiError{400, "SerializationException", err.Error()}
		}
		w.WriteHeader(ae.status)
		json.NewEncoder(w).Encode(map[string]string{"__type": ae.code, "message": ae.msg})
		return
	}
	json.NewEncoder(w).Encode(out)
}

// wait blocks for d or until ctx is done.
func wait(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

type secretValue struct {
	ARN           string
	Name          string
	VersionId     string
	SecretString  string
	VersionStages []string `json:",omitempty"`
	CreatedDate   float64  // epoch seconds
}

func (s *Server) getSecretValue(r *http.Request) (any, error) {
	var in struct{ SecretId, VersionId, VersionStage string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lookupSecret(in.SecretId, in.VersionId, in.VersionStage)
}

type batchError struct {
	SecretId, ErrorCode, Message string
}

// batchGetSecretValue answers each id of SecretIdList (a name, full ARN or
// partial ARN) as GetSecretValue answers it at AWSCURRENT, in order: its
// value, or its error among Errors, with the id as sent. Filters are not
// supported.
func (s *Server) batchGetSecretValue(r *http.Request) (any, error) {
	var in struct{ SecretIdList []string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		return nil, err
	}
	if len(in.SecretIdList) == 0 || len(in.SecretIdList) > MaxBatchGetSecretValue {
		return nil, &apiError{400, "ValidationException", fmt.Sprintf(
			"1 validation error detected: Value at 'secretIdList' failed to satisfy constraint: Member must have length between 1 and %d", MaxBatchGetSecretValue)}
	}
	out := struct {
		SecretValues []*secretValue
		Errors       []batchError
	}{SecretValues: []*secretValue{}, Errors: []batchError{}}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range in.SecretIdList {
		v, err := s.lookupSecret(id, "", "")
		if err != nil {
			ae := err.(*apiError)
			out.Errors = append(out.Errors, batchError{SecretId: id, ErrorCode: ae.code, Message: ae.msg})
			continue
		}
		out.SecretValues = append(out.SecretValues, v)
	}
	return out, nil
}

// lookupSecret finds a version by name, full ARN or partial ARN; s.mu held.
func (s *Server) lookupSecret(id, versionID, stage string) (*secretValue, error) {
	notFound := &apiError{400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret."}
	name := id
	if _, after, ok := strings.Cut(id, ":secret:"); ok && strings.HasPrefix(id, "arn:") {
		name = after
	}
	sec := s.secrets[name]
	if sec == nil {
		// A full ARN ends in -XXXXXX, which the name does not carry.
		for _, c := range s.secrets {
			if c.arn == id {
				sec = c
			}
		}
	}
	if sec == nil {
		return nil, notFound
	}
	if versionID == "" && stage == "" {
		stage = "AWSCURRENT"
	}
	for _, v := range slices.Backward(sec.versions) {
		if (versionID == "" || v.id == versionID) && (stage == "" || slices.Contains(v.stages, stage)) {
			return &secretValue{
				ARN: sec.arn, Name: sec.name, VersionId: v.id,
				SecretString:  v.str,
				VersionStages: slices.Clone(v.stages),
				CreatedDate:   float64(v.created.Unix()),
			}, nil
		}
	}
	return nil, &apiError{400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret value for the requested version or staging label."}
}

type parameter struct {
	Name             string
	Type             string
	Value            string
	Version          int64
	Selector         string `json:",omitempty"`
	LastModifiedDate float64
	ARN              string
	DataType         string
}

func (s *Server) getParameters(r *http.Request) (any, error) {
	var in struct {
		Names          []string
		WithDecryption bool
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		return nil, err
	}
	if len(in.Names) == 0 || len(in.Names) > MaxGetParameters {
		return nil, &apiError{400, "ValidationException", fmt.Sprintf(
			"1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length between 1 and %d", MaxGetParameters)}
	}
	out := struct {
		Parameters        []parameter
		InvalidParameters []string
	}{Parameters: []parameter{}, InvalidParameters: []string{}}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, full := range in.Names {
		if p, ok := s.lookupParameter(full, in.WithDecryption); ok {
			out.Parameters = append(out.Parameters, p)
		} else {
			out.InvalidParameters = append(out.InvalidParameters, full)
		}
	}
	// AWS lists results in alphabetical order.
	slices.SortFunc(out.Parameters, func(a, b parameter) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// lookupParameter resolves name[:selector], where name may be an ARN; s.mu
// held.
func (s *Server) lookupParameter(full string, decrypt bool) (parameter, bool) {
	name, sel := full, ""
	rest, prefix := full, ""
	if strings.HasPrefix(full, "arn:") {
		if i := strings.Index(full, ":parameter"); i >= 0 {
			prefix, rest = full[:i+len(":parameter")], full[i+len(":parameter"):]
		}
	}
	if i := strings.LastIndex(rest, ":"); i >= 0 {
		name, sel = prefix+rest[:i], rest[i+1:]
	}
	var p *param
	if prefix != "" {
		for _, c := range s.params {
			if c.arn == name {
				p = c
			}
		}
	} else {
		p = s.params[name]
	}
	if p == nil {
		return parameter{}, false
	}
	idx := len(p.versions) - 1
	if sel != "" {
		idx = -1
		if n, err := strconv.Atoi(sel); err == nil {
			if n >= 1 && n <= len(p.versions) {
				idx = n - 1
			}
		} else {
			for i, v := range p.versions {
				if slices.Contains(v.labels, sel) {
					idx = i
				}
			}
		}
		if idx < 0 {
			return parameter{}, false
		}
	}
	v := p.versions[idx]
	value := v.value
	if p.typ == "SecureString" && !decrypt {
		// Stands in for the KMS ciphertext AWS returns.
		value = base64.StdEncoding.EncodeToString([]byte("awsstub-ciphertext:" + p.name))
	}
	out := parameter{
		Name: name, Type: p.typ, Value: value, Version: int64(idx + 1),
		LastModifiedDate: float64(v.modified.Unix()), ARN: p.arn, DataType: p.dataType,
	}
	if sel != "" {
		out.Selector = ":" + sel
	}
	return out, true
}

package resolver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/valuefrom/valuefrom/internal/awsapi"
	"github.com/valuefrom/valuefrom/internal/platform"
	"github.com/valuefrom/valuefrom/internal/testkit/fakeclock"
	"github.com/valuefrom/valuefrom/resolver/reference"
)

// fakeAWS answers GetSecretValue and GetParameters from memory and records
// the calls, per region.
type fakeAWS struct {
	mu       sync.Mutex
	secrets  map[string]string   // region/secret-id -> value
	params   map[string]string   // region/name[:selector] -> value
	deny     map[string]bool     // names whose presence in a call fails it
	arns     map[string]string   // secret id -> the ARN answered, when not its own
	calls    map[string][]string // region -> "op ids..."
	noSelect bool                // omit Selector, as moto does
	batchErr error               // fails every BatchGetSecretValue call
	batchIn  string              // when set, batchErr fails only this region's
}

func (f *fakeAWS) record(region, call string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls == nil {
		f.calls = make(map[string][]string)
	}
	f.calls[region] = append(f.calls[region], call)
}

type fakeSecrets struct {
	*fakeAWS
	region string
}

func (f fakeSecrets) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	id := aws.ToString(in.SecretId)
	f.record(f.region, "GetSecretValue "+id)
	return f.answer(id)
}

func (f fakeSecrets) answer(id string) (*secretsmanager.GetSecretValueOutput, error) {
	if f.deny[id] {
		return nil, &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized to perform: secretsmanager:GetSecretValue"}
	}
	v, ok := f.secrets[f.region+"/"+id]
	if !ok {
		return nil, &smithy.GenericAPIError{Code: "ResourceNotFoundException", Message: "Secrets Manager can't find the specified secret."}
	}
	arn, ok := f.arns[id]
	switch {
	case ok:
	case strings.HasPrefix(id, "arn:") && len(id) > 7 && id[len(id)-7] == '-':
		arn = id
	case strings.HasPrefix(id, "arn:"):
		arn = id + "-AbCdEf"
	default:
		arn = "arn:aws:secretsmanager:" + f.region + ":123456789012:secret:" + id + "-AbCdEf"
	}
	return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(v), VersionId: aws.String("v-" + id), ARN: aws.String(arn)}, nil
}

// BatchGetSecretValue answers each id as GetSecretValue does, but for the
// record, and puts a failure in Errors, as AWS does.
func (f fakeSecrets) BatchGetSecretValue(ctx context.Context, in *secretsmanager.BatchGetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.BatchGetSecretValueOutput, error) {
	f.record(f.region, "BatchGetSecretValue "+strings.Join(in.SecretIdList, " "))
	if f.batchErr != nil && (f.batchIn == "" || f.batchIn == f.region) {
		return nil, f.batchErr
	}
	if len(in.SecretIdList) > MaxSecretsPerCall {
		return nil, &smithy.GenericAPIError{Code: "InvalidParameterException", Message: "too many ids"}
	}
	out := &secretsmanager.BatchGetSecretValueOutput{}
	for _, id := range in.SecretIdList {
		v, err := f.answer(id)
		if err != nil {
			var ae smithy.APIError
			errors.As(err, &ae)
			out.Errors = append(out.Errors, smtypes.APIErrorType{SecretId: aws.String(id), ErrorCode: aws.String(ae.ErrorCode()), Message: aws.String(ae.ErrorMessage())})
			continue
		}
		arn := aws.ToString(v.ARN)
		name := arn[strings.Index(arn, ":secret:")+len(":secret:") : len(arn)-7]
		out.SecretValues = append(out.SecretValues, smtypes.SecretValueEntry{ARN: v.ARN, Name: aws.String(name), SecretString: v.SecretString, VersionId: v.VersionId})
	}
	return out, nil
}

type fakeParams struct {
	*fakeAWS
	region string
}

func (f fakeParams) GetParameters(_ context.Context, in *ssm.GetParametersInput, _ ...func(*ssm.Options)) (*ssm.GetParametersOutput, error) {
	f.record(f.region, "GetParameters "+strings.Join(in.Names, " "))
	if len(in.Names) > MaxParametersPerCall {
		return nil, &smithy.GenericAPIError{Code: "ValidationException", Message: "too many names"}
	}
	if !aws.ToBool(in.WithDecryption) {
		return nil, errors.New("WithDecryption not set")
	}
	out := &ssm.GetParametersOutput{}
	for _, n := range in.Names {
		if f.deny[n] {
			return nil, &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized to perform: ssm:GetParameters on " + n}
		}
		v, ok := f.params[f.region+"/"+n]
		if !ok {
			out.InvalidParameters = append(out.InvalidParameters, n)
			continue
		}
		name, sel, _ := strings.Cut(n, ":")
		arn := "arn:aws:ssm:" + f.region + ":123456789012:parameter/" + strings.TrimPrefix(name, "/")
		if strings.HasPrefix(n, "arn:") { // asked by ARN: the ARN and selector after it
			i := strings.LastIndex(n, ":")
			name, sel, arn = n, "", n
			if !strings.Contains(n[i:], "/") && strings.Count(n, ":") > 5 {
				name, sel, arn = n[:i], n[i+1:], n[:i]
			}
		}
		p := ssmtypes.Parameter{Name: aws.String(name), Value: aws.String(v), Version: 1, ARN: aws.String(arn)}
		if sel != "" && !f.noSelect {
			p.Selector = aws.String(":" + sel)
		}
		out.Parameters = append(out.Parameters, p)
	}
	return out, nil
}

func (f fakeParams) GetParameter(context.Context, *ssm.GetParameterInput, ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	return nil, errors.New("GetParameter is not faked")
}

func newFakeResolver(f *fakeAWS) *Resolver {
	r := New(Config{AWS: aws.Config{Region: "us-east-1"}, Concurrency: 4})
	r.secrets.New = func(region string) secretsAPI { return fakeSecrets{f, region} }
	r.parameters.New = func(region string) parametersAPI { return fakeParams{f, region} }
	return r
}

// testHint adds awsapi's hints, as valuefrom's pipeline does.
func testHint(e *Error) string {
	region := e.Ref.Region
	return awsapi.Hint(platform.Platform{}, awsapi.ClassOf(e.Code, e.Err), e.Ref, region, e.Ref.ARN(reference.PartitionOf(region), region, "ACCOUNT"))
}

func requests(t *testing.T, kv ...string) []reference.Request {
	t.Helper()
	var reqs []reference.Request
	for i := 0; i < len(kv); i += 2 {
		ref, err := reference.Parse(kv[i+1])
		if err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, reference.Request{Var: kv[i], Ref: ref})
	}
	return reqs
}

// serverConfig is the configuration of an SDK client that sends its
// calls, unsigned, to the test server at url, with five attempts each.
func serverConfig(url string) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  aws.AnonymousCredentials{},
		BaseEndpoint: aws.String(url),
		Retryer:      func() aws.Retryer { return awsapi.NewRetryer(5) },
	}
}

func TestResolveBatchesParameters(t *testing.T) {
	f := &fakeAWS{params: map[string]string{}}
	var kv []string
	for i := range 11 {
		f.params[fmt.Sprintf("us-east-1//p/%02d", i)] = fmt.Sprint("value", i)
		kv = append(kv, fmt.Sprintf("P%02d", i), fmt.Sprintf("ssm:/p/%02d", i))
	}
	r := newFakeResolver(f)
	values, err := r.Resolve(context.Background(), requests(t, kv...))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(f.calls["us-east-1"]); got != 2 {
		t.Errorf("11 names in one region made %d GetParameters calls, want 2: %q", got, f.calls)
	}
	if r.Calls() != 2 {
		t.Errorf("Calls() = %d, want 2", r.Calls())
	}
	for i, v := range values {
		if want := fmt.Sprint("value", i); string(v.Value) != want || v.Var != fmt.Sprintf("P%02d", i) {
			t.Errorf("value %d = %s=%q, want P%02d=%q", i, v.Var, v.Value, i, want)
		}
	}
}

func TestResolveRegionsAndDedup(t *testing.T) {
	f := &fakeAWS{
		secrets: map[string]string{
			"us-east-1/db": `{"user":"u","password":"p"}`,
			"us-west-2/arn:aws:secretsmanager:us-west-2:123456789012:secret:db": `{"user":"w"}`,
		},
		params: map[string]string{"us-east-1//a": "east", "eu-west-1//app/a": "west"},
	}
	r := newFakeResolver(f)
	reqs := requests(t,
		"USER", "secretsmanager:db:user::",
		"PASS", "secretsmanager:db:password::",
		"WHOLE", "secretsmanager:db",
		"WEST_USER", "arn:aws:secretsmanager:us-west-2:123456789012:secret:db:user::",
		"A1", "ssm:/a",
		"A2", "ssm:/a",
		"A3", "arn:aws:ssm:eu-west-1:123456789012:parameter/app/a",
	)
	values, err := r.Resolve(context.Background(), reqs)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, v := range values {
		got[v.Var] = string(v.Value)
	}
	want := map[string]string{"USER": "u", "PASS": "p", "WHOLE": `{"user":"u","password":"p"}`, "WEST_USER": "w", "A1": "east", "A2": "east", "A3": "west"}
	if !maps.Equal(got, want) {
		t.Errorf("values = %q, want %q", got, want)
	}
	wantCalls := map[string][]string{
		"us-east-1": {"GetParameters /a", "GetSecretValue db"},
		"us-west-2": {"GetSecretValue arn:aws:secretsmanager:us-west-2:123456789012:secret:db"},
		"eu-west-1": {"GetParameters /app/a"},
	}
	for region, w := range wantCalls {
		calls := slices.Clone(f.calls[region])
		slices.Sort(calls)
		if !slices.Equal(calls, w) {
			t.Errorf("calls in %s = %q, want %q", region, calls, w)
		}
	}
}

func TestResolveSameNameTwoSelectors(t *testing.T) {
	// Without Selector in the response, two selectors of one name must
	// not share a call, or their values could be swapped.
	f := &fakeAWS{noSelect: true, params: map[string]string{"us-east-1//a:1": "one", "us-east-1//a:blue": "blue", "us-east-1//a": "current"}}
	r := newFakeResolver(f)
	values, err := r.Resolve(context.Background(), requests(t, "V1", "ssm:/a:1", "BLUE", "ssm:/a:blue", "CUR", "ssm:/a"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"one", "blue", "current"}
	for i, v := range values {
		if string(v.Value) != want[i] {
			t.Errorf("%s = %q, want %q", v.Var, v.Value, want[i])
		}
	}
	for _, c := range f.calls["us-east-1"] {
		if strings.Count(c, "/a") > 1 {
			t.Errorf("one call asked for /a twice: %q", c)
		}
	}
}

func TestResolveErrorsNameEveryVariable(t *testing.T) {
	f := &fakeAWS{
		secrets: map[string]string{"us-east-1/ok": "fine"},
		params:  map[string]string{"us-east-1//good": "g", "us-east-1//other": "o"},
		deny:    map[string]bool{"/denied": true, "locked": true},
	}
	r := newFakeResolver(f)
	reqs := requests(t,
		"OK", "secretsmanager:ok",
		"MISSING_SECRET", "secretsmanager:nope",
		"LOCKED", "secretsmanager:locked",
		"GOOD", "ssm:/good",
		"DENIED", "ssm:/denied",
		"OTHER", "ssm:/other",
		"MISSING_PARAM", "ssm:/nope",
		"BAD_KEY", "secretsmanager:ok:k::",
	)
	values, err := r.Resolve(context.Background(), reqs)
	if values != nil {
		t.Errorf("got values alongside errors: fail closed means none")
	}
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error %v is not Errors", err)
	}
	got := map[string]string{}
	for _, e := range errs {
		got[e.Var] = e.Code
		if testHint(e) == "" {
			t.Errorf("%s: no hint", e.Var)
		}
	}
	want := map[string]string{
		"MISSING_SECRET": "ResourceNotFoundException",
		"LOCKED":         "AccessDeniedException",
		"DENIED":         "AccessDeniedException",
		"MISSING_PARAM":  awsapi.CodeNotFound,
		"BAD_KEY":        awsapi.CodeNotJSONObject,
	}
	if !maps.Equal(got, want) {
		t.Errorf("failed variables' codes = %v, want %v", got, want)
	}
	for _, e := range errs {
		if e.Var == "DENIED" && !strings.Contains(testHint(e), "ssm:GetParameters on arn:aws:ssm:us-east-1:") {
			t.Errorf("DENIED hint = %q, want it to name the permission and ARN", testHint(e))
		}
		if e.Var == "LOCKED" && !strings.Contains(testHint(e), "secretsmanager:GetSecretValue") {
			t.Errorf("LOCKED hint = %q, want it to name the permission", testHint(e))
		}
	}
}

func TestResolveParameterARNs(t *testing.T) {
	// Asked by name first, in one batch; by ARN when the name is not
	// found, or when the answer is the caller's own parameter of that
	// name rather than the other account's the ARN names.
	const theirs = "arn:aws:ssm:us-east-1:999999999999:parameter/shared"
	f := &fakeAWS{params: map[string]string{
		"us-east-1/plain":     "p",
		"us-east-1//shared":   "ours",
		"us-east-1/" + theirs: "theirs",
		"us-east-1/arn:aws:ssm:us-east-1:123456789012:parameter/slashed": "s",
	}}
	r := newFakeResolver(f)
	values, err := r.Resolve(context.Background(), requests(t,
		"P", "arn:aws:ssm:us-east-1:123456789012:parameter/plain",
		"SHARED", theirs,
		"S", "arn:aws:ssm:us-east-1:123456789012:parameter/slashed"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"p", "theirs", "s"}
	for i, v := range values {
		if string(v.Value) != want[i] {
			t.Errorf("%s = %q, want %q", v.Var, v.Value, want[i])
		}
	}
	calls := slices.Clone(f.calls["us-east-1"])
	slices.Sort(calls)
	wantCalls := []string{
		"GetParameters arn:aws:ssm:us-east-1:123456789012:parameter/slashed",
		"GetParameters " + theirs,
		"GetParameters plain slashed shared",
	}
	if !slices.Equal(calls, wantCalls) {
		t.Errorf("calls =\n%q\nwant\n%q", calls, wantCalls)
	}
}

func TestResolveOtherAccountNeverServesOwn(t *testing.T) {
	// The other account's parameter does not exist (or is not shared):
	// the caller's own parameter of that name must not stand in for it.
	f := &fakeAWS{params: map[string]string{"us-east-1//app/key": "local"}}
	r := newFakeResolver(f)
	_, err := r.Resolve(context.Background(), requests(t, "K", "arn:aws:ssm:us-east-1:999999999999:parameter/app/key"))
	var errs Errors
	if !errors.As(err, &errs) || errs[0].Code != awsapi.CodeNotFound {
		t.Fatalf("error = %v, want NotFound for the other account's parameter", err)
	}
}

func TestResolveNoRegion(t *testing.T) {
	r := newFakeResolver(&fakeAWS{})
	r.cfg.AWS.Region = ""
	_, err := r.Resolve(context.Background(), requests(t, "A", "ssm:/a"))
	var errs Errors
	if !errors.As(err, &errs) || errs[0].Code != awsapi.CodeNoRegion {
		t.Fatalf("error = %v, want NoRegion", err)
	}
}

// TestRetries checks the retry policy itself, through the real SDK against
// an HTTP server: a 500, a throttle, then success makes three attempts; a
// non-retryable error makes one.
func TestRetries(t *testing.T) {
	var attempts atomic.Int32
	answers := []func(w http.ResponseWriter){
		func(w http.ResponseWriter) { w.WriteHeader(500) },
		func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(400)
			io.WriteString(w, `{"__type":"ThrottlingException","message":"Rate exceeded"}`)
		},
		func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			io.WriteString(w, `{"Name":"db","SecretString":"ok","VersionId":"v1"}`)
		},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(attempts.Add(1)) - 1
		answers[min(n, len(answers)-1)](w)
	}))
	defer srv.Close()

	cfg := fakeclock.RetryAtOnce(serverConfig(srv.URL))
	r := New(Config{AWS: cfg, Concurrency: 1})
	values, err := r.Resolve(context.Background(), requests(t, "DB", "secretsmanager:db"))
	if err != nil {
		t.Fatal(err)
	}
	if string(values[0].Value) != "ok" {
		t.Errorf("value = %q, want ok", values[0].Value)
	}
	if got := attempts.Load(); got != 3 {
		t.Errorf("attempts = %d, want 3 (500, throttle, success)", got)
	}

	attempts.Store(0)
	answers = []func(w http.ResponseWriter){func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(400)
		io.WriteString(w, `{"__type":"ResourceNotFoundException","message":"no"}`)
	}}
	r = New(Config{AWS: cfg, Concurrency: 1})
	if _, err := r.Resolve(context.Background(), requests(t, "DB", "secretsmanager:db")); err == nil {
		t.Fatal("no error for ResourceNotFoundException")
	}
	if got := attempts.Load(); got != 1 {
		t.Errorf("attempts for a non-retryable error = %d, want 1", got)
	}
}

func TestResolveParametersFirst(t *testing.T) {
	f := &fakeAWS{secrets: map[string]string{}, params: map[string]string{}}
	var kv []string
	for i := range 3 {
		f.secrets[fmt.Sprintf("us-east-1/s%d", i)] = "v"
		kv = append(kv, fmt.Sprintf("S%d", i), fmt.Sprintf("secretsmanager:s%d", i))
	}
	for i := range 12 {
		f.params[fmt.Sprintf("us-east-1//p/%02d", i)] = "v"
		kv = append(kv, fmt.Sprintf("P%02d", i), fmt.Sprintf("ssm:/p/%02d", i))
	}
	r := newFakeResolver(f)
	r.cfg.Concurrency = 1 // calls run in the order they were started
	if _, err := r.Resolve(context.Background(), requests(t, kv...)); err != nil {
		t.Fatal(err)
	}
	// ceil(12/10) GetParameters, and one BatchGetSecretValue for the
	// three secrets: 2 + 1.
	calls := f.calls["us-east-1"]
	if len(calls) != 3 {
		t.Fatalf("%d calls, want 3 (2 GetParameters, 1 BatchGetSecretValue): %q", len(calls), calls)
	}
	for i, c := range calls {
		if want := i < 2; strings.HasPrefix(c, "GetParameters ") != want {
			t.Errorf("call %d is %q: want the GetParameters batches before the secrets", i, c)
		}
	}
}

// TestHints: the resolver leaves Hint to its caller, and each failure
// names the region asked, so that a hint (awsapi's, as the pipeline adds
// them) names the ARN in the default region's partition.
func TestHints(t *testing.T) {
	f := &fakeAWS{deny: map[string]bool{"/a": true, "b": true}}
	r := newFakeResolver(f)
	r.cfg.AWS.Region = "cn-north-1"
	_, err := r.Resolve(context.Background(), requests(t, "A", "ssm:/a", "B", "arn:aws-us-gov:ssm:us-gov-west-1:123456789012:parameter/b"))
	var errs Errors
	if !errors.As(err, &errs) || len(errs) != 2 {
		t.Fatalf("error = %v, want two", err)
	}
	for i, want := range []string{"arn:aws-cn:ssm:cn-north-1:", "arn:aws-us-gov:ssm:us-gov-west-1:123456789012:parameter/b"} {
		if !strings.Contains(testHint(errs[i]), want) {
			t.Errorf("%s (%s) hint %q does not name %s", errs[i].Var, errs[i].Code, testHint(errs[i]), want)
		}
	}

	for _, e := range errs {
		if e.Hint != "" {
			t.Errorf("%s: the resolver filled the hint %q: it is its caller's to say", e.Var, e.Hint)
		}
	}
}

// TestResolveTooLargeAnswer: with awsapi's response limit, as valuefrom's
// configuration has it, an endless answer fails the variable with
// ResponseTooLarge and a hint, and no attempt is retried for it.
func TestResolveTooLargeAnswer(t *testing.T) {
	var attempts atomic.Int32
	chunk := []byte(strings.Repeat("a", 32<<10))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		attempts.Add(1)
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		io.WriteString(w, `{"Name":"db","VersionId":"v1","SecretString":"`)
		for range 64 << 20 / len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return // the client hung up
			}
		}
	}))
	defer srv.Close()
	cfg := serverConfig(srv.URL)
	cfg.APIOptions = []func(*middleware.Stack) error{awsapi.LimitResponses}
	r := New(Config{AWS: cfg, Concurrency: 1})
	_, err := r.Resolve(context.Background(), requests(t, "DB", "secretsmanager:db"))
	var errs Errors
	if !errors.As(err, &errs) || len(errs) != 1 || errs[0].Code != awsapi.CodeResponseTooLarge || testHint(errs[0]) == "" {
		t.Fatalf("error = %.300v, want DB failing with %s and a hint", err, awsapi.CodeResponseTooLarge)
	}
	if got := attempts.Load(); got >= 5 {
		t.Errorf("attempts = %d, want fewer than 5: a too-large answer is not retried", got)
	}
}

// TestResolveSlashIsPartOfTheName: db and /db are two parameters in SSM.
// Each variable gets its own, both names are asked, and never in one
// call, where an answer's Name might not say which it was.
func TestResolveSlashIsPartOfTheName(t *testing.T) {
	f := &fakeAWS{params: map[string]string{"us-east-1/db": "plain", "us-east-1//db": "slashed"}}
	r := newFakeResolver(f)
	values, err := r.Resolve(context.Background(), requests(t, "PLAIN", "ssm:db", "SLASHED", "ssm:/db", "AGAIN", "ssm:db"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"PLAIN": "plain", "SLASHED": "slashed", "AGAIN": "plain"}
	for _, v := range values {
		if string(v.Value) != want[v.Var] {
			t.Errorf("%s = %q, want %q", v.Var, v.Value, want[v.Var])
		}
	}
	calls := slices.Clone(f.calls["us-east-1"])
	slices.Sort(calls)
	if wantCalls := []string{"GetParameters /db", "GetParameters db"}; !slices.Equal(calls, wantCalls) {
		t.Errorf("calls = %q, want %q", calls, wantCalls)
	}

	// The cache keeps them apart too: a second Resolve asks nothing.
	values, err = r.Resolve(context.Background(), requests(t, "SLASHED", "ssm:/db", "PLAIN", "ssm:db"))
	if err != nil {
		t.Fatal(err)
	}
	if string(values[0].Value) != "slashed" || string(values[1].Value) != "plain" {
		t.Errorf("from the cache: SLASHED = %q, PLAIN = %q; want slashed, plain", values[0].Value, values[1].Value)
	}
	if got := len(f.calls["us-east-1"]); got != 2 {
		t.Errorf("%d calls after the second Resolve, want still 2", got)
	}
}

// TestResolveSecretARNs: a secret asked for by ARN, full or partial, is
// served only when the answer's ARN names the same partition, region,
// account and secret, as an endpoint that ignores the ARN's account and
// region (moto does) would answer otherwise: with the caller's own secret
// of that name.
func TestResolveSecretARNs(t *testing.T) {
	const (
		theirs  = "arn:aws:secretsmanager:us-east-1:999999999999:secret:shared"
		ours    = "arn:aws:secretsmanager:us-east-1:123456789012:secret:shared-AbCdEf"
		west    = "arn:aws:secretsmanager:us-west-2:123456789012:secret:db"
		canary  = "canary-9f3c2e"
		wantErr = "ARNMismatch"
	)
	tests := []struct {
		name     string
		ref      string
		answered string // the ARN the fake answers with; "" for the secret's own
		noARN    bool
		wantCode string
	}{
		{"partial ARN", theirs, "", false, ""},
		{"full ARN", theirs + "-XyZ123", "", false, ""},
		{"partial ARN, short name that looks suffixed", "arn:aws:secretsmanager:us-east-1:999999999999:secret:app/my-secret", "", false, ""},
		{"partial ARN answered from our account", theirs, ours, false, wantErr},
		{"full ARN answered from our account", theirs + "-XyZ123", ours, false, wantErr},
		{"answered from another region", west, "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf", false, wantErr},
		{"answered from another partition", west, "arn:aws-cn:secretsmanager:us-west-2:123456789012:secret:db-AbCdEf", false, wantErr},
		{"answered with another secret", west, "arn:aws:secretsmanager:us-west-2:123456789012:secret:db-other-AbCdEf", false, wantErr},
		{"full ARN answered with another version of the name", theirs + "-XyZ123", theirs + "-QrS456", false, wantErr},
		{"answered without an ARN", theirs, "", true, wantErr},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ref, err := reference.Parse(tt.ref)
			if err != nil {
				t.Fatal(err)
			}
			f := &fakeAWS{secrets: map[string]string{ref.Region + "/" + tt.ref: canary}, arns: map[string]string{}}
			if tt.answered != "" || tt.noARN {
				f.arns[tt.ref] = tt.answered
			}
			r := newFakeResolver(f)
			values, err := r.Resolve(context.Background(), requests(t, "S", tt.ref))
			if tt.wantCode == "" {
				if err != nil || string(values[0].Value) != canary {
					t.Fatalf("Resolve = %v; want the secret's value", err)
				}
				return
			}
			var errs Errors
			if !errors.As(err, &errs) || len(errs) != 1 || errs[0].Code != tt.wantCode || errs[0].Var != "S" || testHint(errs[0]) == "" {
				t.Fatalf("error = %v, want S failing with %s and a hint", err, tt.wantCode)
			}
			if strings.Contains(err.Error(), canary) || strings.Contains(testHint(errs[0]), canary) {
				t.Errorf("the error or its hint holds the value")
			}
			if gets := f.calls[ref.Region]; len(gets) != 1 {
				t.Errorf("calls = %q, want one GetSecretValue", gets)
			}
		})
	}
}

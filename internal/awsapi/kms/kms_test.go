package kms

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"

	"github.com/valuefrom/valuefrom/internal/awsapi"
	"github.com/valuefrom/valuefrom/internal/testkit/fakeclock"
	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
)

// kmsEnv isolates the test (see isolate), unsets every setting that moves
// KMS's endpoint, then sets env.
func kmsEnv(t *testing.T, env ...string) {
	t.Helper()
	mototest.Isolate(t)
	for _, k := range []string{"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_KMS", "AWS_ENDPOINT_URL_SSM", "AWS_USE_FIPS_ENDPOINT",
		"AWS_USE_DUALSTACK_ENDPOINT", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_PROFILE", "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE"} {
		t.Setenv(k, "") // restored when the test ends
		os.Unsetenv(k)
	}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

// kmsConfig is awsapi.LoadConfig's configuration for a test whose environment
// kmsEnv set.
func kmsConfig(t *testing.T, o awsapi.Options) aws.Config {
	t.Helper()
	cfg, err := awsapi.LoadConfig(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// fromSDK is the SDK client's key metadata as KMS.DescribeKey returns it.
func fromSDK(m *kmstypes.KeyMetadata) KeyMetadata {
	k := KeyMetadata{Arn: aws.ToString(m.Arn), KeyID: aws.ToString(m.KeyId), KeyState: string(m.KeyState),
		KeyManager: string(m.KeyManager), KeySpec: string(m.KeySpec), Origin: string(m.Origin), Enabled: m.Enabled,
		DeletionDate: m.DeletionDate, MultiRegion: aws.ToBool(m.MultiRegion)}
	if m.MultiRegionConfiguration != nil {
		k.MultiRegionKeyType = string(m.MultiRegionConfiguration.MultiRegionKeyType)
	}
	return k
}

// sameKey reports whether a and b say the same of a key.
func sameKey(a, b KeyMetadata) bool {
	if (a.DeletionDate == nil) != (b.DeletionDate == nil) || a.DeletionDate != nil && !a.DeletionDate.Equal(*b.DeletionDate) {
		return false
	}
	a.DeletionDate, b.DeletionDate = nil, nil
	return a == b
}

// TestKMSAgainstMoto: the client reads what the SDK's KMS client reads,
// through the real SDK configuration, and a missing key fails the same
// way for both.
func TestKMSAgainstMoto(t *testing.T) {
	srv := mototest.Start(t)
	sd := srv.Seeder(t, "us-east-1")
	keys := map[string]string{ // key id or alias → the state it must have
		sd.Key(mototest.KeyOptions{Alias: "alias/app"}): "Enabled",
		"alias/app": "Enabled",
		sd.Key(mototest.KeyOptions{Disabled: true}):        "Disabled",
		sd.Key(mototest.KeyOptions{PendingDeletion: true}): "PendingDeletion",
		sd.Key(mototest.KeyOptions{MultiRegion: true}):     "Enabled",
	}
	rotating := sd.Key(mototest.KeyOptions{})

	kmsEnv(t, srv.Env()...)
	cfg := kmsConfig(t, awsapi.Options{})
	ctx := context.Background()
	ours, theirs := New(cfg, "us-east-1"), kms.NewFromConfig(cfg)
	if _, err := theirs.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: aws.String(rotating)}); err != nil {
		t.Fatal(err)
	}

	for id, state := range keys {
		got, err := ours.DescribeKey(ctx, id)
		if err != nil {
			t.Fatalf("DescribeKey(%s): %v", id, err)
		}
		want, err := theirs.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		if !sameKey(got, fromSDK(want.KeyMetadata)) {
			t.Errorf("DescribeKey(%s) = %+v; the SDK's client read %+v", id, got, fromSDK(want.KeyMetadata))
		}
		if got.KeyState != state || !strings.HasPrefix(got.Arn, "arn:aws:kms:us-east-1:") || got.KeyManager != "CUSTOMER" || got.KeySpec != KeySpecSymmetric {
			t.Errorf("DescribeKey(%s) = %+v; want a customer key in state %s", id, got, state)
		}
		if (state == "PendingDeletion") != (got.DeletionDate != nil) {
			t.Errorf("DescribeKey(%s): deletion date %v in state %s", id, got.DeletionDate, state)
		}
	}

	for id, want := range map[string]bool{rotating: true, sd.Key(mototest.KeyOptions{}): false} {
		got, err := ours.GetKeyRotationStatus(ctx, id)
		if err != nil {
			t.Fatalf("GetKeyRotationStatus(%s): %v", id, err)
		}
		sdk, err := theirs.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		if got != want || got != sdk.KeyRotationEnabled {
			t.Errorf("GetKeyRotationStatus(%s) = %v; want %v, as the SDK's client reads (%v)", id, got, want, sdk.KeyRotationEnabled)
		}
	}

	for _, id := range []string{"0b8d5a7e-1b2c-4d5e-8f90-123456789abc", "alias/missing"} {
		_, err := ours.DescribeKey(ctx, id)
		_, sdkErr := theirs.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(id)})
		got, want := awsapi.Classify(err), awsapi.Classify(sdkErr)
		if !got.NotFound || !got.AWS || got.Code != want.Code || got.Message != want.Message || got.HTTPStatus != want.HTTPStatus ||
			got.Attempts != want.Attempts || got.Endpoint != want.Endpoint || (got.RequestID == "") != (want.RequestID == "") {
			t.Errorf("DescribeKey(%s): awsapi.Classify = %+v; want it not found, as the SDK's client: %+v", id, got, want)
		}
		if awsapi.Message(err) != awsapi.Message(sdkErr) {
			t.Errorf("DescribeKey(%s): Message = %q; the SDK's client gives %q", id, awsapi.Message(err), awsapi.Message(sdkErr))
		}
		var oe *smithy.OperationError
		var ce *awsapi.CallError
		if !errors.As(err, &oe) || oe.Service() != "KMS" || oe.Operation() != "DescribeKey" || !errors.As(err, &ce) {
			t.Errorf("DescribeKey(%s): error %v is no KMS DescribeKey OperationError with a awsapi.CallError", id, err)
		}
	}
}

// kmsAnswers serves each request the next of answers (the last one
// again once they run out), counting requests.
func kmsAnswers(t *testing.T, answers ...func(w http.ResponseWriter)) (url string, requests *atomic.Int32) {
	t.Helper()
	requests = new(atomic.Int32)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(requests.Add(1))
		answers[min(n, len(answers))-1](w)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, requests
}

// answer is an answer with status, body and headers (name, value pairs).
func answer(status int, body string, headers ...string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// TestKMSErrorAnswers: every shape of error answer is classified as the
// SDK's clients' errors are, names no part of a body that is not AWS's,
// and is retried only when it may pass.
func TestKMSErrorAnswers(t *testing.T) {
	const reqID = "2f0e1d2c-req"
	tests := []struct {
		name      string
		answer    func(w http.ResponseWriter)
		code      string
		message   string
		aws       bool
		notFound  bool
		denied    bool
		kms       bool
		transient bool
		attempts  int32 // 0: not counted
	}{
		{"__type with a namespace", answer(400, `{"__type":"com.amazonaws.kms#NotFoundException","message":"Key 'x' does not exist"}`, "X-Amzn-RequestId", reqID),
			"NotFoundException", "Key 'x' does not exist", true, true, false, false, false, 1},
		{"__type without a namespace", answer(400, `{"__type":"NotFoundException","message":"Alias 'alias/x' is not found."}`, "X-Amzn-RequestId", reqID),
			"NotFoundException", "Alias 'alias/x' is not found.", true, true, false, false, false, 1},
		{"code in x-amzn-ErrorType", answer(400, `{"Message":"no"}`, "x-amzn-ErrorType", "NotFoundException:http://internal.amazon.com/coral/com.amazonaws.kms/", "X-Amzn-RequestId", reqID),
			"NotFoundException", "no", true, true, false, false, false, 1},
		{"403 AccessDeniedException", answer(403, `{"__type":"AccessDeniedException","Message":"User: arn:aws:sts::1:assumed-role/task is not authorized to perform: kms:DescribeKey"}`, "X-Amzn-RequestId", reqID),
			"AccessDeniedException", "User: arn:aws:sts::1:assumed-role/task is not authorized to perform: kms:DescribeKey", true, false, true, true, false, 1},
		{"KMS invalid state", answer(400, `{"__type":"KMSInvalidStateException","message":"key is disabled"}`, "X-Amzn-RequestId", reqID),
			"KMSInvalidStateException", "key is disabled", true, false, false, true, false, 1},
		{"500 KMSInternalException, every time", answer(500, `{"__type":"KMSInternalException","message":"internal"}`, "X-Amzn-RequestId", reqID),
			"KMSInternalException", "internal", true, false, false, true, true, 3},
		{"throttled, every time", answer(400, `{"__type":"ThrottlingException","message":"Rate exceeded"}`, "X-Amzn-RequestId", reqID),
			"ThrottlingException", "Rate exceeded", true, false, false, false, true, 3},
		{"403 XML from a proxy", answer(403, "<Error><Message>"+canary+"</Message></Error>"),
			awsapi.CodeForbidden, "", false, false, true, false, false, 1},
		{"200 HTML", answer(200, "<html>"+canary+"</html>"),
			awsapi.CodeNotAWS, "", false, false, false, false, false, 1},
		{"200 with no KeyMetadata", answer(200, `{"Truncated":false}`),
			awsapi.CodeNotAWS, "", false, false, false, false, false, 1},
		// KMS as for the SDK's client: the message, the whole chain, names
		// the service. Attempts are not counted: on a loaded machine the
		// first read of so large a body sometimes fails with "use of closed
		// network connection", which is retried, with the SDK's clients too.
		{"200 larger than awsapi.MaxResponseBytes", answer(200, `{"KeyMetadata":{"Description":"`+strings.Repeat(canary, awsapi.MaxResponseBytes/len(canary)+1)+`"}}`),
			awsapi.CodeResponseTooLarge, "", false, false, false, true, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, requests := kmsAnswers(t, tt.answer)
			kmsEnv(t, "AWS_ENDPOINT_URL="+url, "AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test")
			cl := New(fakeclock.RetryAtOnce(kmsConfig(t, awsapi.Options{MaxAttempts: 3})), "us-east-1")
			_, err := cl.DescribeKey(context.Background(), "alias/x")
			if err == nil {
				t.Fatal("DescribeKey succeeded")
			}
			c := awsapi.Classify(err)
			if c.Code != tt.code || c.AWS != tt.aws || c.NotFound != tt.notFound || c.Denied != tt.denied || c.KMS != tt.kms || c.Transient != tt.transient {
				t.Errorf("awsapi.Classify = %+v; want code %s, AWS %v, not found %v, denied %v, KMS %v, transient %v",
					c, tt.code, tt.aws, tt.notFound, tt.denied, tt.kms, tt.transient)
			}
			if tt.aws && (c.Message != tt.message || c.RequestID != reqID || awsapi.Message(err) != tt.message) {
				t.Errorf("message %q, request id %q; want %q, %q", c.Message, c.RequestID, tt.message, reqID)
			}
			if got := requests.Load(); tt.attempts != 0 && (got != tt.attempts || c.Attempts != int(tt.attempts)) {
				t.Errorf("%d requests, %d attempts counted; want %d", got, c.Attempts, tt.attempts)
			}
			for what, s := range map[string]string{"error": err.Error(), "message": c.Message, "cause": awsapi.Cause(err)} {
				if strings.Contains(s, canary) {
					t.Errorf("the body reached the %s", what)
				}
			}
		})
	}
}

// TestKMSRetries: a 500 and then a 200 is one call of two attempts, which
// the configuration's awsapi.Tracker sees.
func TestKMSRetries(t *testing.T) {
	url, requests := kmsAnswers(t,
		answer(500, `{"__type":"KMSInternalException","message":"internal"}`),
		answer(200, `{"KeyRotationEnabled":true}`))
	kmsEnv(t, "AWS_ENDPOINT_URL="+url, "AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test")
	tracker := new(awsapi.Tracker)
	cl := New(fakeclock.RetryAtOnce(kmsConfig(t, awsapi.Options{MaxAttempts: 3, Tracker: tracker})), "us-east-1")
	rotates, err := cl.GetKeyRotationStatus(context.Background(), "1234abcd")
	if err != nil || !rotates {
		t.Fatalf("GetKeyRotationStatus = %v, %v; want true", rotates, err)
	}
	if got := requests.Load(); got != 2 {
		t.Errorf("%d requests; want 2", got)
	}
	if p := tracker.Progress(); p.Attempts != 2 || p.InFlight != 0 || !strings.Contains(p.LastError, "KMSInternalException") {
		t.Errorf("tracker saw %+v; want 2 attempts, none in flight, the 500 as the last error", p)
	}
}

// TestKMSConnectionRefused: a call retried against a closed port until the
// deadline is classified as for the SDK's clients (see
// TestConnectionRefusedAtDeadline).
func TestKMSConnectionRefused(t *testing.T) {
	addr := mototest.Closed(t)
	kmsEnv(t, "AWS_ENDPOINT_URL=http://"+addr, "AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test")
	cl := New(kmsConfig(t, awsapi.Options{MaxAttempts: 100}), "us-east-1")
	// The deadline passes when the second attempt has failed.
	var clock fakeclock.Deadlines
	ctx, cancel := clock.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	var failed atomic.Int32
	ctx = awsapi.OnAttemptFailed(ctx, func(error) {
		if failed.Add(1) == 2 {
			clock.Expire()
		}
	})
	_, err := cl.DescribeKey(ctx, "alias/x")
	c := awsapi.Classify(err)
	if c.Code != awsapi.CodeNetwork || c.Network != awsapi.NetRefused || !c.GaveUp || c.Endpoint != addr || c.Attempts < 2 {
		t.Errorf("awsapi.Classify = %+v; want NetworkError, refused, gave up, at %s, after several attempts", c, addr)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v does not wrap the deadline", err)
	}
}

// TestKMSRequest: the request is KMS's JSON protocol, signed with SigV4 for
// kms in the client's region, and names the application; the answer's
// fields are read.
func TestKMSRequest(t *testing.T) {
	type seen struct {
		req  *http.Request
		body string
	}
	requests := make(chan seen, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		requests <- seen{r, string(body)}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		io.WriteString(w, `{"KeyMetadata":{"AWSAccountId":"123456789012","Arn":"arn:aws:kms:eu-west-1:123456789012:key/mrk-1","KeyId":"mrk-1",`+
			`"KeyState":"PendingDeletion","KeyManager":"CUSTOMER","KeySpec":"SYMMETRIC_DEFAULT","Origin":"AWS_KMS","Enabled":false,`+
			`"DeletionDate":1.7000001235E9,"MultiRegion":true,"MultiRegionConfiguration":{"MultiRegionKeyType":"REPLICA"},"EncryptionAlgorithms":["SYMMETRIC_DEFAULT"]}}`)
	}))
	defer srv.Close()
	kmsEnv(t, "AWS_ENDPOINT_URL="+srv.URL, "AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=AKIDTEST", "AWS_SECRET_ACCESS_KEY=test")
	cfg := kmsConfig(t, awsapi.Options{Version: "v9.9.9"})
	got, err := New(cfg, "eu-west-1").DescribeKey(context.Background(), "alias/app")
	if err != nil {
		t.Fatal(err)
	}
	deletion := time.Date(2023, 11, 14, 22, 15, 23, 500e6, time.UTC)
	want := KeyMetadata{Arn: "arn:aws:kms:eu-west-1:123456789012:key/mrk-1", KeyID: "mrk-1", KeyState: "PendingDeletion",
		KeyManager: "CUSTOMER", KeySpec: "SYMMETRIC_DEFAULT", Origin: "AWS_KMS", DeletionDate: &deletion, MultiRegion: true, MultiRegionKeyType: "REPLICA"}
	if !sameKey(got, want) {
		t.Errorf("DescribeKey = %+v (deletion %v); want %+v (deletion %v)", got, got.DeletionDate, want, deletion)
	}

	s := <-requests
	r := s.req
	var in map[string]string
	if err := json.Unmarshal([]byte(s.body), &in); err != nil || len(in) != 1 || in["KeyId"] != "alias/app" {
		t.Errorf("body %s; want {\"KeyId\":\"alias/app\"}", s.body)
	}
	for k, want := range map[string]string{"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "TrentService.DescribeKey"} {
		if got := r.Header.Get(k); got != want {
			t.Errorf("%s: %q; want %q", k, got, want)
		}
	}
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		t.Errorf("%s %s; want POST /", r.Method, r.URL.Path)
	}
	if ua := r.Header.Get("User-Agent"); !strings.Contains(ua, "app/valuefrom-v9.9.9") || !strings.Contains(ua, "api/kms") {
		t.Errorf("User-Agent %q; want app/valuefrom-v9.9.9 and api/kms in it", ua)
	}
	auth := r.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKIDTEST/") || !strings.Contains(auth, "/eu-west-1/kms/aws4_request") {
		t.Fatalf("Authorization %q; want a SigV4 signature for kms in eu-west-1", auth)
	}
	if resigned := resign(t, r, s.body); resigned != auth {
		t.Errorf("Authorization %q; signing the request as it arrived gives %q", auth, resigned)
	}
}

// resign signs again, with the test's credentials, the headers that r's
// signature names, at the time it names, and returns the Authorization.
func resign(t *testing.T, r *http.Request, body string) string {
	t.Helper()
	when, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		t.Fatal(err)
	}
	_, signed, _ := strings.Cut(r.Header.Get("Authorization"), "SignedHeaders=")
	signed, _, _ = strings.Cut(signed, ",")
	req, err := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range strings.Split(signed, ";") {
		if h != "host" {
			req.Header.Set(h, r.Header.Get(h))
		}
	}
	req.Header.Del("X-Amz-Date") // the signer sets it again
	creds := aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "test"}
	hash := sha256Hex(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hash, "kms", "eu-west-1", when); err != nil {
		t.Fatal(err)
	}
	return req.Header.Get("Authorization")
}

// kmsEndpointOf returns the endpoint and signing region that client sends
// DescribeKey to, or the error it fails with before sending it.
func kmsEndpointOf(t *testing.T, describe func(aws.Config) error, cfg aws.Config) (string, error) {
	t.Helper()
	sent := make(chan string, 1)
	cfg.HTTPClient = clientFunc(func(r *http.Request) (*http.Response, error) {
		_, scope, _ := strings.Cut(r.Header.Get("Authorization"), "Credential=")
		scope, _, _ = strings.Cut(scope, ",")
		sent <- r.URL.Scheme + "://" + r.URL.Host + " " + scope
		return nil, errors.New("not sent")
	})
	cfg.Retryer = func() aws.Retryer { return aws.NopRetryer{} }
	err := describe(cfg)
	select {
	case s := <-sent:
		return s, nil
	default:
		return "", err
	}
}

type clientFunc func(*http.Request) (*http.Response, error)

func (f clientFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

// TestKMSEndpoint: the endpoint and signing region are the SDK client's, in
// every way of choosing them.
func TestKMSEndpoint(t *testing.T) {
	profiles := filepath.Join(t.TempDir(), "config")
	err := os.WriteFile(profiles, []byte("[profile svc]\nservices = local\n\n[services local]\nkms =\n  endpoint_url = http://profile-kms:4566\n"), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		region string
		env    []string
		want   string // endpoint and credential scope; "" for an error
	}{
		{"default", "us-east-1", nil, "https://kms.us-east-1.amazonaws.com AKID/DATE/us-east-1/kms/aws4_request"},
		{"aws-cn", "cn-north-1", nil, "https://kms.cn-north-1.amazonaws.com.cn AKID/DATE/cn-north-1/kms/aws4_request"},
		{"aws-us-gov", "us-gov-west-1", nil, "https://kms.us-gov-west-1.amazonaws.com AKID/DATE/us-gov-west-1/kms/aws4_request"},
		{"aws-eusc", "eusc-de-east-1", nil, "https://kms.eusc-de-east-1.amazonaws.eu AKID/DATE/eusc-de-east-1/kms/aws4_request"},
		{"FIPS", "us-east-1", []string{"AWS_USE_FIPS_ENDPOINT=true"}, "https://kms-fips.us-east-1.amazonaws.com AKID/DATE/us-east-1/kms/aws4_request"},
		{"FIPS in aws-cn", "cn-north-1", []string{"AWS_USE_FIPS_ENDPOINT=true"}, "https://kms-fips.cn-north-1.amazonaws.com.cn AKID/DATE/cn-north-1/kms/aws4_request"},
		{"fips- region", "fips-us-gov-west-1", nil, "https://kms-fips.us-gov-west-1.amazonaws.com AKID/DATE/us-gov-west-1/kms/aws4_request"},
		{"-fips region", "us-east-1-fips", nil, "https://kms-fips.us-east-1.amazonaws.com AKID/DATE/us-east-1/kms/aws4_request"},
		{"dual-stack", "eu-west-1", []string{"AWS_USE_DUALSTACK_ENDPOINT=true"}, "https://kms.eu-west-1.api.aws AKID/DATE/eu-west-1/kms/aws4_request"},
		{"dual-stack in aws-cn", "cn-northwest-1", []string{"AWS_USE_DUALSTACK_ENDPOINT=true"}, "https://kms.cn-northwest-1.api.amazonwebservices.com.cn AKID/DATE/cn-northwest-1/kms/aws4_request"},
		{"FIPS and dual-stack", "us-west-2", []string{"AWS_USE_FIPS_ENDPOINT=true", "AWS_USE_DUALSTACK_ENDPOINT=true"}, "https://kms-fips.us-west-2.api.aws AKID/DATE/us-west-2/kms/aws4_request"},
		{"base endpoint", "us-east-1", []string{"AWS_ENDPOINT_URL=http://base:4566"}, "http://base:4566 AKID/DATE/us-east-1/kms/aws4_request"},
		{"KMS's own endpoint first", "us-east-1", []string{"AWS_ENDPOINT_URL=http://base:4566", "AWS_ENDPOINT_URL_KMS=http://kms:4566"}, "http://kms:4566 AKID/DATE/us-east-1/kms/aws4_request"},
		{"another service's endpoint", "us-east-1", []string{"AWS_ENDPOINT_URL_SSM=http://ssm:4566"}, "https://kms.us-east-1.amazonaws.com AKID/DATE/us-east-1/kms/aws4_request"},
		{"profile's services section", "us-east-1", []string{"AWS_CONFIG_FILE=" + profiles, "AWS_PROFILE=svc"}, "http://profile-kms:4566 AKID/DATE/us-east-1/kms/aws4_request"},
		{"AWS_ENDPOINT_URL over a profile's section", "us-east-1", []string{"AWS_CONFIG_FILE=" + profiles, "AWS_PROFILE=svc", "AWS_ENDPOINT_URL=http://base:4566"}, "http://base:4566 AKID/DATE/us-east-1/kms/aws4_request"},
		{"configured endpoints ignored", "us-east-1", []string{"AWS_ENDPOINT_URL_KMS=http://kms:4566", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true"}, "https://kms.us-east-1.amazonaws.com AKID/DATE/us-east-1/kms/aws4_request"},
		{"FIPS and an endpoint", "us-east-1", []string{"AWS_ENDPOINT_URL_KMS=http://kms:4566", "AWS_USE_FIPS_ENDPOINT=true"}, ""},
		{"no region", "", nil, ""},
		{"no region name", "us_east 1", nil, ""},
	}
	date := time.Now().UTC().Format("20060102")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kmsEnv(t, append([]string{"AWS_ACCESS_KEY_ID=AKID", "AWS_SECRET_ACCESS_KEY=test"}, tt.env...)...)
			cfg, err := config.LoadDefaultConfig(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			got, err := kmsEndpointOf(t, func(cfg aws.Config) error {
				_, err := New(cfg, tt.region).DescribeKey(context.Background(), "alias/x")
				return err
			}, cfg)
			sdk, sdkErr := kmsEndpointOf(t, func(cfg aws.Config) error {
				_, err := kms.NewFromConfig(cfg, func(o *kms.Options) { o.Region = tt.region }).DescribeKey(context.Background(), &kms.DescribeKeyInput{KeyId: aws.String("alias/x")})
				return err
			}, cfg)
			want := strings.Replace(tt.want, "DATE", date, 1)
			// The SDK's client signs for a region named with a fips marker
			// as it is named, which AWS refuses; this client signs for the
			// region itself.
			sdkScopeDiffers := strings.Contains(tt.region, "fips")
			endpoint, _, _ := strings.Cut(got, " ")
			sdkEndpoint, _, _ := strings.Cut(sdk, " ")
			if got != want || endpoint != sdkEndpoint || got != sdk && !sdkScopeDiffers {
				t.Errorf("sent to %q (err %v); want %q, as the SDK's client (%q, err %v)", got, err, want, sdk, sdkErr)
			}
			if want == "" && (err == nil || sdkErr == nil) {
				t.Errorf("error %v; want one, as the SDK's client's: %v", err, sdkErr)
			}
		})
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// canary stands for a secret value: it must reach no message.
const canary = "canary-kms-7c2e"

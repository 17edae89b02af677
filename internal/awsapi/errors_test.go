package awsapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/valuefrom/valuefrom/internal/testkit/fakeclock"
)

// answered wraps err in the response error the SDK returns when AWS
// answered with status.
func answered(status int, err error) error {
	return &smithy.OperationError{ServiceID: "Secrets Manager", OperationName: "GetSecretValue", Err: &awshttp.ResponseError{
		RequestID: "req-1",
		ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
			Err:      err,
		},
	}}
}

func apiError(code, msg string) error { return &smithy.GenericAPIError{Code: code, Message: msg} }

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want Class
	}{
		{"access denied", answered(400, apiError("AccessDeniedException", "not authorized to perform: secretsmanager:GetSecretValue")),
			Class{Code: "AccessDeniedException", AWS: true, Message: "not authorized to perform: secretsmanager:GetSecretValue",
				RequestID: "req-1", HTTPStatus: 400, Denied: true, PerName: true}},
		{"access denied by KMS", answered(400, apiError("AccessDeniedException", "not authorized to perform: kms:Decrypt")),
			Class{Code: "AccessDeniedException", AWS: true, Message: "not authorized to perform: kms:Decrypt",
				RequestID: "req-1", HTTPStatus: 400, Denied: true, KMS: true, PerName: true}},
		{"decryption failure", answered(400, apiError("DecryptionFailure", "cannot decrypt")),
			Class{Code: "DecryptionFailure", AWS: true, Message: "cannot decrypt", RequestID: "req-1", HTTPStatus: 400, KMS: true, PerName: true}},
		{"KMS key state", answered(400, apiError("KMSInvalidStateException", "pending deletion")),
			Class{Code: "KMSInvalidStateException", AWS: true, Message: "pending deletion", RequestID: "req-1", HTTPStatus: 400, KMS: true, PerName: true}},
		{"secret not found", answered(400, apiError("ResourceNotFoundException", "no such secret")),
			Class{Code: "ResourceNotFoundException", AWS: true, Message: "no such secret", RequestID: "req-1", HTTPStatus: 400, NotFound: true, PerName: true}},
		{"parameter not found", answered(400, apiError("ParameterNotFound", "")),
			Class{Code: "ParameterNotFound", AWS: true, RequestID: "req-1", HTTPStatus: 400, NotFound: true, PerName: true}},
		{"throttled", answered(400, apiError("ThrottlingException", "Rate exceeded")),
			Class{Code: "ThrottlingException", AWS: true, Message: "Rate exceeded", RequestID: "req-1", HTTPStatus: 400, Transient: true}},
		{"too many requests", answered(400, apiError("TooManyRequestsException", "slow down")),
			Class{Code: "TooManyRequestsException", AWS: true, Message: "slow down", RequestID: "req-1", HTTPStatus: 400, Transient: true, PerName: true}},
		{"server fault without a status", &smithy.GenericAPIError{Code: "InternalServiceError", Message: "oops", Fault: smithy.FaultServer},
			Class{Code: "InternalServiceError", AWS: true, Message: "oops", Transient: true, PerName: true}},
		{"503", answered(503, apiError("ServiceUnavailable", "down")),
			Class{Code: "ServiceUnavailable", AWS: true, Message: "down", RequestID: "req-1", HTTPStatus: 503, Transient: true, PerName: true}},
		{"500 without a code", answered(500, errors.New("boom")),
			Class{Code: CodeNetwork, Message: "operation error Secrets Manager: GetSecretValue, https response error StatusCode: 500, RequestID: req-1, boom",
				RequestID: "req-1", HTTPStatus: 500, Transient: true}},
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED},
			Class{Code: CodeNetwork, Message: "dial tcp: connection refused", Transient: true, Network: NetRefused}},
		{"deadline", fmt.Errorf("operation error: %w", context.DeadlineExceeded),
			Class{Code: CodeTimeout, Message: "operation error: context deadline exceeded", Transient: true}},
		{"canceled", fmt.Errorf("operation error: %w", context.Canceled),
			Class{Code: CodeCanceled, Message: "operation error: context canceled"}},
		{"answer too large", &smithy.DeserializationError{Err: fmt.Errorf("failed to decode response body, %w", ErrResponseTooLarge)},
			Class{Code: CodeResponseTooLarge, Message: "deserialization failed, failed to decode response body, " + ErrResponseTooLarge.Error()}},
		{"another secret's ARN", fmt.Errorf("%w: asked for a, answered with b", ErrARNMismatch),
			Class{Code: CodeARNMismatch, Message: ErrARNMismatch.Error() + ": asked for a, answered with b"}},
		{"nil", nil, Class{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.err); got != tt.want {
				t.Errorf("Classify =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

// TestClassifyNoCredentials classifies the error the SDK really returns
// when it finds no credentials anywhere.
func TestClassifyNoCredentials(t *testing.T) {
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"} {
		t.Setenv(k, "")
	}
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", dir+"/config")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", dir+"/credentials")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	var called atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called.Store(true) }))
	defer srv.Close()

	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("us-east-1"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(srv.URL) }).
		GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String("db")})
	if err == nil || called.Load() {
		t.Fatalf("GetSecretValue without credentials: error %v, request sent %v; want an error before any request", err, called.Load())
	}
	c := Classify(err)
	if c.Code != CodeCredentials || c.Transient || c.PerName || c.AWS {
		t.Errorf("Classify(%q) = %+v, want code %s, not transient, not per name", err, c, CodeCredentials)
	}
}

// TestClassifySDKAnswers classifies what the SDK makes of AWS's answers,
// through a real client against an HTTP server.
func TestClassifySDKAnswers(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   Class
	}{
		{"denied", 400, `{"__type":"AccessDeniedException","message":"not authorized"}`,
			Class{Code: "AccessDeniedException", AWS: true, Message: "not authorized", RequestID: "req-42", HTTPStatus: 400, Denied: true, PerName: true}},
		{"throttled", 400, `{"__type":"ThrottlingException","message":"Rate exceeded"}`,
			Class{Code: "ThrottlingException", AWS: true, Message: "Rate exceeded", RequestID: "req-42", HTTPStatus: 400, Transient: true}},
		{"not found", 400, `{"__type":"ResourceNotFoundException","message":"no"}`,
			Class{Code: "ResourceNotFoundException", AWS: true, Message: "no", RequestID: "req-42", HTTPStatus: 400, NotFound: true, PerName: true}},
		{"KMS", 400, `{"__type":"DecryptionFailure","message":"KMS says no"}`,
			Class{Code: "DecryptionFailure", AWS: true, Message: "KMS says no", RequestID: "req-42", HTTPStatus: 400, KMS: true, PerName: true}},
		{"server error", 500, `{"__type":"InternalServiceError","message":"oops"}`,
			Class{Code: "InternalServiceError", AWS: true, Message: "oops", RequestID: "req-42", HTTPStatus: 500, Transient: true, PerName: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/x-amz-json-1.1")
				w.Header().Set("X-Amzn-Requestid", "req-42")
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			_, err := newTestClient(srv.URL).GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String("db")})
			if got := Classify(err); got != tt.want {
				t.Errorf("Classify(%v) =\n%+v\nwant\n%+v", err, got, tt.want)
			}
		})
	}

	t.Run("connection refused", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		_, err := newTestClient(url).GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String("db")})
		c := Classify(err)
		if c.Code != CodeNetwork || !c.Transient || c.PerName || c.HTTPStatus != 0 {
			t.Errorf("Classify(%v) = %+v, want %s, transient, not per name, no status", err, c, CodeNetwork)
		}
	})
}

// newTestClient is a Secrets Manager client for url that makes one
// attempt per call.
func newTestClient(url string) *secretsmanager.Client {
	return secretsmanager.NewFromConfig(aws.Config{
		Region:       "us-east-1",
		Credentials:  aws.AnonymousCredentials{},
		BaseEndpoint: aws.String(url),
		Retryer:      func() aws.Retryer { return NewRetryer(1) },
	})
}

func TestClassOf(t *testing.T) {
	tests := []struct {
		name string
		code string
		err  error
		want Class
	}{
		{"invalid parameter", CodeNotFound, errors.New("GetParameters listed /a among InvalidParameters"),
			Class{Code: CodeNotFound, Message: "GetParameters listed /a among InvalidParameters", NotFound: true}},
		{"JSON key", CodeJSONKey, nil, Class{Code: CodeJSONKey}},
		{"AWS's own code", "AccessDeniedException", answered(400, apiError("AccessDeniedException", "Access to KMS is not allowed")),
			Class{Code: "AccessDeniedException", AWS: true, Message: "Access to KMS is not allowed", RequestID: "req-1", HTTPStatus: 400,
				Denied: true, KMS: true, PerName: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ClassOf(tt.code, tt.err); got != tt.want {
				t.Errorf("ClassOf(%s, %v) =\n%+v\nwant\n%+v", tt.code, tt.err, got, tt.want)
			}
		})
	}
}

func TestMessage(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"AWS's message", answered(400, apiError("AccessDeniedException", "not authorized")), "not authorized"},
		{"AWS gave none", answered(400, apiError("ParameterNotFound", "")),
			"operation error Secrets Manager: GetSecretValue, https response error StatusCode: 400, RequestID: req-1, api error ParameterNotFound: "},
		{"not AWS's", fmt.Errorf("dial: %w", syscall.ECONNREFUSED), "dial: connection refused"},
	}
	for _, tt := range tests {
		if got := Message(tt.err); got != tt.want {
			t.Errorf("%s: Message = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestFailOver: which failures another region may answer instead, after
// the retries (FailOver) and at once (RegionFailing: never for throttling).
func TestFailOver(t *testing.T) {
	tests := []struct {
		name          string
		err           error
		failOver      bool
		regionFailing bool
	}{
		{"503", answered(503, &smithy.GenericAPIError{Code: "ServiceUnavailable", Fault: smithy.FaultServer}), true, true},
		{"throttled past the retries", answered(400, apiError("ThrottlingException", "Rate exceeded")), true, false},
		{"too many requests", answered(400, apiError("TooManyRequestsException", "slow down")), true, false},
		{"connection reset", &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}, true, true},
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, true, true},
		{"timeout", context.DeadlineExceeded, true, true},
		{"not found", answered(400, apiError("ResourceNotFoundException", "no such secret")), false, false},
		{"parameter not found", apiError("ParameterNotFound", ""), false, false},
		{"missing version", answered(400, apiError("ParameterVersionNotFound", "")), false, false},
		{"denied", answered(400, apiError("AccessDeniedException", "not authorized")), false, false},
		{"KMS disabled", answered(400, apiError("KMSInvalidStateException", "is disabled")), false, false},
		{"scheduled for deletion", answered(400, apiError("InvalidRequestException", "marked for deletion")), false, false},
		{"ARN mismatch", fmt.Errorf("%w: asked for x", ErrARNMismatch), false, false},
		{"canceled", context.Canceled, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Classify(tt.err)
			if got := c.FailOver(); got != tt.failOver {
				t.Errorf("Classify(%v).FailOver() = %v, want %v (Definitive %v)", tt.err, got, tt.failOver, c.Definitive())
			}
			if got := c.RegionFailing(); got != tt.regionFailing {
				t.Errorf("Classify(%v).RegionFailing() = %v, want %v", tt.err, got, tt.regionFailing)
			}
		})
	}
	for _, code := range []string{CodeJSONKey, CodeNotJSONObject, CodeNotFound} {
		if c := ClassOf(code, nil); !c.Definitive() {
			t.Errorf("ClassOf(%s).Definitive() = false, want true", code)
		}
	}
}

// TestAttemptFailedHook: a call made with LoadConfig's configuration
// reports each failed attempt to the context's hook, while it retries.
func TestAttemptFailedHook(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) < 3 {
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(503)
			io.WriteString(w, `{"__type":"ServiceUnavailable","message":"down"}`)
			return
		}
		io.WriteString(w, `{"Name":"s","SecretString":"v"}`)
	}))
	defer srv.Close()
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	cfg, err := LoadConfig(context.Background(), Options{Region: "us-east-1", MaxAttempts: 5})
	if err != nil {
		t.Fatal(err)
	}
	cfg = fakeclock.RetryAtOnce(cfg)
	cfg.BaseEndpoint = aws.String(srv.URL)
	var failed []string
	ctx := OnAttemptFailed(context.Background(), func(err error) { failed = append(failed, Classify(err).Code) })
	sm := secretsmanager.NewFromConfig(cfg)
	if _, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("s")}); err != nil {
		t.Fatalf("GetSecretValue: %v", err)
	}
	if len(failed) != 2 || failed[0] != "ServiceUnavailable" {
		t.Errorf("the hook saw %q, want two ServiceUnavailable attempts", failed)
	}
}

// TestActionDenied: AWS refusing the action, not a KMS key's policy, not
// a 403 that is not from AWS, not another failure.
func TestActionDenied(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		want bool
	}{
		{"IAM denial", answered(400, apiError("AccessDeniedException", "not authorized to perform: secretsmanager:BatchGetSecretValue")), true},
		{"KMS key policy", answered(400, apiError("AccessDeniedException", "Access to KMS is not allowed")), false},
		{"403 not from AWS", answered(403, &smithy.GenericAPIError{Code: "", Message: "<html>Forbidden</html>"}), false},
		{"throttled", answered(400, apiError("ThrottlingException", "Rate exceeded")), false},
		{"not found", answered(400, apiError("ResourceNotFoundException", "no such secret")), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.err).ActionDenied(); got != tt.want {
				t.Errorf("Classify(%v).ActionDenied() = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

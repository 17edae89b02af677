package resolver

import (
	"context"
	"errors"
	"net"
	"net/http"
	"syscall"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

func TestTransient(t *testing.T) {
	withStatus := func(status int, err error) error {
		return &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: err}}
	}
	api := func(code string) error { return &smithy.GenericAPIError{Code: code, Message: "m"} }
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"503", withStatus(503, api("ServiceUnavailable")), true},
		{"500 without code", withStatus(500, errors.New("boom")), true},
		{"throttled", withStatus(400, api("ThrottlingException")), true},
		{"timeout", context.DeadlineExceeded, true},
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, true},
		{"no credentials", errors.New("failed to retrieve credentials"), false},
		{"access denied", withStatus(400, api("AccessDeniedException")), false},
		{"not found", withStatus(400, api("ResourceNotFoundException")), false},
		{"KMS", withStatus(400, api("DecryptionFailure")), false},
		{"parameter not found", withStatus(400, api("ParameterNotFound")), false},
		{"canceled", context.Canceled, false},
	}
	for _, tt := range tests {
		if got := Transient(tt.err); got != tt.want {
			t.Errorf("%s: Transient = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestRegionOf(t *testing.T) {
	tests := []struct{ id, want string }{
		{"app/db", "us-east-1"},
		{"arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/db-AbCdEf", "eu-west-1"},
		{"arn:aws:ssm:ap-south-1:123456789012:parameter/app/url", "ap-south-1"},
		{"/app/url", "us-east-1"},
	}
	for _, tt := range tests {
		if got := regionOf(tt.id, "us-east-1"); got != tt.want {
			t.Errorf("regionOf(%q) = %q, want %q", tt.id, got, tt.want)
		}
	}
}

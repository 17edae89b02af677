package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"syscall"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/valuefrom/valuefrom/internal/awsapi"
)

// TestAWSError pins the agent's answer for each kind of failed fetch.
func TestAWSError(t *testing.T) {
	answered := func(status int, err error) error {
		return &smithy.OperationError{ServiceID: "Secrets Manager", OperationName: "GetSecretValue", Err: &awshttp.ResponseError{
			RequestID: "req-1",
			ResponseError: &smithyhttp.ResponseError{
				Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
				Err:      err,
			},
		}}
	}
	tests := []struct {
		name   string
		err    error
		status int
		body   string
	}{
		{"AWS's status and code", answered(403, &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "denied"}),
			403, `{"__type":"AccessDeniedException","message":"denied"}`},
		{"AWS's code without a message", answered(400, &smithy.GenericAPIError{Code: "ParameterNotFound"}),
			400, `{"__type":"ParameterNotFound"}`},
		{"AWS's code without a status", &smithy.GenericAPIError{Code: "ThrottlingException", Message: "slow"},
			400, `{"__type":"ThrottlingException","message":"slow"}`},
		{"timeout", fmt.Errorf("operation error: %w", context.DeadlineExceeded),
			504, `{"__type":"TimeoutError","message":"Timeout"}`},
		{"answer without a code", answered(500, errors.New("bad gateway")),
			502, `{"__type":"ConnectionError","message":"Response Error"}`},
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED},
			504, `{"__type":"ConnectionError","message":"Read Error"}`},
		{"answer too large", fmt.Errorf("GetSecretValue: %w", awsapi.ErrResponseTooLarge),
			502, `{"__type":"ResponseTooLarge","message":"the answer was larger than any secret or parameter can be"}`},
		{"answer for another ARN", fmt.Errorf("GetSecretValue: %w", awsapi.ErrARNMismatch),
			502, `{"__type":"ARNMismatch","message":"the answer was for another account, region or secret than the ARN names"}`},
		{"canceled", fmt.Errorf("operation error: %w", context.Canceled),
			500, `{"__type":"InternalFailure"}`},
		{"anything else", errors.New("no region"),
			500, `{"__type":"InternalFailure"}`},
	}
	for _, tt := range tests {
		he := awsError(tt.err)
		if he.status != tt.status || he.body != tt.body || !he.json {
			t.Errorf("%s: awsError = %d %s (json %v), want %d %s", tt.name, he.status, he.body, he.json, tt.status, tt.body)
		}
	}
}

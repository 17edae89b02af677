package awsapi

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// Error codes of valuefrom's own, for failures that are not AWS errors.
const (
	CodeSyntax           = "MalformedReference" // a value starts like a reference but does not parse
	CodeNotFound         = "NotFound"           // GetParameters listed the name as invalid
	CodeJSONKey          = "JSONKeyNotFound"    // the key is not in the secret's JSON object
	CodeNotJSONObject    = "NotJSONObject"      // a JSON key was asked of a value that is no JSON object
	CodeBinary           = "BinaryValue"        // binary bytes cannot go in the environment
	CodeTimeout          = "Timeout"            // the deadline passed
	CodeCanceled         = "Canceled"           // interrupted by a signal
	CodeNetwork          = "NetworkError"       // AWS could not be reached
	CodeCredentials      = "NoCredentials"      // no credentials could be found
	CodeNoRegion         = "NoRegion"           // a short form needs a default region
	CodeInternal         = "UnexpectedAnswer"   // AWS's answer did not hold what was asked
	CodeResponseTooLarge = "ResponseTooLarge"   // the answer was larger than MaxResponseBytes
	CodeARNMismatch      = "ARNMismatch"        // the answer's ARN is not the one the reference names
)

// ErrARNMismatch says AWS answered a request by ARN with another secret or
// parameter: one whose ARN names another partition, region, account or
// name. An endpoint that matches a name alone does that, and serving its
// answer would hand over the caller's own secret of that name.
var ErrARNMismatch = errors.New("the answer's ARN is not the one asked for")

// A Class is what an error from an AWS call means to valuefrom.
type Class struct {
	// Code is AWS's error code, or one of valuefrom's own codes above.
	Code string
	// AWS says AWS answered with an error: Code and Message are its own.
	AWS bool
	// Message is AWS's message when AWS answered (it may be empty), and
	// the whole error chain otherwise.
	Message    string
	RequestID  string // AWS's request id, when AWS answered
	HTTPStatus int    // the status of AWS's answer; 0 when none came

	// Transient says the failure may pass by itself: a timeout, a
	// connection failure, throttling once the retries ran out, or a 5xx
	// answer. Denials, missing secrets and KMS failures are not transient.
	Transient bool
	// Denied says IAM refused the call.
	Denied bool
	// NotFound says the secret or parameter does not exist.
	NotFound bool
	// KMS says the KMS key that protects the value is at fault: its state,
	// a decryption failure, or a denial that names KMS.
	KMS bool
	// PerName says one name in a batched call can cause the failure (a
	// denial or a KMS key on one parameter), so that asking for each name
	// on its own finds the ones at fault. Timeouts, connection failures,
	// missing credentials and throttling fail every name alike.
	PerName bool
}

// Classify says what err, returned by an AWS call, means. A timeout or a
// cancellation takes precedence over the AWS error it interrupted.
func Classify(err error) Class {
	if err == nil {
		return Class{}
	}
	c := Class{Message: err.Error(), Transient: transient(err)}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		c.RequestID, c.HTTPStatus = re.ServiceRequestID(), re.HTTPStatusCode()
	}
	var api smithy.APIError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		c.Code = CodeTimeout
	case errors.Is(err, context.Canceled):
		c.Code = CodeCanceled
	case errors.Is(err, ErrResponseTooLarge):
		c.Code = CodeResponseTooLarge
	case errors.Is(err, ErrARNMismatch):
		c.Code = CodeARNMismatch
	case errors.As(err, &api):
		c.Code, c.Message, c.AWS = api.ErrorCode(), api.ErrorMessage(), true
	case noCredentials(err):
		c.Code = CodeCredentials
	default:
		c.Code = CodeNetwork
	}
	return c.derive()
}

// ClassOf is the class of a failure with the given code, AWS's or one of
// valuefrom's own (such as CodeNotFound for a name GetParameters listed as
// invalid), and err, the error that came with it, which may be nil.
func ClassOf(code string, err error) Class {
	c := Classify(err)
	if code != c.Code {
		c.Code, c.AWS = code, false
	}
	return c.derive()
}

// Message is the most useful text of err for an operator: AWS's message
// when it gave one, else the whole error chain.
func Message(err error) string {
	if c := Classify(err); c.Message != "" {
		return c.Message
	}
	return err.Error()
}

// derive sets the predicates that follow from the code and the message.
func (c Class) derive() Class {
	c.Denied = slices.Contains(deniedCodes, c.Code)
	c.NotFound = slices.Contains(notFoundCodes, c.Code)
	c.KMS = strings.HasPrefix(c.Code, "KMS") || c.Code == "DecryptionFailure" || c.Code == "InvalidKeyId" ||
		strings.Contains(c.Message, "KMS") || strings.Contains(c.Message, "kms:")
	c.PerName = c.AWS && !throttled(c.Code)
	return c
}

var (
	deniedCodes   = []string{"AccessDeniedException", "AccessDenied", "UnauthorizedOperation", "UnauthorizedException"}
	notFoundCodes = []string{"ResourceNotFoundException", "ParameterNotFound", "NotFoundException", CodeNotFound}
)

func throttled(code string) bool { return strings.Contains(code, "Throttl") }

// transient reports whether err may pass by itself; see Class.Transient.
func transient(err error) bool {
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() >= 500 {
		return true
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		code := api.ErrorCode()
		return throttled(code) || code == "TooManyRequestsException" ||
			code == "RequestLimitExceeded" || api.ErrorFault() == smithy.FaultServer
	}
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne)
}

// noCredentials reports whether err says the SDK found no credentials.
// The SDK has no error type for it, only these words: the credentials
// cache's, and the signer's.
func noCredentials(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "failed to refresh cached credentials") ||
		strings.Contains(msg, "failed to retrieve credentials")
}

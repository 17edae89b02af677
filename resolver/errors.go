package resolver

import (
	"github.com/valuefrom/valuefrom/resolver/reference"

	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// An Error says why one variable's reference could not be resolved. It
// names the variable and the reference, never the value.
type Error struct {
	Var       string // the environment variable
	Ref       reference.Ref
	Code      string // the AWS error code, or one of valuefrom's own
	RequestID string // the AWS request id, when AWS answered
	Hint      string // what to do about it
	Err       error
}

// Error codes of valuefrom's own, for failures that are not AWS errors.
const (
	CodeSyntax        = "MalformedReference" // a value starts like a reference but does not parse
	CodeNotFound      = "NotFound"           // GetParameters listed the name as invalid
	CodeJSONKey       = "JSONKeyNotFound"    // the key is not in the secret's JSON object
	CodeNotJSONObject = "NotJSONObject"      // a JSON key was asked of a value that is no JSON object
	CodeBinary        = "BinaryValue"        // binary bytes cannot go in the environment
	CodeTimeout       = "Timeout"            // VALUEFROM_TIMEOUT passed
	CodeCanceled      = "Canceled"           // interrupted by a signal
	CodeNetwork       = "NetworkError"       // AWS could not be reached
	CodeCredentials   = "NoCredentials"      // no credentials could be found
	CodeNoRegion      = "NoRegion"           // a short form needs a default region
	CodeInternal      = "UnexpectedAnswer"   // AWS's answer did not hold what was asked

	// codeOtherAccount marks an answer by name that came from another
	// account than the reference's ARN names; the ARN is asked next.
	codeOtherAccount = "OtherAccount"
)

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s: %s", e.Var, e.Ref, e.Code)
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request id %s)", e.RequestID)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %s", message(e.Err))
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Errors is every variable that failed, in the order of the requests.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

func (es Errors) Unwrap() []error {
	errs := make([]error, len(es))
	for i, e := range es {
		errs[i] = e
	}
	return errs
}

// fetchError is a failed fetch, before it is attributed to variables.
type fetchError struct {
	code, requestID string
	err             error
}

// classify turns an error from the SDK into a code and request id.
func classify(err error) *fetchError {
	fe := &fetchError{err: err}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		fe.requestID = re.ServiceRequestID()
	}
	var api smithy.APIError
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		fe.code = CodeTimeout
	case errors.Is(err, context.Canceled):
		fe.code = CodeCanceled
	case errors.As(err, &api):
		fe.code = api.ErrorCode()
	case strings.Contains(err.Error(), "failed to retrieve credentials"),
		strings.Contains(err.Error(), "failed to refresh cached credentials"):
		fe.code = CodeCredentials
	case errors.As(err, &ne):
		fe.code = CodeNetwork
	default:
		fe.code = CodeNetwork
	}
	return fe
}

// message is the most useful part of err for an operator: the AWS error's
// own message when there is one, else the whole chain.
func message(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorMessage() != "" {
		return api.ErrorMessage()
	}
	return err.Error()
}

// hint says what an operator can do about an error. arn is the ARN of the
// secret or parameter, as IAM would name it.
func hint(e *Error, arn string) string {
	msg := ""
	if e.Err != nil {
		msg = message(e.Err)
	}
	region := e.Ref.Region
	kms := strings.Contains(msg, "kms:") || strings.Contains(msg, "KMS") || strings.HasPrefix(e.Code, "KMS")
	switch e.Code {
	case "AccessDeniedException", "AccessDenied", "UnauthorizedOperation":
		if kms {
			return "the task role needs kms:Decrypt on the customer-managed KMS key that encrypts " + arn +
				" (with kms:ViaService " + string(e.Ref.Service) + "." + region + ".amazonaws.com), and the key policy must allow it"
		}
		if e.Ref.Service == reference.SecretsManager {
			return "the task role (not the execution role) needs secretsmanager:GetSecretValue on " + arn
		}
		return "the task role (not the execution role) needs ssm:GetParameters on " + arn
	case "DecryptionFailure", "KMSDisabledException", "KMSInvalidStateException", "KMSNotFoundException",
		"KMSAccessDeniedException", "InvalidKeyId", "KMSInvalidKeyUsageException", "KMSKeyNotAccessibleException":
		return "the KMS key that encrypts " + arn + " cannot decrypt it: if the key is disabled or pending deletion, " +
			"new tasks cannot start until it is enabled again (aws kms enable-key, or cancel-key-deletion); " +
			"otherwise check the role has kms:Decrypt on the key. Running `valuefrom check` names the key and its state"
	case "ResourceNotFoundException", "ParameterNotFound", CodeNotFound:
		what := "secret"
		if e.Ref.Service == reference.SSM {
			what = "parameter"
		}
		if e.Ref.Selector != "" || e.Ref.VersionID != "" || e.Ref.VersionStage != "" {
			return "check that the " + what + " exists in " + region + " with that version, stage or label; names are case-sensitive"
		}
		return "check the " + what + " name and the region: looked in " + region + "; names are case-sensitive"
	case "ParameterVersionNotFound", "ParameterVersionLabelLimitExceeded":
		return "the parameter exists but not that version or label: list them with aws ssm get-parameter-history --name " + e.Ref.Name
	case "InvalidRequestException":
		if e.Ref.Service == reference.SecretsManager {
			return "the secret may be scheduled for deletion (aws secretsmanager restore-secret --secret-id " + e.Ref.ID() + ") or have no such version"
		}
	case "ThrottlingException", "TooManyUpdates", "ThrottledException":
		return "AWS kept throttling after every retry: raise VALUEFROM_MAX_ATTEMPTS or VALUEFROM_TIMEOUT, or start fewer tasks at once"
	case CodeTimeout:
		return "no answer within VALUEFROM_TIMEOUT: check the network path to " + string(e.Ref.Service) + "." + region +
			".amazonaws.com (NAT gateway or VPC endpoint, security groups), or raise VALUEFROM_TIMEOUT"
	case CodeNetwork:
		return "could not reach " + string(e.Ref.Service) + "." + region + ".amazonaws.com: check DNS, the NAT gateway or VPC endpoint, and security groups"
	case CodeCredentials:
		return "no AWS credentials found: on ECS give the task a task role; elsewhere set AWS_PROFILE or AWS_ACCESS_KEY_ID"
	case "UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException":
		return "the AWS credentials are not valid here: check they are current and belong to this partition"
	case CodeJSONKey:
		return "the key is case-sensitive and must be a top-level key of the secret's JSON object"
	case CodeNotJSONObject:
		return "a JSON key can only select from a secret whose value is a JSON object; drop the key to use the whole value"
	case CodeBinary:
		return "name the variable with a _FILE suffix to have the bytes written to a file instead"
	case CodeNoRegion:
		return "set AWS_REGION, or use a full ARN, which carries its region"
	}
	if kms {
		return "a KMS error: check the key that encrypts " + arn + " is enabled and the task role has kms:Decrypt on it"
	}
	return ""
}

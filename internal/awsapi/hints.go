package awsapi

import (
	"strings"

	"github.com/valuefrom/valuefrom/resolver/reference"
)

// Hint says what an operator can do about a failure of class c on ref,
// asked in region; arn is the ARN of the secret or parameter as IAM would
// name it. It returns "" when there is nothing useful to say.
//
// Hints may name valuefrom's settings and subcommands: they are for the
// operator of the command, not for the resolver's callers.
func Hint(c Class, ref reference.Ref, region, arn string) string {
	switch {
	case c.Denied && c.KMS:
		return "the task role needs kms:Decrypt on the customer-managed KMS key that encrypts " + arn +
			" (with kms:ViaService " + Endpoint(ref.Service, region) + "), and the key policy must allow it"
	case c.Denied && ref.Service == reference.SecretsManager:
		return "the task role (not the execution role) needs secretsmanager:GetSecretValue on " + arn
	case c.Denied:
		return "the task role (not the execution role) needs ssm:GetParameters on " + arn
	case c.NotFound:
		what := "secret"
		if ref.Service == reference.SSM {
			what = "parameter"
		}
		if ref.Selector != "" || ref.VersionID != "" || ref.VersionStage != "" {
			return "check that the " + what + " exists in " + region + " with that version, stage or label; names are case-sensitive"
		}
		return "check the " + what + " name and the region: looked in " + region + "; names are case-sensitive" + slashHint(ref)
	}
	switch c.Code {
	case "DecryptionFailure", "KMSDisabledException", "KMSInvalidStateException", "KMSNotFoundException",
		"KMSAccessDeniedException", "InvalidKeyId", "KMSInvalidKeyUsageException", "KMSKeyNotAccessibleException":
		return "the KMS key that encrypts " + arn + " cannot decrypt it: if the key is disabled or pending deletion, " +
			"new tasks cannot start until it is enabled again (aws kms enable-key, or cancel-key-deletion); " +
			"otherwise check the role has kms:Decrypt on the key. Running `valuefrom check` names the key and its state"
	case "ParameterVersionNotFound", "ParameterVersionLabelLimitExceeded":
		return "the parameter exists but not that version or label: list them with aws ssm get-parameter-history --name " + ref.Name
	case "InvalidRequestException":
		if ref.Service == reference.SecretsManager {
			return "the secret may be scheduled for deletion (aws secretsmanager restore-secret --secret-id " + ref.ID() + ") or have no such version"
		}
	case "ThrottlingException", "TooManyUpdates", "ThrottledException":
		return "AWS kept throttling after every retry: raise VALUEFROM_MAX_ATTEMPTS or VALUEFROM_TIMEOUT, or start fewer tasks at once"
	case CodeTimeout:
		return "no answer within VALUEFROM_TIMEOUT: check the network path to " + Endpoint(ref.Service, region) +
			" (NAT gateway or VPC endpoint, security groups), or raise VALUEFROM_TIMEOUT"
	case CodeNetwork:
		return "could not reach " + Endpoint(ref.Service, region) + ": check DNS, the NAT gateway or VPC endpoint, and security groups"
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
	case CodeResponseTooLarge:
		return "the answer from " + Endpoint(ref.Service, region) + " was larger than any secret or parameter can be: " +
			"check that AWS_ENDPOINT_URL and any HTTPS_PROXY lead to AWS"
	case CodeARNMismatch:
		return "the answer came from another account, region or secret than the ARN names, as an endpoint that " +
			"ignores them would answer: check that AWS_ENDPOINT_URL and any HTTPS_PROXY lead to AWS, and that the ARN is right"
	case CodeNoRegion:
		return "set AWS_REGION, or use a full ARN, which carries its region"
	}
	if c.KMS {
		return "a KMS error: check the key that encrypts " + arn + " is enabled and the task role has kms:Decrypt on it"
	}
	return ""
}

// Endpoint returns the DNS name of service's endpoint in region, such as
// ssm.cn-north-1.amazonaws.com.cn, as kms:ViaService names it.
func Endpoint(service reference.Service, region string) string {
	return string(service) + "." + region + "." + reference.DNSSuffix(reference.PartitionOf(region))
}

// slashHint suggests the other spelling of a short-form SSM reference's
// name, with or without its leading "/", for a parameter not found: a
// name in a hierarchy starts with "/", so ssm:app/url means /app/url. It
// only suggests: the reference is resolved as written.
func slashHint(ref reference.Ref) string {
	if ref.Service != reference.SSM || ref.Partition != "" {
		return ""
	}
	if name, ok := strings.CutPrefix(ref.Name, "/"); ok {
		if strings.Contains(name, "/") {
			return ""
		}
		return "; a parameter outside any hierarchy may be named without the leading /: ssm:" + name
	}
	if strings.Contains(ref.Name, "/") {
		return "; a name in a hierarchy starts with /: did you mean ssm:/" + ref.Name + "?"
	}
	return "; if the parameter is /" + ref.Name + ", write ssm:/" + ref.Name
}

package awsapi

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/platform"
	"github.com/valuefrom/valuefrom/resolver/reference"
)

func TestHint(t *testing.T) {
	mustParse := func(s string) reference.Ref {
		t.Helper()
		ref, err := reference.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return ref
	}
	secret, param := mustParse("secretsmanager:db"), mustParse("ssm:/app/url")
	const arn = "arn:aws:secretsmanager:us-east-1:ACCOUNT:secret:db-??????"
	denied := func(msg string) Class {
		return ClassOf("AccessDeniedException", answered(400, apiError("AccessDeniedException", msg)))
	}
	tests := []struct {
		name   string
		c      Class
		ref    reference.Ref
		region string
		want   string
	}{
		{"denied secret", denied("not authorized to perform: secretsmanager:GetSecretValue"), secret, "us-east-1",
			"the task role (not the execution role) needs secretsmanager:GetSecretValue on " + arn},
		{"denied parameter", denied("not authorized"), param, "us-east-1",
			"the task role (not the execution role) needs ssm:GetParameters on " + arn},
		{"denied by KMS", denied("Access to KMS is not allowed"), secret, "us-east-1",
			"the task role needs kms:Decrypt on the customer-managed KMS key that encrypts " + arn +
				" (with kms:ViaService secretsmanager.us-east-1.amazonaws.com), and the key policy must allow it"},
		{"denied by KMS in China", denied("not authorized to perform: kms:Decrypt"), param, "cn-north-1",
			"the task role needs kms:Decrypt on the customer-managed KMS key that encrypts " + arn +
				" (with kms:ViaService ssm.cn-north-1.amazonaws.com.cn), and the key policy must allow it"},
		{"key disabled", ClassOf("KMSInvalidStateException", nil), secret, "us-east-1",
			"the KMS key that encrypts " + arn + " cannot decrypt it: if the key is disabled or pending deletion, " +
				"new tasks cannot start until it is enabled again (aws kms enable-key, or cancel-key-deletion); " +
				"otherwise check the role has kms:Decrypt on the key. Running `valuefrom check` names the key and its state"},
		{"other KMS error", ClassOf("KMSThrottlingException", nil), secret, "us-east-1",
			"a KMS error: check the key that encrypts " + arn + " is enabled and the task role has kms:Decrypt on it"},
		{"secret not found", ClassOf("ResourceNotFoundException", nil), secret, "eu-west-1",
			"check the secret name and the region: looked in eu-west-1; names are case-sensitive"},
		{"invalid parameter", ClassOf(CodeNotFound, errors.New("listed among InvalidParameters")), param, "eu-west-1",
			"check the parameter name and the region: looked in eu-west-1; names are case-sensitive"},
		{"parameter without its leading slash", ClassOf("ParameterNotFound", nil), mustParse("ssm:app/url"), "eu-west-1",
			"check the parameter name and the region: looked in eu-west-1; names are case-sensitive; a name in a hierarchy starts with /: did you mean ssm:/app/url?"},
		{"top-level parameter without a slash", ClassOf(CodeNotFound, nil), mustParse("ssm:url"), "eu-west-1",
			"check the parameter name and the region: looked in eu-west-1; names are case-sensitive; if the parameter is /url, write ssm:/url"},
		{"top-level parameter with a slash", ClassOf(CodeNotFound, nil), mustParse("ssm:/url"), "eu-west-1",
			"check the parameter name and the region: looked in eu-west-1; names are case-sensitive; a parameter outside any hierarchy may be named without the leading /: ssm:url"},
		{"parameter ARN", ClassOf(CodeNotFound, nil), mustParse("arn:aws:ssm:eu-west-1:123456789012:parameter/app/url"), "eu-west-1",
			"check the parameter name and the region: looked in eu-west-1; names are case-sensitive"},
		{"version not found", ClassOf(CodeNotFound, nil), mustParse("ssm:/app/url:3"), "eu-west-1",
			"check that the parameter exists in eu-west-1 with that version, stage or label; names are case-sensitive"},
		{"timeout", ClassOf(CodeTimeout, nil), param, "us-east-1",
			"no answer from ssm.us-east-1.amazonaws.com within VALUEFROM_TIMEOUT: check the network path to it (NAT gateway or VPC endpoint, security groups), or raise VALUEFROM_TIMEOUT"},
		{"network in China", ClassOf(CodeNetwork, nil), secret, "cn-northwest-1",
			"could not reach secretsmanager.cn-northwest-1.amazonaws.com.cn: check DNS, the NAT gateway or VPC endpoint, and security groups"},
		{"answer too large", ClassOf(CodeResponseTooLarge, ErrResponseTooLarge), param, "us-east-1",
			"the answer from ssm.us-east-1.amazonaws.com was larger than any secret or parameter can be: check that AWS_ENDPOINT_URL and any HTTPS_PROXY lead to AWS"},
		{"another secret's ARN", ClassOf(CodeARNMismatch, ErrARNMismatch), secret, "us-east-1",
			"the answer came from another account, region or secret than the ARN names, as an endpoint that ignores them would answer: " +
				"check that AWS_ENDPOINT_URL and any HTTPS_PROXY lead to AWS, and that the ARN is right"},
		{"scheduled for deletion", ClassOf("InvalidRequestException", nil), secret, "us-east-1",
			"the secret may be scheduled for deletion (aws secretsmanager restore-secret --secret-id db) or have no such version"},
		{"invalid request on a parameter", ClassOf("InvalidRequestException", nil), param, "us-east-1", ""},
		{"binary", ClassOf(CodeBinary, nil), secret, "us-east-1",
			"name the variable with a _FILE suffix to have the bytes written to a file instead"},
		{"no region", ClassOf(CodeNoRegion, nil), secret, "",
			"set AWS_REGION (or AWS_DEFAULT_REGION, or pass --region), or use a full ARN, which carries its region"},
		{"unknown", ClassOf("ValidationException", nil), secret, "us-east-1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Hint(platform.Platform{}, tt.c, tt.ref, tt.region, arn); got != tt.want {
				t.Errorf("Hint =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

// TestEndpoint: the DNS name in a hint is the
// kms:ViaService value that valuefrom policy writes, in every partition.
func TestEndpoint(t *testing.T) {
	tests := []struct {
		service reference.Service
		region  string
		want    string
	}{
		{reference.SSM, "us-east-1", "ssm.us-east-1.amazonaws.com"},
		{reference.SecretsManager, "cn-north-1", "secretsmanager.cn-north-1.amazonaws.com.cn"},
		{reference.SSM, "us-gov-west-1", "ssm.us-gov-west-1.amazonaws.com"},
		{reference.SSM, "us-iso-east-1", "ssm.us-iso-east-1.c2s.ic.gov"},
		{reference.SSM, "us-isob-east-1", "ssm.us-isob-east-1.sc2s.sgov.gov"},
	}
	for _, tt := range tests {
		if got := Endpoint(tt.service, tt.region); got != tt.want {
			t.Errorf("Endpoint(%s, %s) = %q, want %q", tt.service, tt.region, got, tt.want)
		}
		c := ClassOf(CodeNetwork, nil)
		if h := Hint(platform.Platform{}, c, reference.Ref{Service: tt.service}, tt.region, ""); !strings.Contains(h, tt.want+":") {
			t.Errorf("network hint in %s = %q, want it to name %s", tt.region, h, tt.want)
		}
	}
}

// TestHintsOnLambda: on Lambda every hint that names the IAM role, or a
// way to get credentials, says the function's execution role, and none
// names an ECS concept (a task role, a task definition, ECS itself);
// elsewhere the same hints keep ECS's words.
func TestHintsOnLambda(t *testing.T) {
	lambda := platform.Of([]string{"AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001"})
	secret, _ := reference.Parse("secretsmanager:db")
	const arn = "arn:aws:secretsmanager:us-east-1:ACCOUNT:secret:db-??????"
	denied := func(msg string) Class {
		return ClassOf("AccessDeniedException", answered(400, apiError("AccessDeniedException", msg)))
	}
	hints := func(on platform.Platform) map[string]string {
		w := wordsOn(on)
		h := map[string]string{
			"denied":            Hint(on, denied("not authorized"), secret, "us-east-1", arn),
			"denied by KMS":     Hint(on, denied("Access to KMS is not allowed"), secret, "us-east-1", arn),
			"other KMS error":   Hint(on, ClassOf("KMSThrottlingException", nil), secret, "us-east-1", arn),
			"no credentials":    Hint(on, ClassOf(CodeCredentials, nil), secret, "us-east-1", arn),
			"path denied":       BulkHint(on, denied("not authorized"), FromPath, arn),
			"batch denied":      BatchDeniedHint(on),
			"config error":      (&ConfigError{Err: errors.New("x"), Credentials: true, Platform: on}).Hint(),
			"half keys":         (&ConfigError{Err: &HalfKeysError{}, Credentials: true, Platform: on}).Hint(),
			"metadata disabled": credentialHint(w, credFailure{Disabled: true}),
			"metadata dial":     credentialHint(w, credFailure{Source: CredentialSource{Kind: SourceIMDS}, Dial: true}),
			"metadata no role":  credentialHint(w, credFailure{Source: CredentialSource{Kind: SourceIMDS}, Status: 404}),
			"hop limit":         credentialHint(w, credFailure{Token: true}),
		}
		env := []string{"AWS_ENDPOINT_URL=ssm:/endpoint"}
		if on.Lambda {
			env = append(env, "AWS_LAMBDA_RUNTIME_API="+on.RuntimeAPI)
		}
		var ue *exitcode.UsageError
		if errors.As(CheckInputs(env), &ue) {
			h["inputs"] = ue.Hint
		}
		return h
	}
	for name, h := range hints(lambda) {
		if !strings.Contains(h, "the function's execution role") && !strings.Contains(h, "a function's execution role") && !strings.Contains(h, "on Lambda") {
			t.Errorf("on Lambda, %s: %q does not say the function's execution role", name, h)
		}
		for _, ecs := range []string{"task", "ECS"} {
			if strings.Contains(h, ecs) {
				t.Errorf("on Lambda, %s: %q names %q", name, h, ecs)
			}
		}
	}
	for name, h := range hints(platform.Platform{}) {
		if !strings.Contains(h, "task") && !strings.Contains(h, "ECS") {
			t.Errorf("elsewhere, %s: %q does not keep ECS's words", name, h)
		}
	}
}

// TestPlatformOf: a configuration carries the platform it was loaded on,
// through copies, for the hints of what is done with it.
func TestPlatformOf(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	lambda := platform.Of([]string{"AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001"})
	for _, on := range []platform.Platform{{}, lambda} {
		cfg, err := LoadConfig(context.Background(), Options{Region: "us-east-1", Platform: on})
		if err != nil {
			t.Fatal(err)
		}
		copied := cfg.Copy()
		if got := PlatformOf(copied); got != on {
			t.Errorf("PlatformOf = %+v, want %+v", got, on)
		}
	}
	if got := PlatformOf(aws.Config{}); got != (platform.Platform{}) {
		t.Errorf("PlatformOf(a configuration LoadConfig did not make) = %+v, want the zero Platform", got)
	}
}

// TestHintDeniedSecretByARN: a secret named by an ARN that may leave out
// the six characters AWS appends gets a hint that names both forms, as
// valuefrom policy grants both: the ARN as written alone matches nothing
// when it is partial.
func TestHintDeniedSecretByARN(t *testing.T) {
	ref, err := reference.Parse("arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db")
	if err != nil {
		t.Fatal(err)
	}
	arn := ref.ARN("aws", "us-east-1", "ACCOUNT")
	c := ClassOf("AccessDeniedException", answered(400, apiError("AccessDeniedException", "not authorized")))
	got := Hint(platform.Platform{}, c, ref, "us-east-1", arn)
	want := "the task role (not the execution role) needs secretsmanager:GetSecretValue on " +
		"arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db (or on arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-?????? " +
		"if that ARN leaves out the secret's six-character suffix)"
	if got != want {
		t.Errorf("Hint =\n%q\nwant\n%q", got, want)
	}
}

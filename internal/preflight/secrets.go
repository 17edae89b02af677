package preflight

import (
	"github.com/valuefrom/valuefrom/resolver/reference"

	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"

	"github.com/valuefrom/valuefrom/resolver"
)

// errorCode returns the AWS error code of err, or a code of valuefrom's
// own for timeouts and network errors.
func errorCode(err error) string {
	var api smithy.APIError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return resolver.CodeTimeout
	case errors.Is(err, context.Canceled):
		return resolver.CodeCanceled
	case errors.As(err, &api):
		return api.ErrorCode()
	case strings.Contains(err.Error(), "failed to retrieve credentials"),
		strings.Contains(err.Error(), "failed to refresh cached credentials"):
		return resolver.CodeCredentials
	}
	return resolver.CodeNetwork
}

// errorMessage is AWS's message for err, or the whole chain.
func errorMessage(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorMessage() != "" {
		return api.ErrorMessage()
	}
	return err.Error()
}

func isDenied(code string) bool {
	switch code {
	case "AccessDeniedException", "AccessDenied", "UnauthorizedOperation", "UnauthorizedException":
		return true
	}
	return false
}

func isNotFound(code string) bool {
	switch code {
	case "ResourceNotFoundException", "ParameterNotFound", "NotFoundException":
		return true
	}
	return false
}

func isKMS(code, msg string) bool {
	return strings.HasPrefix(code, "KMS") || code == "DecryptionFailure" || code == "InvalidKeyId" ||
		strings.Contains(msg, "KMS") || strings.Contains(msg, "kms:")
}

// checkSecret fills r from DescribeSecret and, when read is set,
// GetSecretValue.
func (c *Checker) checkSecret(ctx context.Context, r *row, read bool) {
	sm := c.secretsClient(r.Region)
	ref := r.ref
	described := false
	desc, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(ref.ID())})
	if err != nil {
		code := errorCode(err)
		switch {
		case isNotFound(code):
			r.Exists = No
			r.notFound(ctx, c, "secret")
			return
		case isDenied(code):
			r.Unchecked = append(r.Unchecked, deniedf("secretsmanager:DescribeSecret", code, "the KMS key, rotation and deletion state"))
		default:
			r.Unchecked = append(r.Unchecked, deniedf("secretsmanager:DescribeSecret", code, errorMessage(err)))
		}
	} else {
		described = true
		r.Exists = Yes
		r.ARN = aws.ToString(desc.ARN)
		r.keyID, r.keyIDSet = aws.ToString(desc.KmsKeyId), true
		if r.keyID == "" {
			r.keyID = SecretsManagerKey // DescribeSecret leaves out the AWS-managed key
		}
		r.Rotation = &Rotation{Enabled: aws.ToBool(desc.RotationEnabled), LastRotated: desc.LastRotatedDate, NextRotation: desc.NextRotationDate}
		if desc.DeletedDate != nil {
			r.problem(Fail, CodeSecretDeleted, "the secret is scheduled for deletion (marked "+day(*desc.DeletedDate)+"): it cannot be read",
				"restore it: aws secretsmanager restore-secret --region "+r.Region+" --secret-id "+ref.ID())
		}
		if r.Version == Unknown {
			r.Version = versionIn(desc.VersionIdsToStages, ref)
			if r.Version == No {
				r.versionMissing()
			}
		}
	}
	if !read {
		return
	}

	out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{
		SecretId:     aws.String(ref.ID()),
		VersionStage: nonEmpty(ref.VersionStage),
		VersionId:    nonEmpty(ref.VersionID),
	})
	if err != nil {
		code, msg := errorCode(err), errorMessage(err)
		switch {
		case isNotFound(code) && r.Version == No:
			// already reported
		case isNotFound(code) && described && r.Version != NotApplicable:
			r.Version = No
			r.versionMissing()
		case isNotFound(code):
			r.Exists = No
			r.notFound(ctx, c, "secret")
		case code == "InvalidRequestException" && r.hasCode(CodeSecretDeleted):
			// already reported
		case isKMS(code, msg):
			r.problem(Fail, code, "GetSecretValue: "+msg,
				"the KMS key that encrypts the secret cannot decrypt it for this identity: see its state below, and give the task role kms:Decrypt on it (valuefrom policy writes the statement)")
		case isDenied(code):
			r.problem(Fail, code, "GetSecretValue: "+msg,
				"the task role (not the execution role) needs secretsmanager:GetSecretValue on "+r.policyARN()+" (valuefrom policy writes the statement); if the identity running the check differs from the task role, this is about the former")
		case code == "InvalidRequestException":
			r.problem(Fail, code, "GetSecretValue: "+msg,
				"the secret may be scheduled for deletion: aws secretsmanager restore-secret --region "+r.Region+" --secret-id "+ref.ID())
		default:
			r.problem(Fail, code, "GetSecretValue: "+msg, "")
		}
		return
	}
	r.Exists = Yes
	if r.ARN == "" {
		r.ARN = aws.ToString(out.ARN)
	}
	if r.Version != NotApplicable {
		r.Version = Yes
	}
	if ref.JSONKey == "" {
		return
	}
	if out.SecretString == nil {
		r.JSONKey = No
		r.problem(Fail, resolver.CodeNotJSONObject, "JSON key "+quote(ref.JSONKey)+" asked of a binary secret",
			"a JSON key can only select from a secret whose value is a JSON object; drop the key to use the whole value")
		return
	}
	if _, e := resolver.JSONField([]byte(*out.SecretString), ref.JSONKey); e != nil {
		r.JSONKey = No
		hint := "JSON keys are case-sensitive and must be top-level keys of the secret's JSON object"
		if e.Code == resolver.CodeNotJSONObject {
			hint = "a JSON key can only select from a secret whose value is a JSON object; drop the key to use the whole value"
		}
		r.problem(Fail, e.Code, e.Err.Error(), hint)
		return
	}
	r.JSONKey = Yes
}

// versionIn says whether the version or stage ref asks for is among a
// secret's versions.
func versionIn(versions map[string][]string, ref reference.Ref) Status {
	for id, stages := range versions {
		if ref.VersionID != "" && id != ref.VersionID {
			continue
		}
		if ref.VersionStage == "" {
			return Yes
		}
		for _, s := range stages {
			if s == ref.VersionStage {
				return Yes
			}
		}
	}
	return No
}

func (r *row) versionMissing() {
	if r.ref.Service == reference.SSM {
		r.problem(Fail, CodeVersionNotFound, "the parameter has no version or label "+quote(r.ref.Selector),
			"list its versions and labels: aws ssm get-parameter-history --region "+r.Region+" --name "+r.ref.Name)
		return
	}
	what := ""
	switch {
	case r.ref.VersionID != "" && r.ref.VersionStage != "":
		what = "version " + r.ref.VersionID + " with stage " + r.ref.VersionStage
	case r.ref.VersionID != "":
		what = "version " + r.ref.VersionID
	default:
		what = "stage " + r.ref.VersionStage
	}
	r.problem(Fail, CodeVersionNotFound, "the secret has no "+what,
		"list its versions and stages: aws secretsmanager list-secret-version-ids --region "+r.Region+" --secret-id "+r.ref.ID())
}

// notFound reports a missing secret or parameter. When the reference
// names a region other than the default one, it looks there too, since a
// wrong region in an ARN is a common mistake.
func (r *row) notFound(ctx context.Context, c *Checker, what string) {
	hint := "check the " + what + " name and the region: looked in " + r.Region + "; names are case-sensitive"
	code := "ResourceNotFoundException"
	if r.ref.Service == reference.SSM {
		code = "ParameterNotFound"
	}
	if other := c.cfg.AWS.Region; other != "" && other != r.Region {
		if c.existsIn(ctx, other, r.ref) {
			hint = "a " + what + " of that name exists in " + other + ", not in " + r.Region + ": fix the region in the reference"
			code = CodeWrongRegion
		}
	}
	r.problem(Fail, code, "no "+what+" "+quote(r.ref.Name)+" in "+r.Region, hint)
}

// existsIn reports whether a secret or parameter of ref's name exists in
// region. Errors count as no.
func (c *Checker) existsIn(ctx context.Context, region string, ref reference.Ref) bool {
	if ref.Service == reference.SecretsManager {
		_, err := c.secretsClient(region).DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(ref.Name)})
		return err == nil
	}
	found, _, err := c.describeParameter(ctx, region, ref)
	return err == nil && found != nil
}

func (r *row) hasCode(code string) bool {
	for _, p := range r.Problems {
		if p.Code == code {
			return true
		}
	}
	return false
}

// policyARN is the ARN an IAM policy names for the row's reference.
func (r *row) policyARN() string {
	if r.ref.Partition != "" {
		return r.ref.ARN("", "", "")
	}
	return r.ref.ARN(reference.PartitionOf(r.Region), r.Region, "ACCOUNT")
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func quote(s string) string { return `"` + s + `"` }

package preflight

import (
	"github.com/valuefrom/valuefrom/internal/awsapi"
	"github.com/valuefrom/valuefrom/internal/pipeline"
	"github.com/valuefrom/valuefrom/internal/platform"
	"github.com/valuefrom/valuefrom/resolver/reference"

	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/valuefrom/valuefrom/resolver"
)

// deniedNote follows awsapi's hint for a denied read: check runs with
// the identity of whoever runs it, which may not be the task role.
const deniedNote = " (valuefrom policy writes the statement); if the identity running the check differs from the task role, this is about the former"

// hintsOn is the platform whose words check's hints use: ECS's, the zero
// Platform's, as check's own hints do. Check and policy run before a
// deployment, on a laptop or in CI, not on the platform they check for.
var hintsOn = platform.Platform{}

// hint is awsapi's hint for a failure of class c on the row's reference.
func (r *row) hint(c awsapi.Class) string {
	return awsapi.Hint(hintsOn, c, r.ref, r.Region, r.policyARN())
}

// checkSecret fills r from DescribeSecret and, when read is set,
// GetSecretValue.
func (c *Checker) checkSecret(ctx context.Context, r *row, read bool) {
	sm := c.secrets.Get(r.Region)
	ref := r.ref
	described := false
	desc, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(ref.ID())})
	if err != nil {
		switch e := awsapi.Classify(err); {
		case e.NotFound:
			r.Exists = No
			r.notFound(ctx, c, "secret")
			return
		case e.Denied:
			r.Unchecked = append(r.Unchecked, deniedf("secretsmanager:DescribeSecret", e.Code, "the KMS key, rotation and deletion state"))
		default:
			r.Unchecked = append(r.Unchecked, deniedf("secretsmanager:DescribeSecret", e.Code, awsapi.Message(err)))
		}
	} else {
		described = true
		r.Exists = Yes
		r.ARN = aws.ToString(desc.ARN)
		r.keyID, r.keyIDSet = aws.ToString(desc.KmsKeyId), true
		r.replication = desc.ReplicationStatus
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
		e, msg := awsapi.Classify(err), awsapi.Message(err)
		switch {
		case e.NotFound && r.Version == No:
			// already reported
		case e.NotFound && described && r.Version != NotApplicable:
			r.Version = No
			r.versionMissing()
		case e.NotFound:
			r.Exists = No
			r.notFound(ctx, c, "secret")
		case e.Code == "InvalidRequestException" && r.hasCode(CodeSecretDeleted):
			// already reported
		case e.KMS:
			r.problem(Fail, e.Code, "GetSecretValue: "+msg,
				"the KMS key that encrypts the secret cannot decrypt it for this identity: see its state below, and give the task role kms:Decrypt on it (valuefrom policy writes the statement)")
		case e.Denied:
			r.problem(Fail, e.Code, "GetSecretValue: "+msg, r.hint(e)+deniedNote)
		case e.Code == "InvalidRequestException":
			r.problem(Fail, e.Code, "GetSecretValue: "+msg,
				"the secret may be scheduled for deletion: aws secretsmanager restore-secret --region "+r.Region+" --secret-id "+ref.ID())
		default:
			r.problem(Fail, e.Code, "GetSecretValue: "+msg, "")
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
	secret := resolver.Secret{String: out.SecretString, Binary: out.SecretBinary}
	if r.jsonSecret {
		r.value = []byte(aws.ToString(out.SecretString))
		if out.SecretString == nil {
			r.value = out.SecretBinary
		}
	}
	r.render(secret)
}

// render applies to a value read the checks a start applies to it
// (resolver.Render, the same function), and fails the row as a start
// would fail its variable, with the start's hint.
func (r *row) render(secret resolver.Secret) {
	ref := r.ref
	ref.Region = r.Region // the region asked, as the resolver's errors name it
	v, e := resolver.Render(reference.Request{Var: r.Var, Ref: ref, ToFile: r.toFile}, secret)
	if e == nil && !r.jsonSecret {
		r.value = v // for the templates
	}
	switch {
	case e != nil:
		if r.JSONKey != NotApplicable {
			r.JSONKey = No
		}
		e.Var, e.Ref = r.Var, ref
		r.problem(Fail, e.Code, e.Err.Error(), pipeline.Hint(hintsOn, e))
	case r.JSONKey != NotApplicable:
		r.JSONKey = Yes
	}
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
	code := "ResourceNotFoundException"
	if r.ref.Service == reference.SSM {
		code = "ParameterNotFound"
	}
	// The secret or parameter itself is missing, whatever version the
	// reference asks for: the hint is about its name and region.
	named := r.ref
	named.VersionStage, named.VersionID, named.Selector = "", "", ""
	hint := awsapi.Hint(hintsOn, awsapi.ClassOf(code, nil), named, r.Region, "")
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
		_, err := c.secrets.Get(region).DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(ref.Name)})
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

// policyARN is the ARN IAM would name for the row's reference, for a
// hint: the one AWS returned when it did, since the shape of a name
// cannot tell whether it ends in the secret's suffix.
func (r *row) policyARN() string {
	if r.ARN != "" {
		return r.ARN
	}
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

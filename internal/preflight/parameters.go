package preflight

import (
	"github.com/valuefrom/valuefrom/internal/awsapi"
	"github.com/valuefrom/valuefrom/resolver"
	"github.com/valuefrom/valuefrom/resolver/reference"

	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// describeParameter looks a parameter up by name with DescribeParameters.
// The ARN of a top-level parameter, arn:...:parameter/NAME, does not say
// whether its name is NAME or /NAME, so both are asked; NAME wins. It
// returns nil metadata when there is no such parameter.
func (c *Checker) describeParameter(ctx context.Context, region string, ref reference.Ref) (*ssmtypes.ParameterMetadata, string, error) {
	names := []string{ref.Name}
	if ref.Partition != "" && !strings.HasPrefix(ref.Name, "/") {
		names = append(names, "/"+ref.Name)
	}
	out, err := c.parameters.Get(region).DescribeParameters(ctx, &ssm.DescribeParametersInput{
		ParameterFilters: []ssmtypes.ParameterStringFilter{{Key: aws.String("Name"), Option: aws.String("Equals"), Values: names}},
	})
	if err != nil {
		return nil, "", err
	}
	for _, name := range names {
		for _, p := range out.Parameters {
			if aws.ToString(p.Name) == name {
				return &p, name, nil
			}
		}
	}
	return nil, "", nil
}

// checkParameter fills r from DescribeParameters and, when read is set,
// GetParameters with decryption, as the resolver asks.
func (c *Checker) checkParameter(ctx context.Context, r *row, read bool) {
	ref := r.ref
	name := ref.Name
	described := false
	meta, found, err := c.describeParameter(ctx, r.Region, ref)
	switch {
	case err != nil:
		e := awsapi.Classify(err)
		what := "the KMS key"
		if !e.Denied {
			what = awsapi.Message(err)
		}
		r.Unchecked = append(r.Unchecked, deniedf("ssm:DescribeParameters", e.Code, what))
	case meta == nil:
		r.Exists = No
		r.notFound(ctx, c, "parameter")
		return
	default:
		described = true
		name = found
		r.Exists = Yes
		r.setType(meta.Type, aws.ToString(meta.KeyId))
	}
	if !read {
		return
	}

	req := name
	if ref.Selector != "" {
		req += ":" + ref.Selector
	}
	out, err := c.parameters.Get(r.Region).GetParameters(ctx, &ssm.GetParametersInput{
		Names:          []string{req},
		WithDecryption: aws.Bool(true),
	})
	if err != nil {
		e, msg := awsapi.Classify(err), awsapi.Message(err)
		switch {
		case e.KMS:
			r.problem(Fail, e.Code, "GetParameters: "+msg,
				"the KMS key that encrypts the parameter cannot decrypt it for this identity: see its state below, and give the task role kms:Decrypt on it (valuefrom policy writes the statement)")
		case e.Denied:
			r.problem(Fail, e.Code, "GetParameters: "+msg, r.hint(e)+deniedNote)
		default:
			r.problem(Fail, e.Code, "GetParameters: "+msg, "")
		}
		return
	}
	if len(out.Parameters) == 0 {
		if described && ref.Selector != "" {
			r.Version = No
			r.versionMissing()
			return
		}
		r.Exists = No
		r.notFound(ctx, c, "parameter")
		return
	}
	p := out.Parameters[0]
	r.Exists = Yes
	r.ARN = aws.ToString(p.ARN)
	if r.Version != NotApplicable {
		r.Version = Yes
	}
	if !described {
		r.setType(p.Type, "")
		if p.Type == ssmtypes.ParameterTypeSecureString {
			r.keyIDSet = false // the key is not known without DescribeParameters
			r.keyID = ""
		}
	}
	r.render(resolver.Secret{String: p.Value})
}

// setType records a parameter's type and, for a SecureString, its key.
func (r *row) setType(t ssmtypes.ParameterType, keyID string) {
	r.Type = string(t)
	if t != ssmtypes.ParameterTypeSecureString {
		return
	}
	r.keyID, r.keyIDSet = keyID, true
	if r.keyID == "" {
		r.keyID = SSMKey
	}
}

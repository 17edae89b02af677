package resolver

import (
	"github.com/valuefrom/valuefrom/resolver/reference"

	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/valuefrom/valuefrom/internal/awsapi"
)

// This file serves one secret or parameter at a time, with its metadata,
// as the sidecar server answers them: the AWS error comes back as the SDK
// returned it, so that its code and HTTP status can be passed on.

// SecretQuery names one version of one secret, as GetSecretValue takes it.
type SecretQuery struct {
	ID           string // a name, or a partial or full ARN, whose region is then used
	VersionID    string
	VersionStage string
}

// ParameterQuery names one parameter, as GetParameter takes it.
type ParameterQuery struct {
	Name    string // a name or ARN, with an optional :VERSION or :LABEL
	Decrypt bool   // decrypt a SecureString; otherwise its ciphertext is returned
}

// GetOptions say how GetSecret and GetParameter use the cache.
type GetOptions struct {
	// Refresh skips a cached entry and replaces it when the call succeeds,
	// or evicts it when the cache's Options.Evict says the error should.
	Refresh bool
	// Timeout bounds the AWS call, retries included. Zero means no bound.
	Timeout time.Duration
}

// GetSecret returns one secret version with its metadata, through the
// cache: concurrent calls for one version share one GetSecretValue call.
//
// The AWS call runs detached from ctx, bounded by o.Timeout, so that a
// caller that gives up does not fail the others waiting on the same call;
// ctx bounds only how long this caller waits.
func (r *Resolver) GetSecret(ctx context.Context, q SecretQuery, o GetOptions) (Secret, error) {
	return r.get(ctx, o, "secretsmanager", "secret_id", q.ID, []string{q.VersionStage, q.VersionID}, func(ctx context.Context, region, id string) (Secret, error) {
		return r.getSecretValue(ctx, region, id, q.VersionStage, q.VersionID)
	})
}

// GetParameter returns one parameter with its metadata through the cache,
// as GetSecret does, with one GetParameter call.
func (r *Resolver) GetParameter(ctx context.Context, q ParameterQuery, o GetOptions) (Secret, error) {
	return r.get(ctx, o, "ssm", "name", q.Name, []string{strconv.FormatBool(q.Decrypt)}, func(ctx context.Context, region, name string) (Secret, error) {
		return r.getParameter(ctx, region, name, q.Decrypt)
	})
}

// get returns what call answers for id of service, through the cache
// under a key made of service, the region, id and variant, hedged across
// regions; a fallback region's answer is logged with logKey naming id.
func (r *Resolver) get(ctx context.Context, o GetOptions, service, logKey, id string, variant []string, call func(ctx context.Context, region, id string) (Secret, error)) (Secret, error) {
	if err := CheckID(id); err != nil {
		return Secret{}, err
	}
	region, err := awsapi.RequestRegion(arnRegion(id), r.cfg.AWS.Region)
	if err != nil {
		return Secret{}, err
	}
	key := strings.Join(append([]string{"get", service, region, id}, variant...), "\x00")
	return r.getOne(ctx, key, o, func(ctx context.Context) (Secret, error) {
		s, rg, err := hedgeWith(ctx, r, region, func(ctx context.Context, rg string) (Secret, error) {
			return call(ctx, rg, idInRegion(id, rg))
		}, nil)
		r.logFallback(err, logKey, id, region, rg)
		return s, err
	})
}

// logFallback logs, when a fetch succeeded in a fallback region rather
// than its own, a warning that names what was asked and the region.
func (r *Resolver) logFallback(err error, key, id, own, region string) {
	if err == nil && region != own {
		r.log.Warn(FallbackWarning, key, id,
			"region", own, "fallback_region", region)
	}
}

// getParameter makes one GetParameter call in region.
func (r *Resolver) getParameter(ctx context.Context, region, name string, decrypt bool) (Secret, error) {
	r.calls.Add(1)
	out, err := r.parameters.Get(region).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(decrypt)})
	if err != nil {
		return Secret{}, err
	}
	p := out.Parameter
	if p == nil {
		return Secret{}, fmt.Errorf("GetParameter answered without a parameter")
	}
	return Secret{
		String:       p.Value,
		VersionID:    strconv.FormatInt(p.Version, 10),
		ARN:          aws.ToString(p.ARN),
		RequestID:    requestID(out.ResultMetadata),
		Name:         aws.ToString(p.Name),
		Version:      p.Version,
		Type:         string(p.Type),
		DataType:     aws.ToString(p.DataType),
		Selector:     aws.ToString(p.Selector),
		SourceResult: aws.ToString(p.SourceResult),
		LastModified: aws.ToTime(p.LastModifiedDate),
		Region:       region,
	}, nil
}

// idInRegion returns a secret id or parameter name as its copy in region
// is asked for: an ARN with its region replaced, a name as it is.
func idInRegion(id, region string) string {
	a, err := arn.Parse(id)
	if err != nil || a.Region == "" {
		return id
	}
	a.Region = region
	return a.String()
}

func (r *Resolver) getOne(ctx context.Context, key string, o GetOptions, call func(context.Context) (Secret, error)) (Secret, error) {
	fetch := func(ctx context.Context) (Secret, error) {
		ctx = context.WithoutCancel(ctx)
		if o.Timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, o.Timeout)
			defer cancel()
		}
		return call(ctx)
	}
	if o.Refresh {
		return r.cache.Refresh(ctx, key, fetch)
	}
	return r.cache.Get(ctx, key, fetch)
}

// CheckID checks a secret id or parameter name as the server takes it
// from a client: an ARN must name a region of the form us-east-1, so that
// a client cannot make the resolver build clients for arbitrary hosts,
// and one that exists, as in a reference, rather than be retried until
// the deadline.
func CheckID(id string) error {
	if a, err := arn.Parse(id); err == nil && a.Region != "" {
		switch {
		case !reference.IsRegion(a.Region):
			return fmt.Errorf("the ARN's region %q is not a region such as us-east-1", reference.Quote(a.Region))
		case !reference.RegionExists(a.Region):
			return fmt.Errorf("the ARN's region %s does not exist: valuefrom knows the regions of the AWS SDK it was built with", a.Region)
		}
	}
	return nil
}

// arnRegion returns the region of id when it is an ARN that names one.
func arnRegion(id string) string {
	if a, err := arn.Parse(id); err == nil {
		return a.Region
	}
	return ""
}

// Transient reports whether err may pass by itself, so that a cached value
// is better served than the error: a timeout, a connection failure,
// throttling once the retries ran out, or a 5xx answer. Denials, missing
// secrets and KMS failures are not transient: they say the value should
// no longer be served.
func Transient(err error) bool { return awsapi.Classify(err).Transient }

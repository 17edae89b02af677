// Package preflight owns the checks an operator runs before a deployment:
// for every reference, whether it will resolve when a task starts (it
// parses; the secret or parameter exists in its region; the version,
// stage or label exists; the JSON key is present), which KMS key protects
// it and that key's state, and the secret's rotation, with a verdict and a
// hint per row. It also owns the least-privilege IAM policy that exactly
// these references need.
//
// Checking reads each secret and parameter once, as the task would, to
// prove that it decrypts and to find a JSON key; it never returns, logs
// or formats a value. A denied metadata call (DescribeSecret,
// DescribeParameters, kms:DescribeKey, kms:GetKeyRotationStatus) is
// recorded as what could not be checked, and the check goes on. Where a
// start would read secrets with BatchGetSecretValue, the check makes one
// such call per region, and warns when IAM denies it.
package preflight

import (
	"github.com/valuefrom/valuefrom/internal/awsapi"
	"github.com/valuefrom/valuefrom/internal/awsapi/kms"
	"github.com/valuefrom/valuefrom/internal/envlist"
	"github.com/valuefrom/valuefrom/internal/pipeline"

	"github.com/valuefrom/valuefrom/resolver/reference"

	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"golang.org/x/sync/errgroup"

	"github.com/valuefrom/valuefrom/resolver"
)

// The AWS-managed keys that protect secrets and SecureString parameters
// for which no customer-managed key is set.
const (
	SecretsManagerKey = "alias/aws/secretsmanager"
	SSMKey            = "alias/aws/ssm"
)

// secretsAPI is the part of the Secrets Manager client preflight uses.
type secretsAPI interface {
	DescribeSecret(context.Context, *secretsmanager.DescribeSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
	GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
	BatchGetSecretValue(context.Context, *secretsmanager.BatchGetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.BatchGetSecretValueOutput, error)
}

// parametersAPI is the part of the SSM client preflight uses.
type parametersAPI interface {
	DescribeParameters(context.Context, *ssm.DescribeParametersInput, ...func(*ssm.Options)) (*ssm.DescribeParametersOutput, error)
	GetParameters(context.Context, *ssm.GetParametersInput, ...func(*ssm.Options)) (*ssm.GetParametersOutput, error)
}

// keysAPI is the part of the KMS client preflight uses.
type keysAPI interface {
	DescribeKey(ctx context.Context, keyID string) (kms.KeyMetadata, error)
	GetKeyRotationStatus(ctx context.Context, keyID string) (bool, error)
}

// identityAPI is the part of the STS client preflight uses.
type identityAPI interface {
	GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// Config configures a Checker.
type Config struct {
	// AWS is the SDK configuration every client shares. Its Region is the
	// default region, used by short-form references.
	AWS aws.Config
	// Concurrency bounds the references checked at once. Zero means 1.
	Concurrency int
	// RotationWindow, when positive, makes a secret whose rotation is due
	// within it a warning: a cache with this TTL would serve the old value
	// after the rotation.
	RotationWindow time.Duration
	// Settings makes Check examine the VALUEFROM_* variables of the
	// environment as the entrypoint would read them: a value it refuses is
	// a failed row, a name that is no setting a warning. For a task
	// definition's container, whose settings the entrypoint will read.
	Settings bool
	// FallbackRegions are the regions a task asks when a reference's own
	// fails (VALUEFROM_FALLBACK_REGIONS): Check lists each secret's copy
	// in them and its key, and Policy adds what reading them needs.
	FallbackRegions []string
	// NoSecretBatches says the task asks for every secret with
	// GetSecretValue (VALUEFROM_BATCH_SECRETS=false): Policy then allows
	// no secretsmanager:BatchGetSecretValue, and Check does not call it.
	NoSecretBatches bool
	// Account is the account of short-form references in the policy;
	// empty means STS GetCallerIdentity's.
	Account string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Checker checks references and writes policies. It is safe for
// concurrent use.
type Checker struct {
	cfg Config

	secrets     awsapi.Clients[secretsAPI]
	parameters  awsapi.Clients[parametersAPI]
	keys        awsapi.Clients[keysAPI]
	newIdentity func(region string) identityAPI

	idOnce sync.Once // asks STS once for the identity (see identity)
	id     *sts.GetCallerIdentityOutput
	idErr  error
}

// New returns a Checker. Clients are made per region on first use.
func New(cfg Config) *Checker {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &Checker{cfg: cfg}
	c.secrets.New = func(region string) secretsAPI {
		return secretsmanager.NewFromConfig(cfg.AWS, func(o *secretsmanager.Options) { o.Region = region })
	}
	c.parameters.New = func(region string) parametersAPI {
		return ssm.NewFromConfig(cfg.AWS, func(o *ssm.Options) { o.Region = region })
	}
	c.keys.New = func(region string) keysAPI {
		return kms.New(cfg.AWS, region)
	}
	c.newIdentity = func(region string) identityAPI {
		return sts.NewFromConfig(cfg.AWS, func(o *sts.Options) { o.Region = region })
	}
	return c
}

// Check examines the reference of every variable in environ (NAME=VALUE
// entries) whose value starts like one, skipping the names for which skip
// reports true, and returns a row per variable, in order. Only a
// cancelled ctx stops it early; every other failure is in a row. A
// secret a start would batch warns when IAM denies BatchGetSecretValue in
// its region (code CodeBatchDenied).
func (c *Checker) Check(ctx context.Context, environ []string, skip func(string) bool) *Report {
	return c.CheckFor(ctx, environ, skip, Inputs{})
}

// CheckFor is Check for environ and the SSM paths and JSON secrets of in
// (see Inputs.rows), their rows after environ's, the refused entries of a
// task definition, their rows before, and in's templates, their rows last
// (see templateRows).
func (c *Checker) CheckFor(ctx context.Context, environ []string, skip func(string) bool, in Inputs) *Report {
	inputs, bulk := c.inputRows(ctx, in)
	rows := slices.Concat(refusedRows(in.Refused), c.rows(environ, skip), inputs)
	c.examine(ctx, rows, true)
	bulkVars := checkBulk(rows, bulk, envlist.Names(environ))
	checkFileNames(rows, environ, skip, bulkVars)
	c.checkBatches(ctx, rows)
	// The templates last: they are rendered with what the rows found.
	for _, r := range rows {
		r.judge(c.cfg.Now(), c.cfg.RotationWindow)
	}
	templates := templateRows(ctx, in, rows, bulkVars, environ, skip)
	for _, r := range templates {
		r.judge(c.cfg.Now(), c.cfg.RotationWindow)
	}
	rows = append(rows, templates...)
	rep := &Report{Schema: Schema, Rows: make([]Row, len(rows))}
	if slices.ContainsFunc(rows, func(r *row) bool { return r.kind() == aReference }) {
		rep.Credentials = c.credentials(ctx)
	}
	for i, r := range rows {
		rep.Rows[i] = r.Row
		switch r.Verdict {
		case OK:
			rep.Summary.OK++
		case Warning:
			rep.Summary.Warning++
		case Fail:
			rep.Summary.Fail++
		}
	}
	return rep
}

// identity asks sts:GetCallerIdentity, once, whose the credentials are:
// check's header names the identity, and policy takes short-form
// references' account from it.
func (c *Checker) identity(ctx context.Context) (*sts.GetCallerIdentityOutput, error) {
	c.idOnce.Do(func() {
		c.id, c.idErr = c.newIdentity(c.cfg.AWS.Region).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	})
	return c.id, c.idErr
}

// credentials names the source of the credentials, as a start's errors
// name it, and their identity.
func (c *Checker) credentials(ctx context.Context) *Credentials {
	cr := &Credentials{Source: awsapi.SourceOf(c.cfg.AWS).String()}
	out, err := c.identity(ctx)
	if err != nil {
		cr.Error = "sts:GetCallerIdentity failed: " + awsapi.Cause(err)
		return cr
	}
	cr.Identity, cr.Account = aws.ToString(out.Arn), aws.ToString(out.Account)
	return cr
}

// row is a Row with what the checks found along the way.
type row struct {
	Row
	ref      reference.Ref
	keyID    string // the KMS key as the secret or parameter names it; "" for none
	keyIDSet bool   // whether the metadata said which key (or that the default applies)
	key      *keyFacts
	viaPath  bool // a parameter under an SSM path: read with the path, not by name
	path     bool // an SSM path itself, checked when it was listed
	toFile   bool // its value goes to a file, where any byte is fine (a _FILE variable)
	// jsonSecret marks a JSON secret of VALUEFROM_SECRET_JSON, whose
	// value, read, is kept in value until checkBulk has checked its keys.
	// Another reference's value, as a start would give it, is kept in
	// value until the templates have been rendered with it.
	jsonSecret bool
	value      []byte

	replication []smtypes.ReplicationStatusType // DescribeSecret's
	replicas    []*replica
}

// rows turns environ into rows, one per reference, parsing each on its own
// so that one malformed reference does not hide the others, and with
// Config.Settings one per VALUEFROM_* variable with a problem.
func (c *Checker) rows(environ []string, skip func(string) bool) []*row {
	var rows []*row
	var set map[string]*row
	if c.cfg.Settings {
		set = settingRows(environ)
	}
	for _, kv := range environ {
		if name, ok := isSettingName(kv); ok && set[name] != nil {
			rows = append(rows, set[name])
			delete(set, name) // one row for a repeated name
			continue
		}
		name := reference.QuoteName(envlist.Name(kv)) // a report line must not be split or reversed by a name
		reqs, err := pipeline.Find([]string{kv}, skip)
		var errs resolver.Errors
		switch {
		case errors.As(err, &errs) && len(errs) > 0:
			// Only the reference part of a malformed value may be shown.
			r := &row{Row: Row{Var: name, Ref: errs[0].Ref.String(), Exists: Unknown, Version: NotApplicable, JSONKey: NotApplicable}}
			r.problem(Fail, errs[0].Code, errs[0].Err.Error(), errs[0].Hint)
			rows = append(rows, r)
		case len(reqs) == 1:
			ref := reqs[0].Ref
			region, _ := awsapi.RequestRegion(ref.Region, c.cfg.AWS.Region) // examine reports a missing region
			r := &row{ref: ref, toFile: reqs[0].ToFile, Row: Row{Var: name, Ref: ref.String(), Parses: true, Service: string(ref.Service),
				Region: region, Exists: Unknown, Version: NotApplicable, JSONKey: NotApplicable}}
			if ref.VersionStage != "" || ref.VersionID != "" || ref.Selector != "" {
				r.Version = Unknown
			}
			if ref.JSONKey != "" {
				r.JSONKey = Unknown
			}
			rows = append(rows, r)
		}
	}
	return rows
}

// examine makes the calls for every row that parses: the secret's or
// parameter's metadata, the value itself when read is set, then each
// distinct KMS key's metadata.
func (c *Checker) examine(ctx context.Context, rows []*row, read bool) {
	var g errgroup.Group
	g.SetLimit(max(c.cfg.Concurrency, 1))
	for _, r := range rows {
		if !r.Parses || r.path {
			continue
		}
		if r.Region == "" {
			r.problem(Fail, awsapi.CodeNoRegion, "no default region for a short-form reference",
				awsapi.NoRegionHint)
			continue
		}
		g.Go(func() error {
			if r.ref.Service == reference.SecretsManager {
				c.checkSecret(ctx, r, read)
			} else {
				c.checkParameter(ctx, r, read && !r.viaPath)
			}
			return nil
		})
	}
	g.Wait()

	keys := map[keyAt]*keyFacts{}
	for _, r := range rows {
		if r.keyID == "" {
			continue
		}
		at := keyAt{region: keyRegion(r.keyID, r.Region), id: r.keyID}
		if keys[at] == nil {
			keys[at] = &keyFacts{at: at}
		}
		r.key = keys[at]
	}
	for _, k := range keys {
		g.Go(func() error {
			c.describeKey(ctx, k)
			return nil
		})
	}
	g.Wait()
	for _, r := range rows {
		if r.key != nil {
			r.KMS = r.key.summary()
			r.Unchecked = append(r.Unchecked, r.key.unchecked...)
		}
	}
	c.examineReplicas(ctx, rows)
}

// keyRegion is the region to ask KMS about id in: the ARN's, or the
// region of the secret or parameter it protects.
func keyRegion(id, region string) string {
	if f := strings.Split(id, ":"); len(f) >= 6 && f[0] == "arn" && f[3] != "" {
		return f[3]
	}
	return region
}

// isAWSManaged reports whether id names one of the AWS-managed keys by
// alias.
func isAWSManaged(id string) bool {
	if f := strings.Split(id, ":"); len(f) >= 6 && f[0] == "arn" {
		id = f[5]
	}
	return strings.HasPrefix(id, "alias/aws/")
}

// sortedKeys returns m's keys, sorted.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// day formats t as a date an operator reads, in UTC.
func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

// deniedf says what a denied call left unchecked.
func deniedf(action, code, what string) string {
	return fmt.Sprintf("%s (%s): %s", action, code, what)
}

package preflight

import (
	"github.com/valuefrom/valuefrom/resolver/reference"

	"github.com/valuefrom/valuefrom/internal/awsapi"

	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/valuefrom/valuefrom/resolver"
)

// A Policy is an IAM policy document, ready for aws iam put-role-policy.
type Policy struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// A Statement is one statement of a Policy. Its resources are sorted.
type Statement struct {
	Sid       string                         `json:"Sid"`
	Effect    string                         `json:"Effect"`
	Action    string                         `json:"Action"`
	Resource  []string                       `json:"Resource"`
	Condition map[string]map[string][]string `json:"Condition,omitempty"`
}

// The statement ids, in the order statements appear.
const (
	SidSecrets           = "ReadSecrets"
	SidBatchSecrets      = "BatchReadSecrets"
	SidParameters        = "ReadParameters"
	SidParameterPaths    = "ReadParameterPaths"
	SidDecryptSecrets    = "DecryptSecrets"
	SidDecryptParameters = "DecryptParameters"
)

// WriteJSON writes the policy as indented JSON.
func (p *Policy) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(p)
}

// Policy returns the least-privilege IAM policy the task role needs to
// resolve reqs: secretsmanager:GetSecretValue on each secret (its ARN as
// DescribeSecret returns it, else both forms that could match; see
// row.resources), ssm:GetParameters on each parameter, and kms:Decrypt on each
// customer-managed key that protects one, restricted by kms:ViaService to
// the service and region that use it. AWS-managed keys need no statement.
// When the resolver would batch some of the secrets (see
// resolver.BatchesSecrets), it allows secretsmanager:BatchGetSecretValue
// on "*": the action has no resource type, and it returns only the
// secrets that GetSecretValue allows. Config.NoSecretBatches leaves it out.
// With Config.FallbackRegions it adds, for every fallback region, each
// secret's replica ARN (the region replaced) and each parameter's ARN, and
// kms:Decrypt on the replicas' customer-managed keys, with kms:ViaService
// for their regions. Statements come in a fixed order with sorted resources, so the output
// diffs well.
//
// To find the keys it calls DescribeSecret, DescribeParameters and
// kms:DescribeKey; it reads no value. The notes say what it could not
// find out, each needing a look by hand.
func (c *Checker) Policy(ctx context.Context, reqs []reference.Request) (*Policy, []string, error) {
	return c.PolicyFor(ctx, reqs, Inputs{})
}

// PolicyFor is Policy for reqs and the SSM paths and JSON secrets of in:
// a JSON secret needs what a reference to it needs; a path needs
// ssm:GetParametersByPath on its ARN (in the default region), and
// kms:Decrypt on the customer-managed keys of the parameters under it now.
func (c *Checker) PolicyFor(ctx context.Context, reqs []reference.Request, in Inputs) (*Policy, []string, error) {
	reqs = slices.Concat(reqs, in.Secrets)
	partition, account := reference.PartitionOf(c.cfg.AWS.Region), c.cfg.Account
	if account == "" && (len(in.Paths) > 0 || slices.ContainsFunc(reqs, func(r reference.Request) bool { return r.Ref.Partition == "" })) {
		out, err := c.identity(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("finding the account of short-form references with sts:GetCallerIdentity (or pass --account): %w", err)
		}
		account = aws.ToString(out.Account)
		if f := strings.Split(aws.ToString(out.Arn), ":"); len(f) > 2 {
			partition = f[1]
		}
	}

	rows := make([]*row, len(reqs))
	for i, req := range reqs {
		region, _ := awsapi.RequestRegion(req.Ref.Region, c.cfg.AWS.Region) // examine reports a missing region
		rows[i] = &row{ref: req.Ref, Row: Row{Var: req.Var, Ref: req.Ref.String(), Parses: true, Service: string(req.Ref.Service), Region: region}}
	}
	pathRows, pathNotes, err := c.pathRows(ctx, in.Paths)
	if err != nil {
		return nil, nil, err
	}
	rows = append(rows, pathRows...)
	c.examine(ctx, rows, false)

	resources := map[string]map[string]bool{} // sid → resources
	via := map[string]map[string]bool{}       // sid → kms:ViaService values
	add := func(m map[string]map[string]bool, sid, v string) {
		if m[sid] == nil {
			m[sid] = map[string]bool{}
		}
		m[sid][v] = true
	}
	notes := pathNotes
	for _, p := range in.Paths {
		add(resources, SidParameterPaths, pathARN(partition, c.cfg.AWS.Region, account, p.Path))
	}
	for _, r := range rows {
		if r.hasCode(awsapi.CodeNoRegion) {
			return nil, nil, fmt.Errorf("%s: %q: %w", r.Var, r.Ref, awsapi.ErrNoRegion)
		}
		readSid, decryptSid := SidParameters, SidDecryptParameters
		if r.ref.Service == reference.SecretsManager {
			readSid, decryptSid = SidSecrets, SidDecryptSecrets
		}
		for _, arn := range r.resources(partition, account) {
			if !r.viaPath {
				add(resources, readSid, arn)
			}
		}
		if r.Exists == No {
			notes = append(notes, fmt.Sprintf("%s: %q does not exist in %s; the policy names it anyway", r.Var, r.Ref, r.Region))
			continue
		}
		for _, u := range r.Unchecked {
			notes = append(notes, fmt.Sprintf("%s: could not check %s; if a customer-managed KMS key protects it, add kms:Decrypt on that key", r.Var, u))
		}
		if r.key == nil || r.key.managed() == "aws" {
			continue
		}
		arn := r.key.arn(reference.PartitionOf(r.key.at.region), account)
		if arn == "" {
			notes = append(notes, fmt.Sprintf("%s: could not find the ARN of KMS key %s; add kms:Decrypt on it by hand", r.Var, r.key.at.id))
			continue
		}
		add(resources, decryptSid, arn)
		add(via, decryptSid, awsapi.Endpoint(r.ref.Service, r.Region))
	}
	// The fallback regions: each secret's replica there and the key that
	// encrypts it, each parameter of the same name.
	for _, r := range rows {
		if r.Exists == No || r.viaPath || r.path {
			continue
		}
		readSid, decryptSid := SidParameters, SidDecryptParameters
		if r.ref.Service == reference.SecretsManager {
			readSid, decryptSid = SidSecrets, SidDecryptSecrets
		}
		for _, region := range c.cfg.FallbackRegions {
			if region == r.Region {
				continue
			}
			for _, arn := range r.resources(partition, account) {
				add(resources, readSid, replaceRegion(arn, region))
			}
			if r.ref.Service == reference.SSM && r.key != nil && r.key.managed() != "aws" {
				notes = append(notes, fmt.Sprintf("%s: in %s, add kms:Decrypt on the key that encrypts the parameter's copy there (SSM does not replicate: its key is your choice)", r.Var, region))
			}
		}
		for _, rep := range r.replicas {
			if rep.key == nil || rep.key.managed() == "aws" {
				continue
			}
			arn := rep.key.arn(reference.PartitionOf(rep.key.at.region), account)
			if arn == "" {
				notes = append(notes, fmt.Sprintf("%s: could not find the ARN of KMS key %s of the replica in %s; add kms:Decrypt on it by hand", r.Var, rep.key.at.id, rep.Region))
				continue
			}
			add(resources, decryptSid, arn)
			add(via, decryptSid, awsapi.Endpoint(r.ref.Service, rep.Region))
		}
	}

	if !c.cfg.NoSecretBatches && resolver.BatchesSecrets(reqs, c.cfg.AWS.Region) {
		add(resources, SidBatchSecrets, "*")
	}

	p := &Policy{Version: "2012-10-17"}
	actions := map[string]string{
		SidSecrets:           "secretsmanager:GetSecretValue",
		SidBatchSecrets:      "secretsmanager:BatchGetSecretValue",
		SidParameters:        "ssm:GetParameters",
		SidParameterPaths:    "ssm:GetParametersByPath",
		SidDecryptSecrets:    "kms:Decrypt",
		SidDecryptParameters: "kms:Decrypt",
	}
	for _, sid := range []string{SidSecrets, SidBatchSecrets, SidParameters, SidParameterPaths, SidDecryptSecrets, SidDecryptParameters} {
		if len(resources[sid]) == 0 {
			continue
		}
		st := Statement{Sid: sid, Effect: "Allow", Action: actions[sid], Resource: sortedKeys(resources[sid])}
		if v := via[sid]; len(v) > 0 {
			st.Condition = map[string]map[string][]string{"StringEquals": {"kms:ViaService": sortedKeys(v)}}
		}
		p.Statement = append(p.Statement, st)
	}
	slices.Sort(notes)
	return p, notes, nil
}

// replaceRegion returns arn with its region replaced.
func replaceRegion(arn, region string) string {
	f := strings.SplitN(arn, ":", 5)
	if len(f) < 5 || f[0] != "arn" {
		return arn
	}
	f[3] = region
	return strings.Join(f, ":")
}

// resources returns what the policy names for the row's secret or
// parameter. A secret's ARN ends in "-" and six random characters that
// only AWS knows, and a name cannot tell whether it holds them:
// "app/my-secret" and "app/db-master" look suffixed but are names, and
// "arn:...:secret:app/db" may be a complete ARN or a partial one. So when
// DescribeSecret gave the ARN (the row's ARN), that is the resource;
// otherwise (the secret is missing, or DescribeSecret was denied) the
// policy names both the ARN as written, which matches when it is
// complete, and with "-??????", which matches the one suffix AWS appends
// when it is not. The form that does not apply matches only a secret
// whose ARN spells the same by chance: one named "app/my" whose random
// suffix is "secret", or one named "db-AbCdEf" for a complete ARN.
func (r *row) resources(partition, account string) []string {
	if r.ref.Service != reference.SecretsManager {
		return []string{r.ref.ARN(partition, r.Region, account)}
	}
	if r.ARN != "" {
		return []string{r.ARN}
	}
	exact := r.ref.ID()
	if r.ref.Partition == "" {
		exact = fmt.Sprintf("arn:%s:secretsmanager:%s:%s:secret:%s", partition, r.Region, account, r.ref.Name)
	}
	return []string{exact, exact + "-??????"}
}

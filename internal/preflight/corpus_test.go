package preflight

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/valuefrom/valuefrom/internal/pipeline"
	"github.com/valuefrom/valuefrom/internal/testkit/corpus"
	"github.com/valuefrom/valuefrom/resolver/reference"
)

// nothingThere answers as AWS does for a secret or parameter that does
// not exist, so that the policy names what the reference says.
type nothingThere struct{}

func (nothingThere) DescribeSecret(context.Context, *secretsmanager.DescribeSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	return nil, &smtypes.ResourceNotFoundException{Message: aws.String("Secrets Manager can't find the specified secret.")}
}

func (nothingThere) GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	return nil, &smtypes.ResourceNotFoundException{Message: aws.String("Secrets Manager can't find the specified secret.")}
}

func (nothingThere) BatchGetSecretValue(context.Context, *secretsmanager.BatchGetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.BatchGetSecretValueOutput, error) {
	return &secretsmanager.BatchGetSecretValueOutput{}, nil
}

func (nothingThere) DescribeParameters(context.Context, *ssm.DescribeParametersInput, ...func(*ssm.Options)) (*ssm.DescribeParametersOutput, error) {
	return &ssm.DescribeParametersOutput{}, nil
}

func (nothingThere) GetParameters(context.Context, *ssm.GetParametersInput, ...func(*ssm.Options)) (*ssm.GetParametersOutput, error) {
	return &ssm.GetParametersOutput{}, nil
}

// TestPolicyCorpus: for every reference of the corpus (managed secrets'
// names among them, issue 19 item 1), the policy names the secret's ARN
// as written and its "-??????" form, or the parameter's ARN: never a
// wider wildcard, and always a pattern that matches the secret's real
// ARN. A malformed one gets no policy, as a start gets no value.
func TestPolicyCorpus(t *testing.T) {
	const account = "111122223333"
	for _, c := range corpus.References(t) {
		if c.Outcome == corpus.Pass {
			continue
		}
		t.Run(c.In, func(t *testing.T) {
			reqs, err := pipeline.Find([]string{"V=" + c.In}, nil)
			if c.Outcome == corpus.Malformed {
				if err == nil {
					t.Errorf("line %d: a malformed reference would get a policy", c.Line)
				}
				return
			}
			if err != nil {
				t.Fatalf("line %d: %v", c.Line, err)
			}
			ch := New(Config{AWS: aws.Config{Region: "us-east-1"}, Account: account, NoSecretBatches: true})
			ch.secrets.New = func(string) secretsAPI { return nothingThere{} }
			ch.parameters.New = func(string) parametersAPI { return nothingThere{} }
			p, _, err := ch.Policy(context.Background(), reqs)
			if err != nil {
				t.Fatalf("line %d: %v", c.Line, err)
			}
			if len(p.Statement) != 1 {
				t.Fatalf("line %d: statements %+v, want one", c.Line, p.Statement)
			}
			got := p.Statement[0].Resource
			ref := reqs[0].Ref
			if ref.Service == reference.SSM {
				if want := []string{ref.ARN("aws", "us-east-1", account)}; !slices.Equal(got, want) {
					t.Errorf("line %d: resources %q, want %q", c.Line, got, want)
				}
				return
			}
			exact := ref.ID()
			if ref.Partition == "" {
				exact = "arn:aws:secretsmanager:us-east-1:" + account + ":secret:" + ref.Name
			}
			if want := []string{exact, exact + "-??????"}; !slices.Equal(got, want) {
				t.Errorf("line %d: resources %q, want %q", c.Line, got, want)
			}
			for _, r := range got {
				if strings.Contains(r, "*") || strings.Count(r, "?") > 6 {
					t.Errorf("line %d: resource %q is wider than the secret", c.Line, r)
				}
			}
			// The secret's real ARN: the name and six characters, unless the
			// reference is the complete ARN.
			real := exact + "-AbCdEf"
			if !slices.ContainsFunc(got, func(pattern string) bool { return iamMatch(pattern, real) }) {
				t.Errorf("line %d: no resource matches %s: the task would get AccessDenied", c.Line, real)
			}
		})
	}
}

package preflight

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"

	"github.com/valuefrom/valuefrom/internal/awsapi/kms"
	"github.com/valuefrom/valuefrom/resolver/reference"
)

const (
	primaryKey = "arn:aws:kms:us-east-1:123456789012:key/mrk-1234"
	replicaKey = "arn:aws:kms:us-west-2:123456789012:key/mrk-1234"
)

// replicatedSecret is a Secrets Manager region whose secret app/db has a
// replica in us-west-2 encrypted by replicaKey, and none in eu-west-1.
type replicatedSecret struct{ region string }

func (s replicatedSecret) DescribeSecret(_ context.Context, in *secretsmanager.DescribeSecretInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	if s.region != "us-east-1" {
		return nil, &smithy.GenericAPIError{Code: "ResourceNotFoundException", Message: "no such secret"}
	}
	return &secretsmanager.DescribeSecretOutput{
		ARN: aws.String("arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-AbCdEf"), KmsKeyId: aws.String(primaryKey),
		ReplicationStatus: []smtypes.ReplicationStatusType{{Region: aws.String("us-west-2"), KmsKeyId: aws.String(replicaKey), Status: smtypes.StatusTypeInSync}},
	}, nil
}

func (s replicatedSecret) GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	return &secretsmanager.GetSecretValueOutput{SecretString: aws.String("canary-replica-41aa")}, nil
}

// BatchGetSecretValue is never called: the checks here have one secret.
func (s replicatedSecret) BatchGetSecretValue(context.Context, *secretsmanager.BatchGetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.BatchGetSecretValueOutput, error) {
	panic("BatchGetSecretValue of a lone secret")
}

// keyStates answers DescribeKey with the state of each key by ARN.
type keyStates map[string]kmstypes.KeyState

func (k keyStates) DescribeKey(_ context.Context, id string) (kms.KeyMetadata, error) {
	typ := kmstypes.MultiRegionKeyTypePrimary
	if strings.Contains(id, "us-west-2") {
		typ = kmstypes.MultiRegionKeyTypeReplica
	}
	return kms.KeyMetadata{Arn: id, KeyID: id, KeyState: string(k[id]), Enabled: k[id] == kmstypes.KeyStateEnabled,
		KeyManager: string(kmstypes.KeyManagerTypeCustomer), KeySpec: string(kmstypes.KeySpecSymmetricDefault), MultiRegion: true,
		MultiRegionKeyType: string(typ)}, nil
}

func (k keyStates) GetKeyRotationStatus(context.Context, string) (bool, error) { return false, nil }

func replicaChecker(fallback []string, states keyStates) *Checker {
	c := New(Config{AWS: aws.Config{Region: "us-east-1"}, Concurrency: 2, FallbackRegions: fallback,
		Now: func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }})
	c.secrets.New = func(region string) secretsAPI { return replicatedSecret{region} }
	c.keys.New = func(string) keysAPI { return states }
	return c
}

func TestCheckReplicas(t *testing.T) {
	environ := []string{"DB=secretsmanager:app/db"}
	tests := []struct {
		name     string
		fallback []string
		state    kmstypes.KeyState
		verdict  Verdict
		codes    []string
	}{
		{"in sync, key enabled", []string{"us-west-2"}, kmstypes.KeyStateEnabled, OK, nil},
		{"replica key disabled", []string{"us-west-2"}, kmstypes.KeyStateDisabled, Fail, []string{"ReplicaKMSKeyDisabled"}},
		{"replica key pending deletion", []string{"us-west-2"}, kmstypes.KeyStatePendingDeletion, Fail, []string{"ReplicaKMSKeyPendingDeletion"}},
		{"no replica in one region", []string{"us-west-2", "eu-west-1"}, kmstypes.KeyStateEnabled, Warning, []string{CodeNoReplica}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			states := keyStates{primaryKey: kmstypes.KeyStateEnabled, replicaKey: tt.state}
			rep := replicaChecker(tt.fallback, states).Check(context.Background(), environ, nil)
			row := rep.Rows[0]
			if row.Verdict != tt.verdict {
				t.Errorf("verdict %s, want %s: %+v", row.Verdict, tt.verdict, row.Problems)
			}
			var codes []string
			for _, p := range row.Problems {
				codes = append(codes, p.Code)
			}
			if strings.Join(codes, ",") != strings.Join(tt.codes, ",") {
				t.Errorf("problems %q, want %q", codes, tt.codes)
			}
			if len(row.Replicas) != len(tt.fallback) {
				t.Fatalf("replicas %+v, want one per fallback region", row.Replicas)
			}
			west := row.Replicas[0]
			if west.Region != "us-west-2" || west.Exists != Yes || west.Status != "InSync" || west.KMS == nil ||
				west.KMS.MultiRegion != "replica" || west.KMS.State != string(tt.state) {
				t.Errorf("us-west-2's replica = %+v (key %+v)", west, west.KMS)
			}
			if len(tt.fallback) > 1 {
				if eu := row.Replicas[1]; eu.Exists != No || !strings.Contains(row.Problems[0].Message, "eu-west-1") {
					t.Errorf("eu-west-1's replica = %+v, problem %q: want none, named", eu, row.Problems[0].Message)
				}
			}
			var out strings.Builder
			rep.WriteTable(&out)
			if strings.Contains(out.String(), "canary") || !strings.Contains(out.String(), "DB: fallback regions: us-west-2 InSync") {
				t.Errorf("table:\n%s", out.String())
			}
		})
	}
}

func TestPolicyReplicas(t *testing.T) {
	c := replicaChecker([]string{"us-west-2"}, keyStates{primaryKey: kmstypes.KeyStateEnabled, replicaKey: kmstypes.KeyStateEnabled})
	c.cfg.Account = "123456789012"
	ref, err := reference.Parse("secretsmanager:app/db")
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := c.Policy(context.Background(), []reference.Request{{Var: "DB", Ref: ref}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Statement{}
	for _, st := range p.Statement {
		got[st.Sid] = st
	}
	wantRead := []string{"arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-AbCdEf", "arn:aws:secretsmanager:us-west-2:123456789012:secret:app/db-AbCdEf"}
	if r := got[SidSecrets].Resource; strings.Join(r, " ") != strings.Join(wantRead, " ") {
		t.Errorf("ReadSecrets resources %q, want %q", r, wantRead)
	}
	dec := got[SidDecryptSecrets]
	if strings.Join(dec.Resource, " ") != primaryKey+" "+replicaKey {
		t.Errorf("DecryptSecrets resources %q, want both keys", dec.Resource)
	}
	if via := dec.Condition["StringEquals"]["kms:ViaService"]; strings.Join(via, " ") != "secretsmanager.us-east-1.amazonaws.com secretsmanager.us-west-2.amazonaws.com" {
		t.Errorf("kms:ViaService %q, want both regions' Secrets Manager", via)
	}
}

package mototest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// Secret is a version of a secret in the emulator.
type Secret struct {
	Name      string
	ARN       string
	VersionID string
	Value     string // SecretString, or SecretBinary's bytes
}

// Parameter is a version of a parameter in the emulator.
type Parameter struct {
	Name    string
	ARN     string
	Version int64
	Value   string
}

// Seeder creates secrets, parameters and KMS keys in one region of the
// emulator. Each method fails the test, naming the call and the resource
// but never a value, when the emulator refuses.
type Seeder struct {
	tb     testing.TB
	region string
	key    string // KMS key for new secrets and SecureString parameters
	sm     *secretsmanager.Client
	ssm    *ssm.Client
	kms    *kms.Client
}

// Seeder returns a Seeder for region.
func (s *Server) Seeder(tb testing.TB, region string) *Seeder {
	tb.Helper()
	cfg := s.Config(tb, region)
	return &Seeder{
		tb:     tb,
		region: region,
		sm:     secretsmanager.NewFromConfig(cfg),
		ssm:    ssm.NewFromConfig(cfg),
		kms:    kms.NewFromConfig(cfg),
	}
}

// WithKey returns a Seeder that encrypts the secrets and SecureString
// parameters it creates with the KMS key keyID (an id, ARN or alias).
func (sd *Seeder) WithKey(keyID string) *Seeder {
	c := *sd
	c.key = keyID
	return &c
}

func (sd *Seeder) fatal(call, name string, err error) {
	sd.tb.Helper()
	sd.tb.Fatalf("mototest: %s %s in %s: %v", call, name, sd.region, err)
}

func (sd *Seeder) keyID() *string {
	if sd.key == "" {
		return nil
	}
	return aws.String(sd.key)
}

// Secret creates the secret name holding the string value.
func (sd *Seeder) Secret(name, value string) Secret {
	sd.tb.Helper()
	return sd.create(&secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)}, value)
}

// BinarySecret creates the secret name holding the bytes value.
func (sd *Seeder) BinarySecret(name string, value []byte) Secret {
	sd.tb.Helper()
	return sd.create(&secretsmanager.CreateSecretInput{Name: aws.String(name), SecretBinary: value}, string(value))
}

// JSONSecret creates the secret name holding fields encoded as JSON.
func (sd *Seeder) JSONSecret(name string, fields map[string]string) Secret {
	sd.tb.Helper()
	b, err := json.Marshal(fields)
	if err != nil {
		sd.fatal("encoding", name, err)
	}
	return sd.Secret(name, string(b))
}

func (sd *Seeder) create(in *secretsmanager.CreateSecretInput, value string) Secret {
	sd.tb.Helper()
	in.KmsKeyId = sd.keyID()
	out, err := sd.sm.CreateSecret(context.Background(), in)
	if err != nil {
		sd.fatal("CreateSecret", aws.ToString(in.Name), err)
	}
	return Secret{Name: aws.ToString(in.Name), ARN: aws.ToString(out.ARN), VersionID: aws.ToString(out.VersionId), Value: value}
}

// NewVersion puts value as a new version of the secret name, which
// becomes AWSCURRENT; the version it replaces becomes AWSPREVIOUS.
func (sd *Seeder) NewVersion(name, value string) Secret {
	sd.tb.Helper()
	out, err := sd.sm.PutSecretValue(context.Background(), &secretsmanager.PutSecretValueInput{SecretId: aws.String(name), SecretString: aws.String(value)})
	if err != nil {
		sd.fatal("PutSecretValue", name, err)
	}
	return Secret{Name: name, ARN: aws.ToString(out.ARN), VersionID: aws.ToString(out.VersionId), Value: value}
}

// Parameter puts value as the parameter name of type typ (String,
// StringList or SecureString): its first version, or a new one.
func (sd *Seeder) Parameter(name string, typ ssmtypes.ParameterType, value string) Parameter {
	sd.tb.Helper()
	in := &ssm.PutParameterInput{Name: aws.String(name), Type: typ, Value: aws.String(value), Overwrite: aws.Bool(true)}
	if typ == ssmtypes.ParameterTypeSecureString {
		in.KeyId = sd.keyID()
	}
	out, err := sd.ssm.PutParameter(context.Background(), in)
	if err != nil {
		sd.fatal("PutParameter", name, err)
	}
	return Parameter{Name: name, ARN: sd.parameterARN(name), Version: out.Version, Value: value}
}

// parameterARN is the ARN of the parameter name in moto's default account.
func (sd *Seeder) parameterARN(name string) string {
	if name != "" && name[0] != '/' {
		name = "/" + name
	}
	return fmt.Sprintf("arn:aws:ssm:%s:%s:parameter%s", sd.region, Account, name)
}

// Label attaches labels to the version of p.
func (sd *Seeder) Label(p Parameter, labels ...string) {
	sd.tb.Helper()
	_, err := sd.ssm.LabelParameterVersion(context.Background(), &ssm.LabelParameterVersionInput{
		Name: aws.String(p.Name), ParameterVersion: aws.Int64(p.Version), Labels: labels,
	})
	if err != nil {
		sd.fatal("LabelParameterVersion", p.Name, err)
	}
}

// KeyOptions describes a KMS key for Seeder.Key.
type KeyOptions struct {
	Alias           string // such as alias/app; none if empty
	MultiRegion     bool
	ReplicaRegion   string // where to replicate a multi-Region key; none if empty
	Disabled        bool
	PendingDeletion bool // scheduled for deletion in 7 days
}

// Key creates a customer managed KMS key as opts describe and returns its
// id. Note that moto's key state has no effect on reads.
func (sd *Seeder) Key(opts KeyOptions) string {
	sd.tb.Helper()
	ctx := context.Background()
	out, err := sd.kms.CreateKey(ctx, &kms.CreateKeyInput{MultiRegion: aws.Bool(opts.MultiRegion)})
	if err != nil {
		sd.fatal("CreateKey", "", err)
	}
	id := aws.ToString(out.KeyMetadata.KeyId)
	if opts.Alias != "" {
		if _, err := sd.kms.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(opts.Alias), TargetKeyId: aws.String(id)}); err != nil {
			sd.fatal("CreateAlias", opts.Alias, err)
		}
	}
	if opts.Disabled {
		if _, err := sd.kms.DisableKey(ctx, &kms.DisableKeyInput{KeyId: aws.String(id)}); err != nil {
			sd.fatal("DisableKey", id, err)
		}
	}
	if opts.PendingDeletion {
		if _, err := sd.kms.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: aws.String(id), PendingWindowInDays: aws.Int32(7)}); err != nil {
			sd.fatal("ScheduleKeyDeletion", id, err)
		}
	}
	if opts.ReplicaRegion != "" {
		if _, err := sd.kms.ReplicateKey(ctx, &kms.ReplicateKeyInput{KeyId: aws.String(id), ReplicaRegion: aws.String(opts.ReplicaRegion)}); err != nil {
			sd.fatal("ReplicateKey", id, err)
		}
	}
	return id
}

// FixRandom seeds the emulator's random source with a, so that ARN
// suffixes and key ids are the same on every run that creates the same
// resources in the same order.
func (s *Server) FixRandom(tb testing.TB, a int) {
	tb.Helper()
	resp, err := http.Post(fmt.Sprintf("%s/moto-api/seed?a=%d", s.URL, a), "", nil)
	if err != nil {
		tb.Fatalf("mototest: seeding moto's random source: %v", err)
	}
	resp.Body.Close()
}

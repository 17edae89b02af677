package awsstub_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"

	"github.com/valuefrom/valuefrom/internal/testkit/awsstub"
)

// sdkConfig points the SDK at url in eu-west-3: the stub takes any region.
func sdkConfig(url string) aws.Config {
	cfg := awsstub.Config(url)
	cfg.Region = "eu-west-3"
	return cfg
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return fmt.Sprintf("not an API error: %v", err)
}

func TestGetSecretValue(t *testing.T) {
	s := awsstub.Serve(t, awsstub.Options{})
	v1 := s.PutSecretString("app/db", "one")
	v2 := s.PutSecretString("app/db", "two")
	sm := secretsmanager.NewFromConfig(sdkConfig(s.URL()))
	ctx := context.Background()

	cur, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/db")})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(cur.SecretString), "two"; got != want {
		t.Errorf("SecretString = %q, want %q", got, want)
	}
	if aws.ToString(cur.VersionId) != v2 || aws.ToString(cur.Name) != "app/db" || !slices.Equal(cur.VersionStages, []string{"AWSCURRENT"}) {
		t.Errorf("got VersionId %q Name %q stages %v, want %q app/db [AWSCURRENT]", aws.ToString(cur.VersionId), aws.ToString(cur.Name), cur.VersionStages, v2)
	}
	if cur.CreatedDate == nil || cur.CreatedDate.Before(time.Unix(1700000000, 0)) {
		t.Errorf("CreatedDate = %v, want a parsed time", cur.CreatedDate)
	}

	tests := []struct {
		name string
		in   secretsmanager.GetSecretValueInput
		want string // SecretString, or the error code
	}{
		{"by full ARN", secretsmanager.GetSecretValueInput{SecretId: cur.ARN}, "two"},
		{"by partial ARN", secretsmanager.GetSecretValueInput{SecretId: aws.String("arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db")}, "two"},
		{"by VersionId", secretsmanager.GetSecretValueInput{SecretId: aws.String("app/db"), VersionId: aws.String(v1)}, "one"},
		{"by AWSPREVIOUS", secretsmanager.GetSecretValueInput{SecretId: aws.String("app/db"), VersionStage: aws.String("AWSPREVIOUS")}, "one"},
		{"missing secret", secretsmanager.GetSecretValueInput{SecretId: aws.String("nope")}, "ResourceNotFoundException"},
		{"missing stage", secretsmanager.GetSecretValueInput{SecretId: aws.String("app/db"), VersionStage: aws.String("NOPE")}, "ResourceNotFoundException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := sm.GetSecretValue(ctx, &tt.in)
			got := errorCode(err)
			if err == nil {
				got = aws.ToString(out.SecretString)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}

	if got, want := s.Counts()[awsstub.OpGetSecretValue], 1+len(tests); got != want {
		t.Errorf("GetSecretValue count = %d, want %d", got, want)
	}
}

func TestBatchGetSecretValue(t *testing.T) {
	s := awsstub.Serve(t, awsstub.Options{})
	s.PutSecretString("app/db", "one")
	s.PutSecretString("app/db", "two")
	s.PutSecretString("app/api", "key")
	s.PutSecretString("app/staged", "pending", "AWSPENDING") // no AWSCURRENT version
	sm := secretsmanager.NewFromConfig(sdkConfig(s.URL()))
	ctx := context.Background()
	api, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/api")})
	if err != nil {
		t.Fatal(err)
	}
	partial := "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db"
	ids := []string{"app/db", aws.ToString(api.ARN), partial, "nope", "app/staged"}
	out, err := sm.BatchGetSecretValue(ctx, &secretsmanager.BatchGetSecretValueInput{SecretIdList: ids})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range out.SecretValues {
		got = append(got, aws.ToString(v.Name)+"="+aws.ToString(v.SecretString))
		if !strings.HasPrefix(aws.ToString(v.ARN), "arn:aws:secretsmanager:us-east-1:123456789012:secret:"+aws.ToString(v.Name)+"-") ||
			aws.ToString(v.VersionId) == "" || !slices.Contains(v.VersionStages, "AWSCURRENT") {
			t.Errorf("%s: ARN %s, VersionId %q, stages %v", aws.ToString(v.Name), aws.ToString(v.ARN), aws.ToString(v.VersionId), v.VersionStages)
		}
	}
	// By name, full ARN and partial ARN, in order.
	if want := []string{"app/db=two", "app/api=key", "app/db=two"}; !slices.Equal(got, want) {
		t.Errorf("SecretValues %q, want %q", got, want)
	}
	var errs []string
	for _, e := range out.Errors {
		errs = append(errs, aws.ToString(e.SecretId)+" "+aws.ToString(e.ErrorCode))
	}
	if want := []string{"nope ResourceNotFoundException", "app/staged ResourceNotFoundException"}; !slices.Equal(errs, want) {
		t.Errorf("Errors %q, want %q", errs, want)
	}

	many := make([]string, awsstub.MaxBatchGetSecretValue+1)
	for i := range many {
		many[i] = fmt.Sprintf("s%d", i)
	}
	if _, err := sm.BatchGetSecretValue(ctx, &secretsmanager.BatchGetSecretValueInput{SecretIdList: many[:awsstub.MaxBatchGetSecretValue]}); err != nil {
		t.Errorf("%d ids: %v", awsstub.MaxBatchGetSecretValue, err)
	}
	_, err = sm.BatchGetSecretValue(ctx, &secretsmanager.BatchGetSecretValueInput{SecretIdList: many})
	if got, want := errorCode(err), "ValidationException"; got != want {
		t.Errorf("%d ids: got %q, want %q", len(many), got, want)
	}
	if got := s.Counts()[awsstub.OpBatchGetSecretValue]; got != 3 {
		t.Errorf("BatchGetSecretValue count = %d, want 3", got)
	}
}

func TestGetParameters(t *testing.T) {
	s := awsstub.Serve(t, awsstub.Options{})
	s.PutParameter("/app/db", "String", "v1", "blue")
	s.PutParameter("/app/db", "String", "v2", "green")
	s.PutParameter("/app/db", "String", "v3")
	s.PutParameter("/app/key", "SecureString", "s3cret")
	s.PutParameter("/app/hosts", "StringList", "a,b")
	c := ssm.NewFromConfig(sdkConfig(s.URL()))
	ctx := context.Background()

	tests := []struct {
		name     string
		decrypt  bool
		want     string // Name Selector Version Type Value
		wantNone bool
	}{
		{name: "/app/db", want: "/app/db  3 String v3"},
		{name: "/app/db:1", want: "/app/db :1 1 String v1"},
		{name: "/app/db:green", want: "/app/db :green 2 String v2"},
		{name: "/app/hosts", want: "/app/hosts  1 StringList a,b"},
		{name: "/app/key", decrypt: true, want: "/app/key  1 SecureString s3cret"},
		{name: "arn:aws:ssm:us-east-1:123456789012:parameter/app/db:2", want: "arn:aws:ssm:us-east-1:123456789012:parameter/app/db :2 2 String v2"},
		{name: "/app/db:4", wantNone: true},
		{name: "/app/db:red", wantNone: true},
		{name: "/nope", wantNone: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := c.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{tt.name}, WithDecryption: aws.Bool(tt.decrypt)})
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantNone {
				if len(out.Parameters) != 0 || !slices.Equal(out.InvalidParameters, []string{tt.name}) {
					t.Errorf("got %+v, InvalidParameters %v; want only InvalidParameters [%s]", out.Parameters, out.InvalidParameters, tt.name)
				}
				return
			}
			if len(out.Parameters) != 1 {
				t.Fatalf("got %d parameters, InvalidParameters %v", len(out.Parameters), out.InvalidParameters)
			}
			p := out.Parameters[0]
			got := fmt.Sprintf("%s %s %d %s %s", aws.ToString(p.Name), aws.ToString(p.Selector), p.Version, p.Type, aws.ToString(p.Value))
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if aws.ToString(p.DataType) != "text" || p.LastModifiedDate == nil || aws.ToString(p.ARN) == "" {
				t.Errorf("DataType %q LastModifiedDate %v ARN %q", aws.ToString(p.DataType), p.LastModifiedDate, aws.ToString(p.ARN))
			}
		})
	}

	enc, err := c.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"/app/key"}})
	if err != nil {
		t.Fatal(err)
	}
	if v := aws.ToString(enc.Parameters[0].Value); v == "s3cret" {
		t.Errorf("SecureString without decryption returned the plaintext")
	}

	names := []string{"/app/db", "/app/key", "/app/hosts", "/a", "/b", "/c", "/d", "/e", "/f", "/g", "/h"}
	if _, err := c.GetParameters(ctx, &ssm.GetParametersInput{Names: names[:awsstub.MaxGetParameters]}); err != nil {
		t.Errorf("%d names: %v", awsstub.MaxGetParameters, err)
	}
	_, err = c.GetParameters(ctx, &ssm.GetParametersInput{Names: names})
	if got, want := errorCode(err), "ValidationException"; got != want {
		t.Errorf("%d names: got %q, want %q", len(names), got, want)
	}
	if got, want := s.Counts()[awsstub.OpGetParameters], len(tests)+3; got != want {
		t.Errorf("GetParameters count = %d, want %d", got, want)
	}
}

// TestParallel shows that requests overlap: with a delay, N concurrent
// requests are all inside the server at once.
func TestParallel(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: holds each request for a real 300 ms")
	}
	const n = 16
	s := awsstub.Serve(t, awsstub.Options{Delay: 300 * time.Millisecond})
	s.PutSecretString("x", "X")
	sm := secretsmanager.NewFromConfig(sdkConfig(s.URL()))

	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, err := sm.GetSecretValue(t.Context(), &secretsmanager.GetSecretValueInput{SecretId: aws.String("x")})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := s.Counts()[awsstub.OpGetSecretValue]; got != n {
		t.Errorf("count = %d, want %d", got, n)
	}
	// Each request is held for the whole delay, so all n overlap unless one
	// arrives more than 300 ms after the first; a serialising server reaches 1.
	if got := s.MaxInFlight(); got != n {
		t.Errorf("MaxInFlight = %d, want %d", got, n)
	}
}

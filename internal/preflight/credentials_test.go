package preflight

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// identityFunc is an identityAPI of one function.
type identityFunc func() (*sts.GetCallerIdentityOutput, error)

func (f identityFunc) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	return f()
}

// TestCheckHeader: check's header names the credentials' source and their
// identity, asked of STS once and shared with policy; when STS cannot say,
// it says why. A check of settings alone asks STS nothing.
func TestCheckHeader(t *testing.T) {
	environ := []string{"A=ssm:bad::"} // a reference row that needs no AWS call
	calls := 0
	c := New(Config{AWS: aws.Config{Region: "us-east-1"}})
	c.newIdentity = func(string) identityAPI {
		return identityFunc(func() (*sts.GetCallerIdentityOutput, error) {
			calls++
			return &sts.GetCallerIdentityOutput{Arn: aws.String("arn:aws:sts::123456789012:assumed-role/app/i-1"), Account: aws.String("123456789012")}, nil
		})
	}
	rep := c.Check(context.Background(), environ, nil)
	var table bytes.Buffer
	rep.WriteTable(&table)
	for _, want := range []string{"credentials: the SDK's default credential chain\n",
		"identity: arn:aws:sts::123456789012:assumed-role/app/i-1 (account 123456789012)\n\nVARIABLE"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
	c.identity(context.Background()) // policy's account
	if calls != 1 {
		t.Errorf("%d GetCallerIdentity calls, want 1", calls)
	}

	c = New(Config{AWS: aws.Config{Region: "us-east-1"}})
	c.newIdentity = func(string) identityAPI {
		return identityFunc(func() (*sts.GetCallerIdentityOutput, error) { return nil, errors.New("no route to STS") })
	}
	rep = c.Check(context.Background(), environ, nil)
	table.Reset()
	rep.WriteTable(&table)
	if want := "identity: unknown: sts:GetCallerIdentity failed: no route to STS\n"; !strings.Contains(table.String(), want) {
		t.Errorf("table lacks %q:\n%s", want, table.String())
	}

	c = New(Config{AWS: aws.Config{Region: "us-east-1"}, Settings: true})
	c.newIdentity = func(string) identityAPI { t.Fatal("STS asked for a check of settings alone"); return nil }
	if rep := c.Check(context.Background(), []string{"VALUEFROM_TIMEOUT=x"}, nil); rep.Credentials != nil {
		t.Errorf("credentials %+v for a check of settings alone", rep.Credentials)
	}
}

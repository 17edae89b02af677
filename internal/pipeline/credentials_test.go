package pipeline

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/valuefrom/valuefrom/internal/mototest"
	"github.com/valuefrom/valuefrom/internal/settings"
)

// TestExamineCredentials: check and policy report credentials that cannot
// be loaded as a start does, once, as a usage error naming the source,
// before any reference is examined.
func TestExamineCredentials(t *testing.T) {
	addr := mototest.Closed(t)
	containerCredentialsAt(t, addr)
	s, err := settings.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	s.MaxAttempts = 1
	err = Examine(context.Background(), Options{Settings: s}, []string{"A=ssm:/a"},
		func(_ context.Context, _ []string, awsConfig func() (aws.Config, error)) error {
			_, err := awsConfig()
			return err
		})
	var usage *UsageError
	if !errors.As(err, &usage) || !strings.Contains(err.Error(), "container credentials endpoint http://"+addr+"/creds") ||
		!strings.Contains(usage.Hint, "nothing answered") {
		t.Errorf("Examine = %v (hint %q); want a usage error naming the endpoint", err, usageHint(usage))
	}
}

// containerCredentialsAt points the SDK's credentials at the container
// credentials endpoint http://addr/creds, and AWS at a closed port.
func containerCredentialsAt(t *testing.T, addr string) {
	t.Helper()
	awsAt(t, "http://127.0.0.1:1")
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://"+addr+"/creds")
}

// TestExamineSettingsAlone: a check of a container's settings alone, with
// no reference, needs no credentials.
func TestExamineSettingsAlone(t *testing.T) {
	containerCredentialsAt(t, mototest.Closed(t))
	s, err := settings.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	err = Examine(context.Background(), Options{Settings: s}, []string{"VALUEFROM_TIMEOUT=5s", "PLAIN=1"},
		func(_ context.Context, _ []string, awsConfig func() (aws.Config, error)) error {
			_, err := awsConfig()
			return err
		})
	if err != nil {
		t.Errorf("Examine of settings alone = %v, want no credentials asked for", err)
	}
}

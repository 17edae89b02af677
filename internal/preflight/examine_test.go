package preflight_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/pipeline"
	"github.com/valuefrom/valuefrom/internal/preflight"
	"github.com/valuefrom/valuefrom/internal/settings"
	"github.com/valuefrom/valuefrom/internal/taskdef"
	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/testfs"
)

// TestExamine: check and policy get the variables they examine (the env
// files' beneath the environment's) under one deadline, and the AWS
// configuration only when they ask for it.
func TestExamine(t *testing.T) {
	s, err := settings.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	o := pipeline.Options{Settings: s}
	o.Settings.Timeout = 7 * time.Second
	o.Settings.EnvFile = []string{testfs.WriteFile(t, "a.env", "FROM_FILE=ssm:/f\nBOTH=file\n")}
	t.Setenv("AWS_PROFILE", "no-such-profile-examine") // loading the config would fail
	start := time.Now()
	err = preflight.Examine(context.Background(), o, []string{"BOTH=env", "X=1"},
		func(ctx context.Context, vars []string, _ taskdef.Errors, awsConfig func() (aws.Config, error)) error {
			deadline, ok := ctx.Deadline()
			if !ok || deadline.Sub(start) > o.Settings.Timeout+time.Second {
				t.Errorf("deadline %v after the start (set %v): want VALUEFROM_TIMEOUT from the start", deadline.Sub(start), ok)
			}
			want := []string{"FROM_FILE=ssm:/f", "BOTH=env", "X=1"}
			for _, kv := range want {
				if !slices.Contains(vars, kv) {
					t.Errorf("vars %q lack %q", vars, kv)
				}
			}
			if slices.Contains(vars, "BOTH=file") {
				t.Errorf("vars %q: the environment must win over the env file", vars)
			}
			return nil // never asks for the AWS configuration
		})
	if err != nil {
		t.Fatalf("Examine = %v: the AWS configuration must be loaded only when asked for", err)
	}
	err = preflight.Examine(context.Background(), o, nil, func(_ context.Context, _ []string, _ taskdef.Errors, awsConfig func() (aws.Config, error)) error {
		_, err := awsConfig()
		return err
	})
	if err == nil {
		t.Errorf("Examine with an unknown profile, asking for the configuration: no error")
	}
}

// TestExamineCredentials: check and policy report credentials that cannot
// be loaded as a start does, once, as a usage error naming the source,
// before any reference is examined.
func TestExamineCredentials(t *testing.T) {
	addr := mototest.Closed(t)
	mototest.Isolate(t, "AWS_ENDPOINT_URL=http://127.0.0.1:1", "AWS_REGION=us-east-1", "AWS_CONTAINER_CREDENTIALS_FULL_URI=http://"+addr+"/creds")
	s, err := settings.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	s.MaxAttempts = 1
	err = preflight.Examine(context.Background(), pipeline.Options{Settings: s}, []string{"A=ssm:/a"},
		func(_ context.Context, _ []string, _ taskdef.Errors, awsConfig func() (aws.Config, error)) error {
			_, err := awsConfig()
			return err
		})
	var usage *exitcode.UsageError
	if !errors.As(err, &usage) || !strings.Contains(err.Error(), "container credentials endpoint http://"+addr+"/creds") ||
		!strings.Contains(usage.Hint, "nothing answered") {
		t.Errorf("Examine = %v (%+v); want a usage error naming the endpoint", err, usage)
	}
}

// TestExamineSettingsAlone: a check of a container's settings alone, with
// no reference, needs no credentials.
func TestExamineSettingsAlone(t *testing.T) {
	mototest.Isolate(t, "AWS_ENDPOINT_URL=http://127.0.0.1:1", "AWS_REGION=us-east-1", "AWS_CONTAINER_CREDENTIALS_FULL_URI=http://"+mototest.Closed(t)+"/creds")
	s, err := settings.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	err = preflight.Examine(context.Background(), pipeline.Options{Settings: s}, []string{"VALUEFROM_TIMEOUT=5s", "PLAIN=1"},
		func(_ context.Context, _ []string, _ taskdef.Errors, awsConfig func() (aws.Config, error)) error {
			_, err := awsConfig()
			return err
		})
	if err != nil {
		t.Errorf("Examine of settings alone = %v, want no credentials asked for", err)
	}
}

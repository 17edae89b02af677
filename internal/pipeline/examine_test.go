package pipeline_test

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/valuefrom/valuefrom/internal/pipeline"
	"github.com/valuefrom/valuefrom/internal/taskdef"
	"github.com/valuefrom/valuefrom/internal/testfs"
)

// TestExamine: check and policy get the variables they examine (the env
// files' beneath the environment's) under one deadline, and the AWS
// configuration only when they ask for it.
func TestExamine(t *testing.T) {
	var log bytes.Buffer
	o := options(t, &log)
	o.Settings.Timeout = 7 * time.Second
	o.Settings.EnvFile = []string{testfs.WriteFile(t, "a.env", "FROM_FILE=ssm:/f\nBOTH=file\n")}
	t.Setenv("AWS_PROFILE", "no-such-profile-examine") // loading the config would fail
	start := time.Now()
	err := pipeline.Examine(context.Background(), o, []string{"BOTH=env", "X=1"},
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
	err = pipeline.Examine(context.Background(), o, nil, func(_ context.Context, _ []string, _ taskdef.Errors, awsConfig func() (aws.Config, error)) error {
		_, err := awsConfig()
		return err
	})
	if err == nil {
		t.Errorf("Examine with an unknown profile, asking for the configuration: no error")
	}
}

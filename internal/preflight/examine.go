package preflight

import (
	"context"
	"errors"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/valuefrom/valuefrom/internal/awsapi"
	"github.com/valuefrom/valuefrom/internal/pipeline"
	"github.com/valuefrom/valuefrom/internal/taskdef"
)

// Examine is the pipeline of the modes that examine references rather
// than resolve them, check and policy. Under one o.Settings.Timeout it
// finds the variables to examine (with o.TaskDef the container's, else
// environ's, with the env files' beneath them) and calls examine with
// them and a function that loads the AWS configuration, with the default
// region looked up in metadata if need be, when examine first needs it,
// and, when a variable holds a reference or o has bulk inputs, checks its
// credentials (see awsapi.CheckCredentials): credentials that cannot be
// loaded are a *exitcode.UsageError, as at a start, and so is one of the
// SDK's own inputs holding a reference in vars, as a start refuses it
// (see awsapi.CheckInputs). The task definition's
// entries that ECS would refuse do not stop it: examine gets them as
// refused, the container's other variables as vars.
func Examine(ctx context.Context, o pipeline.Options, environ []string,
	examine func(ctx context.Context, vars []string, refused taskdef.Errors, awsConfig func() (aws.Config, error)) error) error {
	ctx, cancel := context.WithTimeout(ctx, o.Settings.Timeout)
	defer cancel()
	vars, err := o.Vars(ctx, environ)
	var refused taskdef.Errors
	if errors.As(err, &refused) {
		err = nil
	}
	if err != nil {
		return err
	}
	vars, _, err = o.ReadEnvFiles(ctx, vars)
	if err != nil {
		return err
	}
	var cfg *aws.Config
	awsConfig := func() (aws.Config, error) {
		if cfg == nil {
			// What a start refuses before any call, in what it reads:
			// the container's variables and the env files' too.
			if err := awsapi.CheckInputs(vars); err != nil {
				return aws.Config{}, err
			}
			c, err := pipeline.AWSConfig(ctx, o, environ, true)
			if err != nil {
				return c, err
			}
			// Credentials that cannot be loaded are reported once, in a
			// start's words, not as a failure of every row; a check of
			// settings alone needs none.
			if o.HasBulk() || slices.ContainsFunc(vars, o.IsReference) {
				if err := o.CheckCredentials(ctx, c); err != nil {
					return c, err
				}
			}
			cfg = &c
		}
		return *cfg, nil
	}
	return examine(ctx, vars, refused, awsConfig)
}

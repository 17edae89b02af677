package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/pipeline"
	"github.com/valuefrom/valuefrom/internal/preflight"
	"github.com/valuefrom/valuefrom/internal/report"
	"github.com/valuefrom/valuefrom/internal/settings"
	"github.com/valuefrom/valuefrom/internal/taskdef"
	"github.com/valuefrom/valuefrom/resolver/reference"
)

var checkCommand = &command{
	name:    "check",
	summary: "examine every reference, its KMS key and rotation; print no value",
	outcome: "nothing was checked",
	taskDef: true,
	groups:  []settings.Group{settings.Common, settings.Resolve, settings.Input, settings.Template},
	setup: func(fs *flag.FlagSet, o *pipeline.Options) func(context.Context, *call) error {
		format := fs.String("format", "table", "`F` table or json")
		ttl := fs.Duration("ttl", 0, "`D` warn when a secret's rotation is due within D, such as a cache's TTL (default off)")
		return func(ctx context.Context, c *call) error {
			if *format != "table" && *format != "json" {
				return usagef("--format must be table or json, not %q", *format)
			}
			if *ttl < 0 {
				return usagef("--ttl must not be negative")
			}
			if len(o.Settings.Template) > 0 {
				// As a start refuses it, before any AWS call.
				if _, err := o.Settings.GroupID(); err != nil {
					return usageErr(err)
				}
			}
			var rep *preflight.Report
			err := preflight.Examine(ctx, *o, c.environ, func(ctx context.Context, vars []string, refused taskdef.Errors, awsConfig func() (aws.Config, error)) error {
				checker, err := newChecker(o, awsConfig, preflight.Config{RotationWindow: *ttl, Settings: o.TaskDef != ""})
				if err != nil {
					return err
				}
				in := preflight.InputsOf(*o)
				in.Refused = refused
				rep = checker.CheckFor(ctx, vars, o.Skip, in)
				return nil
			})
			if err != nil {
				return err
			}
			if *format == "json" {
				err = rep.WriteJSON(c.stdout)
			} else {
				err = rep.WriteTable(c.stdout)
			}
			if err != nil {
				return err
			}
			switch v := rep.Worst(); v {
			case preflight.Fail:
				return &report.CheckError{Code: exitcode.Failures, Msg: rep.Outcome(v)}
			case preflight.Warning:
				return &report.CheckError{Code: exitcode.Warnings, Msg: rep.Outcome(v)}
			}
			return nil
		}
	},
}

var policyCommand = &command{
	name:    "policy",
	summary: "print the least-privilege IAM policy the task role needs",
	outcome: "no policy was printed",
	taskDef: true,
	groups:  resolveGroups,
	setup: func(fs *flag.FlagSet, o *pipeline.Options) func(context.Context, *call) error {
		account := fs.String("account", "", "`ID` account of short-form references (default: sts:GetCallerIdentity's)")
		return func(ctx context.Context, c *call) error {
			if *account != "" && !reference.IsAccount(*account) {
				return usagef("--account must be a 12-digit account ID, not %q", *account)
			}
			var p *preflight.Policy
			var notes []string
			err := preflight.Examine(ctx, *o, c.environ, func(ctx context.Context, vars []string, refused taskdef.Errors, awsConfig func() (aws.Config, error)) error {
				if refused != nil {
					return refused // no policy for what ECS would refuse
				}
				reqs, err := pipeline.Find(vars, o.Skip)
				if err != nil {
					return err
				}
				if len(reqs) == 0 && !o.HasBulk() {
					return usagef("no references found: nothing to allow")
				}
				checker, err := newChecker(o, awsConfig, preflight.Config{Account: *account})
				if err != nil {
					return err
				}
				p, notes, err = checker.PolicyFor(ctx, reqs, preflight.InputsOf(*o))
				return err
			})
			if err != nil {
				return err
			}
			if err := p.WriteJSON(c.stdout); err != nil {
				return err
			}
			// In the log format asked for, whatever the log level, as
			// exit reports errors.
			w := report.New(c.stderr, o.Settings.LogFormat == "json")
			for _, n := range notes {
				w.Warning(n, 0)
			}
			if len(notes) > 0 {
				return &report.CheckError{Code: exitcode.Warnings, Msg: fmt.Sprintf("%d %s: the policy may be incomplete", len(notes), report.Plural(len(notes), "warning", "warnings"))}
			}
			return nil
		}
	},
}

// newChecker returns a preflight.Checker made of pc with the AWS
// configuration awsConfig loads, and o's concurrency and fallback regions.
func newChecker(o *pipeline.Options, awsConfig func() (aws.Config, error), pc preflight.Config) (*preflight.Checker, error) {
	cfg, err := awsConfig()
	if err != nil {
		return nil, err
	}
	pc.AWS, pc.Concurrency = cfg, o.Settings.Concurrency
	pc.FallbackRegions = settings.Items(o.Settings.FallbackRegions)
	pc.NoSecretBatches = !o.Settings.BatchSecrets
	return preflight.New(pc), nil
}

package main

import (
	"github.com/valuefrom/valuefrom/internal/awsapi"

	"context"
	"errors"
	"fmt"
	"io"
	"regexp"

	"github.com/valuefrom/valuefrom/internal/preflight"
	"github.com/valuefrom/valuefrom/internal/settings"
)

const policyUsage = `Usage: valuefrom policy [flags]

Prints the least-privilege IAM policy (JSON, for aws iam put-role-policy)
that the task role needs to resolve exactly the references in the
environment, or in a container of an ECS task definition:
secretsmanager:GetSecretValue on each secret (NAME-?????? when the name
lacks its six-character suffix), ssm:GetParameters on each parameter, and
kms:Decrypt on each customer-managed KMS key, with a kms:ViaService
condition. AWS-managed keys need no statement. To find the keys it calls
DescribeSecret, DescribeParameters and kms:DescribeKey; it reads no value.
What it could not find out is printed on stderr as "valuefrom: warning:"
lines, and the exit code is then 6.

Flags:
  --task-def FILE     use this ECS task definition's references instead of the environment
  --container NAME    the container of --task-def (needed when it has several)
  --account ID        account of short-form references (default: sts:GetCallerIdentity's)
  --profile NAME      AWS shared-config profile
  --region REGION     default AWS region, for short-form references
  --concurrency, --max-attempts, --timeout, --ignore, --log-format,
  --log-level: as for valuefrom itself (see valuefrom -h)
  -h, --help          print this help and exit

Exit codes: 0 done, 6 done with warnings, 2 usage, 3 a reference does not
parse, 1 an unexpected error.
`

var accountRE = regexp.MustCompile(`^[0-9]{12}$`)

// policy runs `valuefrom policy`.
func policy(ctx context.Context, s *settings.Settings, args, environ []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("policy", s)
	a := addAWSFlags(fs)
	td := addTaskDefFlags(fs)
	account := fs.String("account", "", "account of short-form references")
	if err := parseFlags(fs, args, s, policyUsage, stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("policy: unexpected argument %q", fs.Arg(0))
	}
	if *account != "" && !accountRE.MatchString(*account) {
		return usagef("policy: --account must be a 12-digit account ID, not %q", *account)
	}
	vars, err := td.vars(s, environ)
	if err != nil {
		return err
	}
	reqs, err := references(*s, vars)
	if err != nil {
		return err
	}
	if len(reqs) == 0 {
		return usagef("policy: no references found: nothing to allow")
	}
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	cfg, err := awsConfig(ctx, *s, a, environ, true)
	if err != nil {
		return err
	}
	c := preflight.New(preflight.Config{AWS: cfg, Concurrency: s.Concurrency, Account: *account})
	p, notes, err := c.Policy(ctx, reqs)
	if errors.Is(err, awsapi.ErrNoRegion) {
		return &usageError{err}
	}
	if err != nil {
		return err
	}
	if err := p.WriteJSON(stdout); err != nil {
		return err
	}
	for _, n := range notes {
		fmt.Fprintf(stderr, "valuefrom: warning: %s\n", n)
	}
	if len(notes) > 0 {
		return &checkError{n: len(notes), what: "policy"}
	}
	return nil
}

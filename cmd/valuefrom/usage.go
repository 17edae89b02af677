package main

import (
	"io"

	"github.com/valuefrom/valuefrom/internal/settings"
)

const usageHead = `valuefrom resolves the AWS Secrets Manager and SSM Parameter Store
references in its environment, then replaces itself with COMMAND.

Usage:
  valuefrom [flags] [--] COMMAND [ARGS...]
  valuefrom SUBCOMMAND [flags] ...
  valuefrom --version

Commands (valuefrom SUBCOMMAND -h for each one's flags and exit codes):
  run      run COMMAND with a task definition's variables and your AWS identity
  env      print the resolved variables as shell, dotenv or json; not to a terminal
  render   write the resolved variables to a file or directory, then exit
  serve    answer the task's other containers over HTTP on 127.0.0.1:2773,
           as the Secrets Manager Agent does
  check    examine every reference, its KMS key and rotation; print no value
  policy   print the least-privilege IAM policy the task role needs
  A COMMAND named like a subcommand runs after "--": valuefrom -- env

In a Dockerfile:
  ENTRYPOINT ["/usr/local/bin/valuefrom", "--"]
  CMD ["app", "--port", "8080"]

Every variable whose value is a reference is replaced by what it names;
other values pass through byte for byte. If any reference fails, COMMAND is
not started. A variable whose name ends in _FILE gets the value written to a
private file (mode 0400, in a 0700 directory) and is set to the file's path.
VALUEFROM_* variables are removed from COMMAND's environment. COMMAND is
found in the PATH of the resolved environment.

References:
  arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME[:JSON_KEY:VERSION_STAGE:VERSION_ID]
  arn:PARTITION:ssm:REGION:ACCOUNT:parameter/NAME[:VERSION|:LABEL]
  secretsmanager:NAME[:JSON_KEY:VERSION_STAGE:VERSION_ID]   (default region)
  ssm:NAME[:VERSION|:LABEL]                                 (default region)
  NAME may carry the secret's six-character suffix or not. After a secret's
  NAME come none or exactly three fields, any of them empty (NAME:password::).
  JSON_KEY selects a top-level key of a JSON secret; VERSION_STAGE (such as
  AWSPREVIOUS) and VERSION_ID pick a version. The default region is
  AWS_REGION (or AWS_DEFAULT_REGION, or the profile's), else the ECS task
  metadata, else the EC2 instance metadata.

Flags:
  --concurrency N      API calls in flight at once (VALUEFROM_CONCURRENCY)
  --max-attempts N     attempts per API call (VALUEFROM_MAX_ATTEMPTS)
  --timeout D          deadline for resolving every reference (VALUEFROM_TIMEOUT)
  --ignore A,B         variables to pass through untouched (VALUEFROM_IGNORE)
  --files-dir DIR      directory for _FILE values (VALUEFROM_FILES_DIR)
  --log-format F       text or json (VALUEFROM_LOG_FORMAT)
  --log-level L        debug, info, warn or error (VALUEFROM_LOG_LEVEL)
  --version            print the version and exit
  -h, --help           print this help and exit
  Flags override the variables of the same meaning.

Settings (environment, default, meaning):
`

const usageTail = `
AWS credentials and region come from the SDK's standard chain: the ECS task
role, AWS_PROFILE, SSO, environment keys, instance profile. On ECS the task
role, not the execution role, needs secretsmanager:GetSecretValue,
ssm:GetParameters, and kms:Decrypt on customer-managed keys.

Exit codes:
  0    success (after exec, COMMAND's own exit code)
  1    unexpected internal error
  2    usage: a bad flag, argument or VALUEFROM_* setting; no command; no region
  3    a value starts like a reference but does not parse
  4    a reference could not be resolved (each failing variable is named)
  5    a value could not be written: to its _FILE file, or by env or render
  6    check: warnings but no failure; policy: written, with warnings
  7    check: at least one reference would not resolve
  126  COMMAND was found but cannot be executed
  127  COMMAND was not found
  128+N  interrupted by signal N while resolving (130 for SIGINT, 143 for SIGTERM)
`

func usage(w io.Writer) {
	io.WriteString(w, usageHead)
	settings.Usage(w)
	io.WriteString(w, usageTail)
}

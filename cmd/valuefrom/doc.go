// Command valuefrom gets secrets into containers on AWS. As a container's
// entrypoint it resolves every AWS Secrets Manager and SSM Parameter Store
// reference in its environment, then replaces itself with the command:
//
//	ENTRYPOINT ["/usr/local/bin/valuefrom", "--"]
//	CMD ["/app/server"]
//
// If any reference fails, the command never starts; each failing variable
// is named with its reference, the AWS error code and request id, and a
// hint. No value ever reaches a log line or an error.
//
// # Usage
//
//	valuefrom [flags] [--] COMMAND [ARGS...]
//	valuefrom [--profile P] [--region R] SUBCOMMAND [flags] ...
//	valuefrom --version, valuefrom -h
//
// Subcommands, each with its own -h:
//
//	run     run COMMAND with a task definition's variables and your AWS identity
//	env     print the resolved variables as shell, dotenv or json; not to a terminal
//	render  write the resolved variables to a file or directory, then exit
//	serve   answer the Secrets Manager Agent's HTTP API on 127.0.0.1:2773
//	check   examine every reference, its KMS key and rotation; print no value
//	policy  print the least-privilege IAM policy the task role needs
//
// A first argument that names a subcommand runs it unless "--" comes
// first: `valuefrom -- env` execs the program env. `valuefrom help [SUB]`
// and `valuefrom version` print the help and the version, and a misspelt
// subcommand (`valuefrom chekc`) is a usage error suggesting the nearest
// one, unless a program of that name is on PATH: a program always wins
// over a word that is not exactly a subcommand's name. --profile and
// --region work before a subcommand too; the subcommand's own win.
//
// # References
//
//	arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME[:JSON_KEY:VERSION_STAGE:VERSION_ID]
//	arn:PARTITION:ssm:REGION:ACCOUNT:parameter/NAME[:VERSION|:LABEL]
//	secretsmanager:NAME[:JSON_KEY:VERSION_STAGE:VERSION_ID]   (default region)
//	ssm:NAME[:VERSION|:LABEL]                                 (default region)
//
// After a secret's NAME come none or exactly three fields, any of them
// empty. A value that starts like a reference but does not parse is an
// error, never passed through. A variable named X_FILE gets its value in a
// private file (0400, in a 0700 directory) and is set to the file's path.
// The grammar is package reference's (resolver/reference); see its Ref type.
//
// # References in bulk
//
// Three inputs bring many variables at once, resolved with the references
// (batched, concurrent, all or nothing), in every mode but serve:
//
//	--env-file FILE     a dotenv file (- is stdin) whose values may be references,
//	                    in the grammar `env --format dotenv` writes (package envfmt)
//	--ssm-path PATH     a variable per parameter directly under PATH, or at any
//	                    depth with PATH/**: /prod/orders/db-password is DB_PASSWORD
//	--secret-json REF   a variable per top-level key of a JSON secret, rendered
//	                    as a :JSON_KEY reference renders it
//
// Precedence: the environment wins over every env file, a later file over
// an earlier one, and a variable set by either wins over paths and JSON
// secrets. Names: the rest of the parameter's name after PATH/, or the
// key, upper-cased, each character outside [A-Z0-9_] made "_". Two that
// map to one name fail, naming both. An empty path is a warning, or with
// VALUEFROM_REQUIRE_PATHS=true a failure. Paths are read in the default
// region.
//
// # Regional outages
//
// With VALUEFROM_FALLBACK_REGIONS (--fallback-regions us-west-2,eu-west-1)
// a reference whose own region fails transiently (connection refused or
// reset, timeouts, 5xx, throttling past the retries), or gives no answer
// within VALUEFROM_HEDGE_DELAY (default 5s), is asked of the next region
// as well, one fallback region at a time, and the first good answer wins:
// the own region's too, when it answers first. A secret is asked as its
// replica, the same ARN with the region replaced (or the same name); an
// SSM parameter by the same name, which exists there only if you put it
// there: SSM does not replicate. Not found, access denied, a KMS key
// disabled or pending deletion, a missing version, stage or JSON key never
// fail over. Each value from a fallback region is logged as a warning that
// names the variable and the region (in supervise mode once per variable
// and region, and once at info when its own region answers again); the
// summary line counts them (fallback=N). check lists each secret's replicas and their keys; policy
// adds the replicas' ARNs and the fallback regions' kms:ViaService.
//
// # Settings
//
// Each setting is an environment variable, overridden by the flag of the
// same meaning. VALUEFROM_* variables never reach the command.
//
//	VALUEFROM_CONCURRENCY   32              --concurrency   API calls in flight at once
//	VALUEFROM_MAX_ATTEMPTS  30              --max-attempts  attempts per API call, counting the first
//	VALUEFROM_TIMEOUT       60s             --timeout       deadline for resolving every reference
//	VALUEFROM_IGNORE        (none)          --ignore        variables to pass through untouched
//	VALUEFROM_FILES_DIR     (new, /dev/shm) --files-dir     directory for _FILE values
//	VALUEFROM_LOG_FORMAT    text            --log-format    text or json
//	VALUEFROM_LOG_LEVEL     info            --log-level     debug, info, warn or error
//	VALUEFROM_FALLBACK_REGIONS (none)      --fallback-regions  regions to ask when a reference's own fails or stalls
//	VALUEFROM_HEDGE_DELAY   5s              --hedge-delay   how long a region may stay silent before the next is asked
//	VALUEFROM_BATCH_SECRETS true            --batch-secrets up to 20 secrets per BatchGetSecretValue call; false: GetSecretValue each
//	VALUEFROM_ENV_FILE      (none)          --env-file      dotenv files, comma-separated
//	VALUEFROM_SSM_PATHS     (none)          --ssm-path      SSM paths, comma-separated
//	VALUEFROM_SECRETS_JSON  (none)          --secret-json   JSON secrets, comma-separated
//	VALUEFROM_REQUIRE_PATHS false           --require-paths an empty SSM path fails
//	VALUEFROM_TOKEN         (none)                          serve: the clients' token, or file:///PATH
//	VALUEFROM_TOKEN_FILE    (none)                          serve: a file holding the token
//	VALUEFROM_LISTEN        127.0.0.1:2773  serve --listen  serve: HOST:PORT
//	VALUEFROM_TTL           300s            serve --ttl     serve: how long a value is cached
//	VALUEFROM_STALE         15m             serve --stale   serve: stale grace while AWS fails
//	VALUEFROM_MAX_ENTRIES   1000            serve --max-entries  serve: cache size
//	VALUEFROM_MAX_CONNS     800             serve --max-conns    serve: requests at once
//	VALUEFROM_WATCH         (unset: exec)   --watch         supervise and re-resolve every D; render: rewrite
//	VALUEFROM_ON_CHANGE     restart         --on-change     restart, signal:NAME or exit
//	VALUEFROM_SPLAY         (WATCH/4)       --splay         longest random delay before acting
//	VALUEFROM_STOP_SIGNAL   SIGTERM         --stop-signal   what stops the program, before SIGKILL
//	VALUEFROM_STOP_TIMEOUT  10s             --stop-timeout  how long it has to stop
//	VALUEFROM_MASK          false           --mask          mask values in the program's output
//
// The reasons for the defaults are in package settings (internal/settings). AWS credentials and
// the default region come from the SDK's standard chain; without a region,
// from the ECS task metadata, then the EC2 instance metadata.
//
// # Rotation
//
// With VALUEFROM_WATCH (--watch D) set, valuefrom supervises the command
// instead of replacing itself with it: it stays the parent, PID 1 in a
// container, and resolves the same references again every D, within
// ±10%, with as many API calls as the start (no cache hides a change). A
// change is a value that differs from the one the command was given;
// values are compared in memory, and only variables, references and
// version ids are logged. A reference with no stage reads AWSCURRENT, so
// rotation acts when AWSCURRENT moves, not when AWSPENDING appears. After
// a random splay of up to VALUEFROM_SPLAY (default a quarter of D),
// VALUEFROM_ON_CHANGE says what happens: restart stops the command
// (VALUEFROM_STOP_SIGNAL, then SIGKILL after VALUEFROM_STOP_TIMEOUT) and
// starts it with the new values; signal:NAME rewrites the _FILE files in
// place, atomically, and sends NAME (the environment of a running command
// cannot change; a changed environment variable is warned about once);
// exit stops the command and exits 8. A failed cycle (throttling, 5xx,
// the network, AccessDenied, a disabled KMS key) is a warning with its
// hint, logged once per problem, and the command keeps its values.
//
// As the parent, valuefrom forwards SIGTERM, SIGINT, SIGHUP, SIGQUIT,
// SIGUSR1, SIGUSR2 and SIGWINCH, exits with the command's exit code
// (128+N when signal N killed it), reaps orphaned processes as PID 1 (and
// is their child subreaper otherwise), and removes on exit the _FILE
// directory it made; exec mode cannot, as nothing of valuefrom is left.
// VALUEFROM_MASK passes the command's stdout and stderr through valuefrom
// and replaces every resolved value of 8 bytes or more with
// [valuefrom:NAME]. An AWS credential_process runs while the reaper is
// held, so that its exit status is its own. render --watch D keeps the
// rendered output current the same way and exits 0 on SIGTERM.
//
// # Exit codes
//
//	0      success; after the exec, or when supervising, the command's own exit code
//	1      an unexpected internal error
//	2      usage: a bad flag, argument or setting; no command; no region;
//	       an env file that cannot be read or does not parse (named by file:line)
//	3      a value starts like a reference but does not parse
//	4      a reference, SSM path or JSON secret could not be resolved
//	5      a value could not be written: to its _FILE file, or by env or render
//	6      check: warnings but no failure; policy: written, with warnings
//	7      check: at least one reference would not resolve
//	8      supervising with VALUEFROM_ON_CHANGE=exit: a value changed; the command was stopped
//	126    the command was found but cannot be executed
//	127    the command was not found
//	128+N  interrupted by signal N while resolving (143 for SIGTERM)
//
// # Output
//
// Every line valuefrom writes to stderr starts with "valuefrom: " (errors
// "valuefrom: error: ", then "valuefrom: hint: ") or is a log/slog record;
// VALUEFROM_LOG_FORMAT=json makes both JSON. A subcommand's usage error
// names it ("valuefrom: error: env: ...") and its hint its help. A bad
// setting or flag names both the variable and the flag
// ("VALUEFROM_TIMEOUT (--timeout): not a valid duration: a number and a
// unit, such as 30s or 2m"), never the value; a misspelt flag or setting
// gets the nearest one as a hint.
package main

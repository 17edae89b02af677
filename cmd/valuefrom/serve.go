package main

import (
	"github.com/valuefrom/valuefrom/internal/awsapi"

	"context"
	"fmt"
	"io"

	"github.com/valuefrom/valuefrom/exec"
	"github.com/valuefrom/valuefrom/internal/server"
	"github.com/valuefrom/valuefrom/internal/settings"
)

const serveUsage = `Usage: valuefrom serve [flags]

Serves secrets and parameters over HTTP to the other containers of the
task, answering the API of the AWS Secrets Manager Agent and of the AWS
Parameters and Secrets Lambda Extension:

  GET /secretsmanager/get?secretId=ID[&versionId=V][&versionStage=S][&refreshNow=true]
  GET /v1/ID
  GET /systemsmanager/parameters/get?name=NAME[&version=N|&label=L][&withDecryption=true]
  GET /ping, /healthz (no token needed)

Every other request needs the header X-Aws-Parameters-Secrets-Token set to
the token from VALUEFROM_TOKEN, VALUEFROM_TOKEN_FILE or AWS_TOKEN; without a
token valuefrom serve does not start. Values are cached for --ttl and served
up to --stale longer while AWS fails transiently. SIGTERM stops it: it
refuses new connections, lets requests in flight finish (up to 10s) and
exits 0.

IAM: the task role needs secretsmanager:GetSecretValue, ssm:GetParameter
(one name per request, as the Lambda extension calls it) and kms:Decrypt on
customer-managed keys.

Flags:
  --listen HOST:PORT  address to listen on (VALUEFROM_LISTEN, default 127.0.0.1:2773);
                      a non-loopback address is logged as a warning
  --ttl D             how long a value is served before it is fetched again
                      (VALUEFROM_TTL, default 300s; 0s: every request asks AWS)
  --stale D           grace past the TTL while AWS fails transiently
                      (VALUEFROM_STALE, default 15m; 0s: none)
  --max-entries N     values kept in the cache (VALUEFROM_MAX_ENTRIES, default 1000)
  --max-conns N       requests handled at once; more get 429 (VALUEFROM_MAX_CONNS, default 800)
  --profile P         AWS shared-config profile
  --region R          default AWS region, for names that are not ARNs
  --concurrency, --max-attempts, --timeout, --log-format, --log-level:
                      as for valuefrom itself (see valuefrom -h); --timeout
                      bounds each AWS call
  -h, --help          print this help and exit

The token: VALUEFROM_TOKEN (the token, or file:///PATH), else
VALUEFROM_TOKEN_FILE (a file, trimmed), else AWS_TOKEN as the Secrets
Manager Agent reads it; setting both VALUEFROM_TOKEN and
VALUEFROM_TOKEN_FILE is an error.

Exit codes: 0 stopped by SIGTERM or SIGINT with every request finished;
2 usage: a bad flag or setting, no token, no region; 1 the address cannot
be listened on, or another unexpected error; 143 (SIGTERM) or 130 (SIGINT)
when requests were still running 10s after the signal.
`

// serve runs the sidecar server until ctx is done.
func serve(ctx context.Context, s *settings.Settings, args, environ []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", s)
	fs.StringVar(&s.Listen, "listen", s.Listen, "HOST:PORT to listen on (VALUEFROM_LISTEN)")
	fs.DurationVar(&s.TTL, "ttl", s.TTL, "how long a value is served before it is fetched again (VALUEFROM_TTL)")
	fs.DurationVar(&s.Stale, "stale", s.Stale, "grace past the TTL while AWS fails transiently (VALUEFROM_STALE)")
	fs.IntVar(&s.MaxEntries, "max-entries", s.MaxEntries, "values kept in the cache (VALUEFROM_MAX_ENTRIES)")
	fs.IntVar(&s.MaxConns, "max-conns", s.MaxConns, "requests handled at once (VALUEFROM_MAX_CONNS)")
	a := addAWSFlags(fs)
	if err := parseFlags(fs, args, s, serveUsage, stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("valuefrom serve takes no arguments, got %q", fs.Arg(0))
	}
	log := newLogger(*s, stderr)
	warnUnknown(log, environ)
	token, err := server.LoadToken(s.Token, s.TokenFile, exec.Getenv(environ, "AWS_TOKEN"))
	if err != nil {
		return &usageError{err}
	}
	cfg, err := awsConfig(ctx, *s, a, environ, true)
	if err != nil {
		return err
	}
	if cfg.Region == "" {
		return &usageError{awsapi.ErrNoRegion}
	}
	srv, err := server.New(server.Config{AWS: cfg, Token: token, TTL: s.TTL, Stale: s.Stale,
		MaxEntries: s.MaxEntries, MaxConns: s.MaxConns, Timeout: s.Timeout, Logger: log})
	if err != nil {
		return &usageError{err}
	}
	ln, err := server.Listen(s.Listen, log)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", s.Listen, err)
	}
	err = server.Serve(ctx, ln, srv, server.ShutdownGrace, log)
	log.Info("served", "api_calls", srv.Calls())
	return err
}

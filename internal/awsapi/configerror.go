package awsapi

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/valuefrom/valuefrom/internal/platform"
)

// A ConfigError says the AWS configuration or credentials could not be
// loaded: an unknown profile, a shared config file that cannot be used, or
// credentials that the chain cannot load. It is a mistake in how valuefrom
// was set up, not a failure of AWS. Hint names the profile and the files.
type ConfigError struct {
	Err error
	// Profile is the profile asked for (by --profile or AWS_PROFILE), or
	// "" for the default chain.
	Profile string
	// ConfigFile and CredentialsFile are the shared files the SDK read:
	// AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE, or their defaults.
	ConfigFile, CredentialsFile string
	// Credentials says the configuration loaded, but not the credentials.
	Credentials bool
	// Platform is where valuefrom runs: the hint names the IAM role as
	// the platform does.
	Platform platform.Platform

	failure *credFailure // why the chain's source gave no credentials
}

func newConfigError(err error, profile string) *ConfigError {
	return &ConfigError{
		Err:             err,
		Profile:         cmp.Or(profile, os.Getenv("AWS_PROFILE")),
		ConfigFile:      cmp.Or(os.Getenv("AWS_CONFIG_FILE"), config.DefaultSharedConfigFilename()),
		CredentialsFile: cmp.Or(os.Getenv("AWS_SHARED_CREDENTIALS_FILE"), config.DefaultSharedCredentialsFilename()),
	}
}

func (e *ConfigError) Error() string {
	switch {
	case e.failure != nil:
		return "loading AWS credentials: " + e.failure.Detail
	case e.Credentials:
		return "loading AWS credentials: " + shown(e.Err)
	}
	return "loading AWS configuration: " + shown(e.Err)
}

func (e *ConfigError) Unwrap() error { return e.Err }

// Hint says what to do about e, naming the profile and the files read.
func (e *ConfigError) Hint() string {
	files := fmt.Sprintf("%s (AWS_CONFIG_FILE) and %s (AWS_SHARED_CREDENTIALS_FILE)", e.ConfigFile, e.CredentialsFile)
	var missing config.SharedConfigProfileNotExistError
	w := wordsOn(e.Platform)
	if e.failure != nil {
		if hint := credentialHint(w, *e.failure); hint != "" {
			return hint
		}
	}
	switch {
	case errors.As(e.Err, new(*HalfKeysError)):
		return "set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither, to let the SDK's chain find credentials " +
			"elsewhere (" + w.aRole + ", AWS_PROFILE); the SDK would skip half a pair, the AWS CLI refuses it"
	case errors.As(e.Err, &missing):
		return fmt.Sprintf("no profile %q in %s: list the profiles with aws configure list-profiles, "+
			"or unset AWS_PROFILE (and --profile) to use the default credential chain", e.Profile, files)
	case e.Credentials && e.Profile != "":
		return fmt.Sprintf("the credentials of profile %q could not be loaded: check it in %s "+
			"(for SSO, run aws sso login --profile %s; for credential_process, run the command by hand)", e.Profile, files, e.Profile)
	case e.Credentials:
		return "no AWS credentials found: " + w.where + " " + w.giveRole + "; elsewhere set AWS_ACCESS_KEY_ID, " +
			"or AWS_PROFILE naming a profile in " + files
	case e.Profile != "":
		return fmt.Sprintf("check profile %q and the files %s", e.Profile, files)
	}
	return "check the AWS_* variables and the files " + files
}

// errNoKeys says a source answered with credentials that hold no keys, as
// a container endpoint that answers any JSON object does.
var errNoKeys = errors.New("the credentials hold no keys")

// CheckCredentials retrieves cfg's credentials once, before any reference
// is asked for, so that credentials that cannot be loaded are reported
// once as a *ConfigError, naming the source the SDK's chain chose (see
// SourceOf), its endpoint or files, and the last HTTP status or network
// error its attempts met, rather than as a failure of every reference,
// blamed on the service each was about to ask. profile is the one asked
// for by flag, if any.
//
// A failure that might pass by itself (a 5xx, a refused connection) is
// reported too: the source's own calls were retried already, with cfg's
// retryer (instance metadata within the SDK's bound of 5 s a call), and
// the service calls would only ask the same source again. A source that
// does not answer is reported at the deadline, with what its attempts met
// until then. Only a cancellation (a signal) is left to the caller: it
// returns nil for it. The SDK caches the credentials, so the calls ask no
// more.
func CheckCredentials(ctx context.Context, cfg aws.Config, profile string) error {
	if cfg.Credentials == nil {
		return nil
	}
	tctx, trace := withCredTrace(ctx)
	creds, e := cfg.Credentials.Retrieve(tctx)
	if e == nil && !creds.HasKeys() {
		e = errNoKeys
	}
	if e == nil || ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return nil
	}
	ce := newConfigError(e, profile)
	ce.Credentials, ce.Platform = true, PlatformOf(cfg)
	f := classifyCredentials(SourceOf(cfg), trace.summary(), e, ctx.Err() != nil)
	ce.failure = &f
	return ce
}

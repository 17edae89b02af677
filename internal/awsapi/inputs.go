package awsapi

import (
	"fmt"
	"slices"
	"strings"

	"github.com/valuefrom/valuefrom/internal/envlist"
	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/platform"
	"github.com/valuefrom/valuefrom/resolver/reference"
)

// configVars are the variables through which the SDK finds where to call
// and as whom: valuefrom's own inputs, read before any reference is
// resolved. AWS_ENDPOINT_URL_* (one per service) are among them too.
var configVars = []string{
	"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
	"AWS_ENDPOINT_URL", "AWS_CA_BUNDLE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
	"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
}

// secretVars are the configVars that hold a credential: what one of them
// holds is never shown, even when it starts like a reference.
var secretVars = []string{"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN"}

// CheckInputs returns a usage error naming the first variable of environ
// that the SDK reads to find where to call and as whom (the region, the
// profile, the endpoints, the credentials) but that holds a reference:
// valuefrom needs it before it can resolve anything, and would otherwise
// call a host named after the reference, or sign with it. nil when none
// does.
func CheckInputs(environ []string) error {
	for _, kv := range environ {
		name, value, _ := envlist.Split(kv)
		if !isConfigVar(name) || !reference.Is(value) {
			continue
		}
		held := "a reference, " + reference.Quote(value)
		if slices.Contains(secretVars, name) {
			held = "a reference (not shown: it holds a credential)"
		}
		return &exitcode.UsageError{
			Err: fmt.Errorf("%s holds %s: valuefrom reads it to reach AWS, before it resolves anything", name, held),
			Hint: "set " + name + " to the value itself (" + wordsOn(platform.Of(environ)).configIn + "); " +
				"for a program that needs other AWS credentials than valuefrom's, pass them under names of its own",
		}
	}
	return nil
}

func isConfigVar(name string) bool {
	return strings.HasPrefix(name, "AWS_ENDPOINT_URL_") || slices.Contains(configVars, name)
}

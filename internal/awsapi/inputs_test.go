package awsapi

import (
	"errors"
	"strings"
	"testing"

	"github.com/valuefrom/valuefrom/internal/exitcode"
)

// TestCheckInputs: a variable the SDK reads to reach AWS that holds a
// reference is a usage error naming it (issue 19, item 4: a real task
// definition set AWS_REGION to an SSM ARN, and the hint then named a host
// made of the ARN); the application's own variables may hold any.
func TestCheckInputs(t *testing.T) {
	for _, tt := range []struct {
		environ []string
		bad     string
	}{
		{[]string{"AWS_REGION=arn:aws:ssm:us-east-1:123456789012:parameter/region"}, "AWS_REGION"},
		{[]string{"A=1", "AWS_DEFAULT_REGION=ssm:/region"}, "AWS_DEFAULT_REGION"},
		{[]string{"AWS_PROFILE=secretsmanager:profile"}, "AWS_PROFILE"},
		{[]string{"AWS_ENDPOINT_URL=ssm:/endpoint"}, "AWS_ENDPOINT_URL"},
		{[]string{"AWS_ENDPOINT_URL_SECRETS_MANAGER=ssm:/endpoint"}, "AWS_ENDPOINT_URL_SECRETS_MANAGER"},
		{[]string{"AWS_SECRET_ACCESS_KEY=secretsmanager:keys:secret::"}, "AWS_SECRET_ACCESS_KEY"},
		{[]string{"AWS_SESSION_TOKEN=ssm:canary-session-token"}, "AWS_SESSION_TOKEN"},
		{[]string{"AWS_CONTAINER_AUTHORIZATION_TOKEN=secretmanager:canary-auth"}, "AWS_CONTAINER_AUTHORIZATION_TOKEN"},
		{[]string{"AWS_REGION=us-east-1", "DB=ssm:/db", "APP_AWS_REGION=ssm:/r"}, ""},
	} {
		err := CheckInputs(tt.environ)
		var usage *exitcode.UsageError
		switch {
		case tt.bad == "" && err != nil:
			t.Errorf("CheckInputs(%q) = %v, want nil", tt.environ, err)
		case tt.bad != "" && (!errors.As(err, &usage) || !strings.HasPrefix(err.Error(), tt.bad+" holds a reference")):
			t.Errorf("CheckInputs of %s = an error that does not name it, want a usage error naming it", tt.bad)
		// A credential is never shown, whatever it starts with.
		case err != nil && strings.Contains(err.Error(), "canary"):
			t.Errorf("CheckInputs of %s shows the credential", tt.bad)
		}
	}
}

package pipeline

import (
	"errors"

	"github.com/valuefrom/valuefrom/internal/awsapi"
	"github.com/valuefrom/valuefrom/internal/platform"
	"github.com/valuefrom/valuefrom/internal/settings"
	"github.com/valuefrom/valuefrom/resolver"
	"github.com/valuefrom/valuefrom/resolver/reference"
)

// Hint says what an operator can do about e, in the words of valuefrom's
// settings: awsapi's hint for its class, naming the ARN an IAM policy
// names (ACCOUNT for a short form's) in the region asked. A failure to
// read an SSM path (e.Var is settings.SSMPathVar) or a JSON secret
// (settings.SecretJSONVar), and a name that either would set, get the bulk
// inputs' hints. The IAM role is named as the platform on names it.
func Hint(on platform.Platform, e *resolver.Error) string {
	region := e.Ref.Region
	arn := e.Ref.ARN(reference.PartitionOf(region), region, "ACCOUNT")
	c := awsapi.ClassOf(e.Code, e.Err)
	input := awsapi.FromReference
	switch e.Var {
	case settings.SSMPathVar:
		input = awsapi.FromPath
	case settings.SecretJSONVar:
		input = awsapi.FromJSON
	}
	if h := awsapi.BulkHint(on, c, input, arn); h != "" {
		return h
	}
	return awsapi.Hint(on, c, e.Ref, region, arn)
}

// withHints fills the hint of each failure in err, a resolver.Errors, once
// every reference, path and JSON secret has been tried, in the words of
// the platform on; any other err is returned as it is.
func withHints(on platform.Platform, err error) error {
	var errs resolver.Errors
	if errors.As(err, &errs) {
		for _, e := range errs {
			e.Hint = Hint(on, e)
		}
	}
	return err
}

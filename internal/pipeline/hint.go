package pipeline

import (
	"github.com/valuefrom/valuefrom/internal/awsapi"
	"github.com/valuefrom/valuefrom/resolver"
	"github.com/valuefrom/valuefrom/resolver/reference"
)

// hint says what an operator can do about a failed reference, for
// resolver.Config.Hint. A failed fetch's error names the region asked; the
// ARN is the one an IAM policy names, with ACCOUNT for a short form's.
func hint(e *resolver.Error) string {
	region := e.Ref.Region
	arn := e.Ref.ARN(reference.PartitionOf(region), region, "ACCOUNT")
	return awsapi.Hint(awsapi.ClassOf(e.Code, e.Err), e.Ref, region, arn)
}

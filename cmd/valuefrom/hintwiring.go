package main

import (
	"github.com/valuefrom/valuefrom/internal/awsapi"
	"github.com/valuefrom/valuefrom/resolver"
	"github.com/valuefrom/valuefrom/resolver/reference"
)

// hint is internal/pipeline's hint, copied here only so that this branch
// prints the same hints before the pipeline that calls resolver.New with
// it is merged. TEMPORARY: delete this file and the Hint field in run.go
// at that merge.
func hint(e *resolver.Error) string {
	region := e.Ref.Region
	arn := e.Ref.ARN(reference.PartitionOf(region), region, "ACCOUNT")
	return awsapi.Hint(awsapi.ClassOf(e.Code, e.Err), e.Ref, region, arn)
}

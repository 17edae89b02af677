package reference_test

import (
	"errors"
	"fmt"

	"github.com/valuefrom/valuefrom/resolver/reference"
)

func ExampleParse() {
	ref, err := reference.Parse("arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db:password:AWSPREVIOUS:")
	if err != nil {
		panic(err)
	}
	fmt.Println(ref.Service, ref.Region, ref.Name, ref.JSONKey, ref.VersionStage)
	fmt.Println(ref.ID())

	ref, _ = reference.Parse("ssm:/prod/api-url:3")
	fmt.Println(ref.Service, ref.Name, ref.Selector)
	// Output:
	// secretsmanager eu-west-1 prod/db password AWSPREVIOUS
	// arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db
	// ssm /prod/api-url 3
}

func ExampleParse_malformed() {
	// A value that starts like a reference must parse: it is never passed
	// through as a literal. The error quotes only the reference part.
	_, err := reference.Parse("ssm:/prod/db:")
	var se *reference.SyntaxError
	fmt.Println(errors.As(err, &se), se.Reason)
	// Output:
	// true the selector after the parameter name is empty: give a version or a label, or no colon
}

func ExampleFind() {
	environ := []string{
		"PATH=/usr/bin",
		"DB_PASSWORD=secretsmanager:prod/db:password::",
		"TLS_KEY_FILE=ssm:/prod/tls-key",
		"KMS_KEY=arn:aws:kms:us-east-1:123456789012:key/abc", // not a reference
	}
	reqs, err := reference.Find(environ, nil)
	if err != nil {
		panic(err)
	}
	for _, r := range reqs {
		fmt.Println(r.Var, r.Ref.Service, r.ToFile)
	}
	// Output:
	// DB_PASSWORD secretsmanager false
	// TLS_KEY_FILE ssm true
}

func ExamplePartitionOf() {
	for _, region := range []string{"us-east-1", "cn-north-1", "us-gov-west-1"} {
		p := reference.PartitionOf(region)
		fmt.Println(region, p, reference.DNSSuffix(p))
	}
	// Output:
	// us-east-1 aws amazonaws.com
	// cn-north-1 aws-cn amazonaws.com.cn
	// us-gov-west-1 aws-us-gov amazonaws.com
}

func ExampleParse_nearMiss() {
	// A reference mistyped is malformed, never passed through, and the
	// error names the reference probably meant.
	for _, v := range []string{
		"secretmanager:prod/db",
		"ssm;/prod/api-key",
		"arn:aws:ssm:us-east-1:123456789012:/prod/api-key",
	} {
		_, err := reference.Parse(v)
		var se *reference.SyntaxError
		errors.As(err, &se)
		fmt.Println(se.Suggest)
	}
	// An SSM document's ARN is no reference at all.
	fmt.Println(reference.Is("arn:aws:ssm:us-east-1:123456789012:document/RunMyScript"))
	// Output:
	// secretsmanager:prod/db
	// ssm:/prod/api-key
	// arn:aws:ssm:us-east-1:123456789012:parameter/prod/api-key
	// false
}

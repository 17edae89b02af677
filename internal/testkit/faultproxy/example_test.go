package faultproxy_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"

	"github.com/valuefrom/valuefrom/internal/testkit/awsstub"
	"github.com/valuefrom/valuefrom/internal/testkit/faultproxy"
)

// Example puts the proxy in front of awsstub: the first GetSecretValue is
// throttled, and the secret "db" is denied.
func Example() {
	stub := awsstub.New(awsstub.Options{})
	stub.PutSecretString("api", "k3y")
	stub.PutSecretString("db", "pa55")
	hs := httptest.NewServer(stub)
	defer hs.Close()

	backend, _ := url.Parse(hs.URL)
	p := faultproxy.New(backend, faultproxy.Config{
		Seed: 1,
		Ops: map[string]faultproxy.Rule{
			"secretsmanager.GetSecretValue": {Script: []faultproxy.Fault{faultproxy.Throttle}},
		},
		Deny: map[string]faultproxy.Denial{"db": faultproxy.AccessDenied},
	})
	if err := p.Start(); err != nil {
		panic(err)
	}
	defer p.Close()

	sm := secretsmanager.NewFromConfig(awsstub.Config(p.URL()))
	for _, id := range []string{"api", "api", "db"} {
		out, err := sm.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
		var ae smithy.APIError
		if errors.As(err, &ae) {
			fmt.Println(id, ae.ErrorCode())
			continue
		}
		fmt.Println(id, aws.ToString(out.SecretString))
	}
	fmt.Printf("%+v\n", p.Counts()["secretsmanager.GetSecretValue"])
	// Output:
	// api ThrottlingException
	// api k3y
	// db AccessDeniedException
	// {Requests:3 Forwarded:1 RateLimited:0 Throttled:1 Internal:0 Unavailable:0 Resets:0 Denied:1 Hung:0}
}

package resolver_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/valuefrom/valuefrom/resolver"
	"github.com/valuefrom/valuefrom/resolver/reference"
)

// A failure names the variable, the reference and the code, never the
// value; what to do about it is the caller's to say, in the words of its
// own settings, through Error.Hint.
func ExampleErrors() {
	ref, _ := reference.Parse("ssm:/app/db-url")
	// No default region, so the short form fails before any call.
	r := resolver.New(resolver.Config{})
	_, err := r.Resolve(context.Background(), []reference.Request{{Var: "DB_URL", Ref: ref}})
	var errs resolver.Errors
	if errors.As(err, &errs) {
		for _, e := range errs {
			if e.Code == "NoRegion" {
				e.Hint = "set AWS_REGION"
			}
			fmt.Println(e)
			fmt.Println("hint:", e.Hint)
		}
	}
	// Output:
	// DB_URL: "ssm:/app/db-url": NoRegion: no default region for a short-form reference
	// hint: set AWS_REGION
}

// Resolve fetches every reference at once: here two parameters in one
// GetParameters call and one secret, from a stand-in for AWS.
func ExampleResolver_Resolve() {
	fakeAWS := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		switch r.Header.Get("X-Amz-Target") {
		case "secretsmanager.GetSecretValue":
			io.WriteString(w, `{"Name":"prod/db","VersionId":"v1","SecretString":"{\"user\":\"app\",\"port\":5432}"}`)
		case "AmazonSSM.GetParameters":
			io.WriteString(w, `{"Parameters":[{"Name":"/prod/url","Value":"https://example.com","Version":3},{"Name":"/prod/mode","Value":"blue","Version":1}],"InvalidParameters":[]}`)
		}
	}))
	defer fakeAWS.Close()

	r := resolver.New(resolver.Config{
		AWS: aws.Config{
			Region:       "us-east-1",
			Credentials:  aws.AnonymousCredentials{},
			BaseEndpoint: aws.String(fakeAWS.URL),
		},
		Concurrency: 8,
	})
	environ := []string{"DB_USER=secretsmanager:prod/db:user::", "DB_PORT=secretsmanager:prod/db:port::", "URL=ssm:/prod/url", "MODE=ssm:/prod/mode"}
	reqs, err := reference.Find(environ, nil)
	if err != nil {
		panic(err)
	}
	values, err := r.Resolve(context.Background(), reqs)
	if err != nil {
		panic(err)
	}
	for _, v := range values {
		fmt.Printf("%s=%s (version %s)\n", v.Var, v.Value, v.VersionID)
	}
	fmt.Println("API calls:", r.Calls())
	// Output:
	// DB_USER=app (version v1)
	// DB_PORT=5432 (version v1)
	// URL=https://example.com (version 3)
	// MODE=blue (version 1)
	// API calls: 2
}

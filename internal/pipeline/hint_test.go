package pipeline

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/valuefrom/valuefrom/internal/awsapi"
	"github.com/valuefrom/valuefrom/internal/platform"
	"github.com/valuefrom/valuefrom/resolver"
	"github.com/valuefrom/valuefrom/resolver/reference"
)

// TestHint resolves through the real SDK against an HTTP server that
// denies every call: withHints gives each failure a hint that names the
// permission and the ARN in the region asked.
func TestHint(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"__type":"AccessDeniedException","message":"not authorized"}`)
	}))
	defer srv.Close()
	cfg := aws.Config{
		Region:       "cn-north-1",
		Credentials:  aws.AnonymousCredentials{},
		BaseEndpoint: aws.String(srv.URL),
		Retryer:      func() aws.Retryer { return awsapi.NewRetryer(1) },
	}
	var reqs []reference.Request
	for _, kv := range [][2]string{{"DB", "secretsmanager:db"}, {"URL", "arn:aws:ssm:eu-west-1:123456789012:parameter/app/url"}} {
		ref, err := reference.Parse(kv[1])
		if err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, reference.Request{Var: kv[0], Ref: ref})
	}
	_, err := resolver.New(resolver.Config{AWS: cfg}).Resolve(context.Background(), reqs)
	err = withHints(platform.Platform{}, err)
	var errs resolver.Errors
	if !errors.As(err, &errs) || len(errs) != 2 {
		t.Fatalf("Resolve error = %v, want two failures", err)
	}
	want := []string{
		"the task role (not the execution role) needs secretsmanager:GetSecretValue on arn:aws-cn:secretsmanager:cn-north-1:ACCOUNT:secret:db-??????",
		"the task role (not the execution role) needs ssm:GetParameters on arn:aws:ssm:eu-west-1:123456789012:parameter/app/url",
	}
	for i, e := range errs {
		if e.Hint != want[i] {
			t.Errorf("%s hint = %q, want %q", e.Var, e.Hint, want[i])
		}
	}
}

func TestHintOwnCodes(t *testing.T) {
	ref, _ := reference.Parse("secretsmanager:db:password::")
	tests := []struct {
		e    *resolver.Error
		want string
	}{
		{&resolver.Error{Ref: ref, Code: awsapi.CodeJSONKey, Err: errors.New(`JSON key "password" is not in the secret`)},
			"case-sensitive"},
		{&resolver.Error{Ref: ref, Code: awsapi.CodeNoRegion, Err: errors.New("no default region for a short-form reference")},
			"set AWS_REGION"},
	}
	for _, tt := range tests {
		if got := Hint(platform.Platform{}, tt.e); !strings.Contains(got, tt.want) {
			t.Errorf("Hint(%s) = %q, want it to mention %q", tt.e.Code, got, tt.want)
		}
	}
}

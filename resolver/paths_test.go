package resolver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"

	"github.com/valuefrom/valuefrom/internal/awsapi"
)

// fakePaths pages through n parameters under /app, failing the page
// numbered failPage (from 1) when it is set.
type fakePaths struct {
	n, failPage int
	pages       *int
	asked       *[]*ssm.GetParametersByPathInput
}

func (f fakePaths) GetParametersByPath(_ context.Context, in *ssm.GetParametersByPathInput, _ ...func(*ssm.Options)) (*ssm.GetParametersByPathOutput, error) {
	*f.pages++
	*f.asked = append(*f.asked, in)
	if *f.pages == f.failPage {
		return nil, &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}
	}
	start := 0
	if in.NextToken != nil {
		fmt.Sscan(*in.NextToken, &start)
	}
	out := &ssm.GetParametersByPathOutput{}
	end := min(start+int(aws.ToInt32(in.MaxResults)), f.n)
	for i := start; i < end; i++ {
		out.Parameters = append(out.Parameters, ssmtypes.Parameter{Name: aws.String(fmt.Sprintf("/app/p%03d", i)),
			Value: aws.String(fmt.Sprintf("canary-%d", i)), Type: ssmtypes.ParameterTypeSecureString, Version: 1})
	}
	if end < f.n {
		out.NextToken = aws.String(fmt.Sprint(end))
	}
	return out, nil
}

func TestParametersByPathPages(t *testing.T) {
	for _, n := range []int{0, 9, 10, 11, 55} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			var pages int
			var asked []*ssm.GetParametersByPathInput
			r := newFakeResolver(&fakeAWS{})
			r.paths.New = func(string) pathsAPI { return fakePaths{n: n, pages: &pages, asked: &asked} }
			params, err := r.ParametersByPath(context.Background(), "", "/app", true, true)
			if err != nil {
				t.Fatalf("ParametersByPath: %v", err)
			}
			if len(params) != n {
				t.Errorf("got %d parameters, want %d", len(params), n)
			}
			if want := max(1, (n+9)/10); pages != want || r.Calls() != int64(want) {
				t.Errorf("%d pages, %d calls counted, want %d", pages, r.Calls(), want)
			}
			for _, in := range asked {
				if aws.ToInt32(in.MaxResults) != MaxParametersPerPage || !aws.ToBool(in.WithDecryption) || !aws.ToBool(in.Recursive) || aws.ToString(in.Path) != "/app" {
					t.Errorf("asked %+v", in)
				}
			}
			for i := 1; i < len(params); i++ {
				if params[i-1].Name >= params[i].Name {
					t.Errorf("not sorted at %d", i)
				}
			}
		})
	}
}

// TestParametersByPathAllOrNothing: a page that fails fails the read; no
// parameter of the pages before it comes back.
func TestParametersByPathAllOrNothing(t *testing.T) {
	var pages int
	var asked []*ssm.GetParametersByPathInput
	r := newFakeResolver(&fakeAWS{})
	r.paths.New = func(string) pathsAPI { return fakePaths{n: 35, failPage: 3, pages: &pages, asked: &asked} }
	params, err := r.ParametersByPath(context.Background(), "", "/app", false, true)
	if params != nil {
		t.Errorf("got %d parameters with the error, want none", len(params))
	}
	var e *Error
	if !errors.As(err, &e) || e.Code != "ThrottlingException" || e.Ref.String() != "ssm:/app" || e.Ref.Region != "us-east-1" {
		t.Fatalf("got %v, want a ThrottlingException *Error on ssm:/app in us-east-1", err)
	}
	if testHint(e) == "" {
		t.Errorf("no hint")
	}
	if strings.Contains(err.Error(), "canary") {
		t.Errorf("the error holds a value")
	}
}

func TestJSONFields(t *testing.T) {
	doc := `{"user":"app","port":5432,"ratio":1.50,"big":1000000,"on":true,"nested":{"a": [1, 2]},"none":null,"list":[ "x" ],"esc":"a\"b\u00e9"}`
	fields, err := JSONFields([]byte(doc))
	if err != nil {
		t.Fatalf("JSONFields: %v", err)
	}
	want := map[string]string{"user": "app", "port": "5432", "ratio": "1.50", "big": "1000000", "on": "true",
		"nested": `{"a":[1,2]}`, "none": "", "list": `["x"]`, "esc": `a"bé`}
	if len(fields) != len(want) {
		t.Errorf("got %d fields, want %d", len(fields), len(want))
	}
	for i, f := range fields {
		if i > 0 && fields[i-1].Key >= f.Key {
			t.Errorf("keys not sorted at %s", f.Key)
		}
		if w, ok := want[f.Key]; !ok || string(f.Value) != w {
			t.Errorf("%s = %q, want %q", f.Key, f.Value, w)
		}
		// The same rendering as the :json-key form.
		if one, err := JSONField([]byte(doc), f.Key); err != nil || string(one) != string(f.Value) {
			t.Errorf("%s: JSONField gives %q, JSONFields %q", f.Key, one, f.Value)
		}
	}
	for _, bad := range []string{`canary`, `"canary"`, `["canary"]`, `null`, `12`, `{"a":`} {
		_, err := JSONFields([]byte(bad))
		if err == nil || err.Code != awsapi.CodeNotJSONObject || strings.Contains(err.Error(), "canary") {
			t.Errorf("JSONFields(%d bytes): got %v, want awsapi.CodeNotJSONObject without the value", len(bad), err)
		}
	}
}

// strayPaths answers a path with one parameter it names.
type strayPaths struct{ name, arn string }

func (f strayPaths) GetParametersByPath(context.Context, *ssm.GetParametersByPathInput, ...func(*ssm.Options)) (*ssm.GetParametersByPathOutput, error) {
	return &ssm.GetParametersByPathOutput{Parameters: []ssmtypes.Parameter{{Name: aws.String(f.name), ARN: aws.String(f.arn),
		Value: aws.String("canary-stray"), Type: ssmtypes.ParameterTypeSecureString, Version: 1}}}, nil
}

// TestParametersByPathChecksAnswers: a parameter outside the path, below
// it in a read that is not recursive, or from another region, fails the
// read (issue 12, item 15, for paths): it would name a variable the path
// does not own.
func TestParametersByPathChecksAnswers(t *testing.T) {
	arn := func(region, name string) string { return "arn:aws:ssm:" + region + ":123456789012:parameter" + name }
	tests := []struct {
		name, answer, arn string
		recursive, ok     bool
	}{
		{"under the path", "/app/db", arn("us-east-1", "/app/db"), false, true},
		{"deeper, recursive", "/app/x/db", arn("us-east-1", "/app/x/db"), true, true},
		{"no ARN", "/app/db", "", false, true},
		{"outside the path", "/other/LD_PRELOAD", arn("us-east-1", "/other/LD_PRELOAD"), true, false},
		{"a sibling prefix", "/application/db", arn("us-east-1", "/application/db"), true, false},
		{"deeper, not recursive", "/app/x/db", arn("us-east-1", "/app/x/db"), false, false},
		{"another region", "/app/db", arn("us-west-2", "/app/db"), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newFakeResolver(&fakeAWS{})
			r.paths.New = func(string) pathsAPI { return strayPaths{name: tt.answer, arn: tt.arn} }
			params, err := r.ParametersByPath(context.Background(), "", "/app", tt.recursive, true)
			if tt.ok {
				if err != nil || len(params) != 1 {
					t.Fatalf("got %d parameters, %v; want the one", len(params), err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Code != awsapi.CodeARNMismatch || params != nil {
				t.Fatalf("got %d parameters, %v; want none and an ARNMismatch *Error", len(params), err)
			}
			if strings.Contains(err.Error(), "canary") {
				t.Errorf("the error holds a value")
			}
		})
	}
}

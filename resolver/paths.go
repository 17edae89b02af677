package resolver

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/valuefrom/valuefrom/internal/awsapi"
	"github.com/valuefrom/valuefrom/resolver/reference"
)

// MaxParametersPerPage is the most parameters GetParametersByPath returns
// in one page.
const MaxParametersPerPage = 10

// pathsAPI is the part of the SSM client that reads a path.
type pathsAPI interface {
	GetParametersByPath(context.Context, *ssm.GetParametersByPathInput, ...func(*ssm.Options)) (*ssm.GetParametersByPathOutput, error)
}

// A Parameter is one parameter read under a path.
type Parameter struct {
	Name    string // its full name, the path included
	Value   string // decrypted when asked to be; never logged
	Type    string // String, StringList or SecureString
	Version int64
	ARN     string
}

// ParametersByPath returns every parameter under path (a name starting
// with "/", without a trailing "/") in region, the default region when
// empty: those directly under it, or with recursive those at any depth.
// It asks for MaxParametersPerPage a page, following NextToken to the
// last page, with decrypt for SecureString values. A page that fails,
// after the SDK's retries, fails the whole read: it returns every
// parameter or none, with an *Error whose Ref is ssm:PATH and whose Var is
// empty, for the caller to fill. Parameters come sorted by name.
func (r *Resolver) ParametersByPath(ctx context.Context, region, path string, recursive, decrypt bool) ([]Parameter, error) {
	if region == "" {
		region = r.cfg.AWS.Region
	}
	ref, err := reference.Parse("ssm:" + path)
	if err != nil {
		return nil, &Error{Ref: ref, Code: awsapi.CodeSyntax, Err: err}
	}
	ref.Region = region
	fail := func(err error) error {
		fe := classify(err)
		return &Error{Ref: ref, Code: fe.code, RequestID: fe.requestID, Err: fe.err}
	}
	if region == "" {
		return nil, &Error{Ref: ref, Code: awsapi.CodeNoRegion, Err: fmt.Errorf("no default region for an SSM path")}
	}
	client := r.paths.Get(region)
	in := &ssm.GetParametersByPathInput{
		Path:           aws.String(path),
		Recursive:      aws.Bool(recursive),
		WithDecryption: aws.Bool(decrypt),
		MaxResults:     aws.Int32(MaxParametersPerPage),
	}
	var params []Parameter
	for page := 1; ; page++ {
		r.calls.Add(1)
		out, err := client.GetParametersByPath(ctx, in)
		if err != nil {
			return nil, fail(fmt.Errorf("page %d: %w", page, err))
		}
		for _, p := range out.Parameters {
			name, arn := aws.ToString(p.Name), aws.ToString(p.ARN)
			if err := checkUnderPath(path, recursive, region, name, arn); err != nil {
				return nil, fail(err)
			}
			params = append(params, Parameter{Name: name, Value: aws.ToString(p.Value),
				Type: string(p.Type), Version: p.Version, ARN: arn})
		}
		if aws.ToString(out.NextToken) == "" {
			break
		}
		in.NextToken = out.NextToken
	}
	r.log.Debug("read path", "path", path, "recursive", recursive, "parameters", len(params))
	// sort.Slice, not slices.SortFunc: see Resolver.Pending.
	sort.Slice(params, func(i, j int) bool { return params[i].Name < params[j].Name })
	return params, nil
}

// A Field is one top-level key of a JSON object and its value, rendered
// as JSONField renders it.
type Field struct {
	Key   string
	Value []byte
}

// JSONFields returns every top-level key of the JSON object doc, sorted,
// with its value as JSONField renders it: a string as its text, a number
// as written, null as empty, an object or array as compact JSON. A doc
// that is no JSON object is an *Error with code awsapi.CodeNotJSONObject; no
// error quotes the document.
func JSONFields(doc []byte) ([]Field, *Error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(doc, &obj); err != nil || obj == nil {
		return nil, &Error{Code: awsapi.CodeNotJSONObject, Err: fmt.Errorf("the value is not a JSON object")}
	}
	fields := make([]Field, 0, len(obj))
	for _, key := range slices.Sorted(maps.Keys(obj)) {
		v, err := jsonValue(key, obj[key])
		if err != nil {
			return nil, err
		}
		fields = append(fields, Field{Key: key, Value: v})
	}
	return fields, nil
}

// checkUnderPath returns an error wrapping awsapi.ErrARNMismatch when a
// parameter GetParametersByPath answered is not one the path asked for:
// its name outside the path (or below it when the read is not recursive),
// or its ARN in another region. A path's answer names its variables, so an
// answer that is not the path's must not set any.
func checkUnderPath(path string, recursive bool, region, name, arn string) error {
	prefix := strings.TrimSuffix(path, "/") + "/"
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok || rest == "" || (!recursive && strings.Contains(rest, "/")) {
		return fmt.Errorf("%w: asked for the parameters under %s, answered with %s", awsapi.ErrARNMismatch, path, reference.Quote(name))
	}
	if f := strings.SplitN(arn, ":", 5); arn != "" && (len(f) < 5 || f[3] != region) {
		return fmt.Errorf("%w: asked for %s in %s, answered with %s", awsapi.ErrARNMismatch, path, region, reference.Quote(arn))
	}
	return nil
}

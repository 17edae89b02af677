package kms

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithytime "github.com/aws/smithy-go/time"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/valuefrom/valuefrom/resolver/reference"
)

// Client is a client for the two read-only calls of AWS KMS that valuefrom
// check makes: DescribeKey and GetKeyRotationStatus.
//
// It speaks KMS's awsJson1.1 protocol with the SDK's own parts (the
// configuration's credentials, HTTP client, retryer and API options, the
// SigV4 signer, the SDK's retry loop, request ids and response errors), so
// that it behaves as the SDK's KMS client does and its errors classify the
// same way, without linking the SDK's KMS package: that package cost
// about 450 KB of binary and 2.7 ms of package init on every start, for
// a subcommand that few starts run.
type Client struct {
	cfg      aws.Config
	region   string // the signing region: the client's, without a fips- marker
	endpoint *url.URL
	err      error // why no endpoint could be found, returned by every call
	retryer  aws.Retryer
	signer   *v4.Signer
}

// New returns a KMS client for region made from cfg, as
// kms.NewFromConfig would make it.
func New(cfg aws.Config, region string) *Client {
	c := &Client{cfg: cfg, signer: v4.NewSigner()}
	if c.cfg.HTTPClient == nil {
		c.cfg.HTTPClient = awshttp.NewBuildableClient()
	}
	c.retryer = retry.NewStandard()
	if cfg.Retryer != nil {
		c.retryer = cfg.Retryer()
	}
	if cfg.RetryMaxAttempts != 0 {
		c.retryer = retry.AddWithMaxAttempts(c.retryer, cfg.RetryMaxAttempts)
	}
	c.region, c.endpoint, c.err = kmsEndpoint(cfg, region)
	return c
}

// KeyMetadata is what DescribeKey says of a key: the fields valuefrom
// reads, as KMS names their values.
type KeyMetadata struct {
	Arn        string
	KeyID      string
	KeyState   string // Enabled, Disabled, PendingDeletion, PendingImport, Unavailable, ...
	KeyManager string // AWS or CUSTOMER
	KeySpec    string // SYMMETRIC_DEFAULT, RSA_2048, HMAC_256, ...
	Origin     string // AWS_KMS, EXTERNAL, AWS_CLOUDHSM or EXTERNAL_KEY_STORE
	Enabled    bool
	// DeletionDate is when a key pending deletion will be deleted; nil
	// for any other key.
	DeletionDate *time.Time
	MultiRegion  bool
	// MultiRegionKeyType is PRIMARY or REPLICA for a multi-Region key,
	// else "".
	MultiRegionKeyType string
}

// Values of KeyMetadata fields that valuefrom tests for.
const (
	KeyManagerAWS     = "AWS"
	KeySpecSymmetric  = "SYMMETRIC_DEFAULT"
	KeyOriginExternal = "EXTERNAL"
)

// keyIDInput is the request of both calls.
type keyIDInput struct {
	KeyID string `json:"KeyId"`
}

// DescribeKey returns the metadata of the key that keyID names: a key id,
// a key ARN, an alias name or an alias ARN.
func (c *Client) DescribeKey(ctx context.Context, keyID string) (KeyMetadata, error) {
	var out struct {
		KeyMetadata *struct {
			Arn                      string
			KeyID                    string `json:"KeyId"`
			KeyState                 string
			KeyManager               string
			KeySpec                  string
			Origin                   string
			Enabled                  bool
			DeletionDate             *float64 // seconds since the epoch
			MultiRegion              bool
			MultiRegionConfiguration *struct{ MultiRegionKeyType string }
		}
	}
	err := c.call(ctx, "DescribeKey", keyIDInput{keyID}, func(body []byte) error {
		if err := decodeJSON(body, &out); err != nil {
			return err
		}
		if out.KeyMetadata == nil {
			return errors.New("the answer holds no KeyMetadata")
		}
		return nil
	})
	if err != nil {
		return KeyMetadata{}, err
	}
	m := out.KeyMetadata
	meta := KeyMetadata{Arn: m.Arn, KeyID: m.KeyID, KeyState: m.KeyState, KeyManager: m.KeyManager, KeySpec: m.KeySpec,
		Origin: m.Origin, Enabled: m.Enabled, MultiRegion: m.MultiRegion}
	if m.DeletionDate != nil {
		d := smithytime.ParseEpochSeconds(*m.DeletionDate)
		meta.DeletionDate = &d
	}
	if m.MultiRegionConfiguration != nil {
		meta.MultiRegionKeyType = m.MultiRegionConfiguration.MultiRegionKeyType
	}
	return meta, nil
}

// GetKeyRotationStatus reports whether automatic rotation is enabled for
// the key that keyID names: a key id or a key ARN.
func (c *Client) GetKeyRotationStatus(ctx context.Context, keyID string) (bool, error) {
	var out struct{ KeyRotationEnabled bool }
	err := c.call(ctx, "GetKeyRotationStatus", keyIDInput{keyID}, func(body []byte) error { return decodeJSON(body, &out) })
	return out.KeyRotationEnabled, err
}

// decodeJSON decodes body into out; an empty body leaves out as it is.
func decodeJSON(body []byte, out any) error {
	if len(body) == 0 {
		return nil
	}
	return json.Unmarshal(body, out)
}

// call sends the operation op with the request in, and passes the body of
// a successful answer to decode. Its error is a *smithy.OperationError, as
// the SDK's.
func (c *Client) call(ctx context.Context, op string, in any, decode func(body []byte) error) error {
	err := c.invoke(ctx, op, in, decode)
	if err != nil {
		return &smithy.OperationError{ServiceID: "KMS", OperationName: op, Err: err}
	}
	return nil
}

// invoke sends op through a middleware stack made as the SDK's clients
// make theirs, so that cfg.APIOptions apply to it: for a configuration
// from LoadConfig, LimitResponses and the middleware that makes CallErrors
// and feeds a Tracker.
func (c *Client) invoke(ctx context.Context, op string, in any, decode func(body []byte) error) error {
	if c.err != nil {
		return c.err
	}
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("serialize the request: %w", err)
	}
	stack := middleware.NewStack(op, smithyhttp.NewStackRequest)
	steps := []error{
		stack.Initialize.Add(&awsmiddleware.RegisterServiceMetadata{ServiceID: "KMS", SigningName: "kms", Region: c.region, OperationName: op}, middleware.Before),
		stack.Serialize.Add(middleware.SerializeMiddlewareFunc("OperationSerializer", c.serialize(op, body)), middleware.After),
		awsmiddleware.AddSDKAgentKey(awsmiddleware.APIMetadata, "kms")(stack),
		stack.Finalize.Add(retry.NewAttemptMiddleware(c.retryer, smithyhttp.RequestCloner), middleware.After),
		stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("Signing", c.sign(body)), middleware.After),
		stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("OperationDeserializer", deserialize(decode)), middleware.After),
		awsmiddleware.AddRequestIDRetrieverMiddleware(stack),
		awshttp.AddResponseErrorMiddleware(stack),
	}
	if c.cfg.AppID != "" {
		steps = append(steps, awsmiddleware.AddSDKAgentKey(awsmiddleware.ApplicationIdentifier, c.cfg.AppID)(stack))
	}
	for _, f := range c.cfg.APIOptions {
		steps = append(steps, f(stack))
	}
	if err := errors.Join(steps...); err != nil {
		return err
	}
	if c.cfg.Logger != nil {
		ctx = middleware.SetLogger(ctx, c.cfg.Logger)
	}
	_, _, err = middleware.DecorateHandler(smithyhttp.NewClientHandlerWithOptions(c.cfg.HTTPClient), stack).Handle(ctx, in)
	return err
}

// serialize makes the request: a POST of body to the endpoint, naming op.
func (c *Client) serialize(op string, body []byte) func(context.Context, middleware.SerializeInput, middleware.SerializeHandler) (middleware.SerializeOutput, middleware.Metadata, error) {
	return func(ctx context.Context, in middleware.SerializeInput, next middleware.SerializeHandler) (middleware.SerializeOutput, middleware.Metadata, error) {
		req, ok := in.Request.(*smithyhttp.Request)
		if !ok {
			return middleware.SerializeOutput{}, middleware.Metadata{}, fmt.Errorf("unexpected transport type %T", in.Request)
		}
		u := *c.endpoint
		u.Path = smithyhttp.JoinPath(u.Path, "/")
		req.URL, req.Host = &u, ""
		req.Method = http.MethodPost
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", "TrentService."+op)
		req, err := req.SetStream(bytes.NewReader(body))
		if err != nil {
			return middleware.SerializeOutput{}, middleware.Metadata{}, fmt.Errorf("set stream: %w", err)
		}
		in.Request = req
		return next.HandleSerialize(ctx, in)
	}
}

// sign signs each attempt with SigV4, with credentials retrieved for it,
// as the SDK does. Anonymous credentials send the request unsigned.
func (c *Client) sign(body []byte) func(context.Context, middleware.FinalizeInput, middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	return func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
		req, ok := in.Request.(*smithyhttp.Request)
		if !ok {
			return middleware.FinalizeOutput{}, middleware.Metadata{}, fmt.Errorf("unexpected transport type %T", in.Request)
		}
		if _, anonymous := c.cfg.Credentials.(aws.AnonymousCredentials); c.cfg.Credentials != nil && !anonymous {
			creds, err := c.cfg.Credentials.Retrieve(ctx)
			if err != nil {
				return middleware.FinalizeOutput{}, middleware.Metadata{}, fmt.Errorf("get identity: %w", err)
			}
			if err := c.signer.SignHTTP(ctx, creds, req.Request, hash, "kms", c.region, time.Now().UTC()); err != nil {
				return middleware.FinalizeOutput{}, middleware.Metadata{}, fmt.Errorf("sign request: %w", err)
			}
		}
		return next.HandleFinalize(ctx, in)
	}
}

// deserialize passes the body of a successful answer to decode, or makes
// the answer's error, as the SDK's
// awsJson1.1 protocol does: a body that cannot be read or decoded is a
// *smithy.DeserializationError, an error answer a *smithy.GenericAPIError
// with its code and message. The ResponseErrorWrapper above it wraps
// either in an *awshttp.ResponseError with the request id.
func deserialize(decode func(body []byte) error) func(context.Context, middleware.DeserializeInput, middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
	return func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
		res, md, err := next.HandleDeserialize(ctx, in)
		if err != nil {
			return res, md, err
		}
		resp, ok := res.RawResponse.(*smithyhttp.Response)
		if !ok {
			return res, md, &smithy.DeserializationError{Err: fmt.Errorf("unknown transport type %T", res.RawResponse)}
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case resp.StatusCode < 200 || resp.StatusCode >= 300:
			if err != nil {
				return res, md, &smithy.DeserializationError{Err: fmt.Errorf("failed to copy error response body, %w", err)}
			}
			return res, md, errorAnswer(resp, body)
		case err != nil:
			return res, md, &smithy.DeserializationError{Err: err}
		}
		if err := decode(body); err != nil {
			return res, md, &smithy.DeserializationError{Err: err}
		}
		return res, md, nil
	}
}

// errorAnswer is the error of an error answer: its code from the
// X-Amzn-ErrorType header, else the body's __type (or code), without a
// namespace ("com.amazonaws.kms#") or a suffix after ':'.
func errorAnswer(resp *smithyhttp.Response, body []byte) error {
	var info struct {
		Type    string `json:"__type"`
		Message string
		Code    any
	}
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(&info); err != nil && err != io.EOF {
		return &smithy.DeserializationError{Err: fmt.Errorf("failed to decode response body, %w", err)}
	}
	code := resp.Header.Get("X-Amzn-ErrorType")
	if code == "" {
		code = info.Type
	}
	if s, ok := info.Code.(string); code == "" && ok {
		code = s
	}
	code, _, _ = strings.Cut(code, ":")
	if i := strings.Index(code, "#"); i >= 0 {
		code = code[i+1:]
	}
	msg := info.Message
	if code == "" {
		code = "UnknownError"
		if msg == "" {
			msg = code
		}
	}
	fault := smithy.FaultUnknown
	switch code {
	case "KMSInternalException", "DependencyTimeoutException", "KeyUnavailableException":
		fault = smithy.FaultServer
	}
	return &smithy.GenericAPIError{Code: code, Message: msg, Fault: fault}
}

// kmsEndpoint returns the signing region and the endpoint of KMS in
// region, chosen in the SDK's order: the service's own endpoint
// (AWS_ENDPOINT_URL_KMS, or a profile's services section), else the
// configuration's BaseEndpoint (AWS_ENDPOINT_URL), else the region's
// endpoint in its partition, FIPS or dual-stack when configured so. A
// region named with a fips marker (fips-us-gov-west-1, us-east-1-fips)
// means its FIPS endpoint.
func kmsEndpoint(cfg aws.Config, region string) (string, *url.URL, error) {
	ctx := context.Background()
	base := aws.ToString(cfg.BaseEndpoint)
	_, global := os.LookupEnv("AWS_ENDPOINT_URL")
	_, own := os.LookupEnv("AWS_ENDPOINT_URL_KMS")
	if !global || own {
		if s, ok := serviceEndpoint(ctx, cfg.ConfigSources); ok {
			base = s
		}
	}

	fips := false
	for _, marker := range []string{"-fips-", "fips-", "-fips"} {
		if strings.Contains(region, marker) {
			fips = true
		}
	}
	if fips {
		region = strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(region, "-fips-", "-"), "fips-", ""), "-fips", "")
	} else {
		fips = configured(ctx, cfg.ConfigSources, func(p any) (bool, bool, error) {
			f, ok := p.(interface {
				GetUseFIPSEndpoint(context.Context) (aws.FIPSEndpointState, bool, error)
			})
			if !ok {
				return false, false, nil
			}
			v, found, err := f.GetUseFIPSEndpoint(ctx)
			return v == aws.FIPSEndpointStateEnabled, found, err
		})
	}
	dualStack := configured(ctx, cfg.ConfigSources, func(p any) (bool, bool, error) {
		f, ok := p.(interface {
			GetUseDualStackEndpoint(context.Context) (aws.DualStackEndpointState, bool, error)
		})
		if !ok {
			return false, false, nil
		}
		v, found, err := f.GetUseDualStackEndpoint(ctx)
		return v == aws.DualStackEndpointStateEnabled, found, err
	})

	var endpoint string
	switch {
	case base != "" && fips:
		return region, nil, errors.New("endpoint rule error, Invalid Configuration: FIPS and custom endpoint are not supported")
	case base != "" && dualStack:
		return region, nil, errors.New("endpoint rule error, Invalid Configuration: Dualstack and custom endpoint are not supported")
	case base != "":
		endpoint = base
	case region == "":
		return region, nil, errors.New("endpoint rule error, Invalid Configuration: Missing Region")
	case !validHostLabel(region):
		return region, nil, fmt.Errorf("invalid input region %s", region)
	default:
		partition := reference.PartitionOf(region)
		suffix := reference.DNSSuffix(partition)
		if dualStack {
			suffix = dualStackSuffix(partition)
		}
		name := "kms"
		if fips {
			name = "kms-fips"
		}
		endpoint = "https://" + name + "." + region + "." + suffix
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return region, nil, fmt.Errorf("failed to parse uri: %s", endpoint)
	}
	return region, u, nil
}

// serviceEndpoint returns KMS's own endpoint from the configuration's
// sources, unless AWS_IGNORE_CONFIGURED_ENDPOINTS (or the profile's
// ignore_configured_endpoint_urls) says to ignore it.
func serviceEndpoint(ctx context.Context, sources []any) (string, bool) {
	ignore := configured(ctx, sources, func(p any) (bool, bool, error) {
		f, ok := p.(interface {
			GetIgnoreConfiguredEndpoints(context.Context) (bool, bool, error)
		})
		if !ok {
			return false, false, nil
		}
		return f.GetIgnoreConfiguredEndpoints(ctx)
	})
	if ignore {
		return "", false
	}
	for _, s := range sources {
		if p, ok := s.(interface {
			GetServiceBaseEndpoint(context.Context, string) (string, bool, error)
		}); ok {
			v, found, err := p.GetServiceBaseEndpoint(ctx, "KMS")
			if err != nil {
				return "", false
			}
			if found {
				return v, true
			}
		}
	}
	return "", false
}

// configured returns the first value that get finds in sources, false when
// none has one or when getting it fails.
func configured(ctx context.Context, sources []any, get func(source any) (v, found bool, err error)) bool {
	for _, s := range sources {
		v, found, err := get(s)
		if err != nil {
			return false
		}
		if found {
			return v
		}
	}
	return false
}

// dualStackSuffix is the DNS suffix of a partition's dual-stack endpoints,
// from the SDK's partitions.json; aws's for a partition it does not know.
func dualStackSuffix(partition string) string {
	switch partition {
	case "aws-cn":
		return "api.amazonwebservices.com.cn"
	case "aws-eusc":
		return "api.amazonwebservices.eu"
	case "aws-iso":
		return "api.aws.ic.gov"
	case "aws-iso-b":
		return "api.aws.scloud"
	case "aws-iso-e":
		return "api.cloud-aws.adc-e.uk"
	case "aws-iso-f":
		return "api.aws.hci.ic.gov"
	}
	return "api.aws"
}

// validHostLabel reports whether s can be a DNS label: 1 to 63 letters,
// digits and hyphens, not starting with a hyphen.
func validHostLabel(s string) bool {
	if len(s) == 0 || len(s) > 63 || s[0] == '-' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

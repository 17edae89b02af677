package awsapi

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/credentials/processcreds"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// A SourceKind is a kind of credential source of the SDK's default chain.
type SourceKind string

// The credential sources the SDK's chain can choose.
const (
	SourceEnv         SourceKind = "environment"       // AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY
	SourceProfile     SourceKind = "profile"           // keys in the shared config or credentials file
	SourceECS         SourceKind = "ecs"               // AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: the ECS task role
	SourceContainer   SourceKind = "container"         // AWS_CONTAINER_CREDENTIALS_FULL_URI
	SourcePodIdentity SourceKind = "pod-identity"      // the full URI with a token file: EKS Pod Identity
	SourceWebIdentity SourceKind = "web-identity"      // AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN: IRSA
	SourceProcess     SourceKind = "process"           // a profile's credential_process
	SourceSSO         SourceKind = "sso"               // a profile's SSO session
	SourceIMDS        SourceKind = "instance-metadata" // the EC2 instance metadata service
)

// The addresses AWS's platforms serve credentials at, as the SDK uses them.
const (
	ecsEndpoint         = "http://169.254.170.2" // AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is a path on it
	podIdentityIPv4     = "169.254.170.23"
	podIdentityIPv6     = "fd00:ec2::23"
	imdsDefaultEndpoint = "http://169.254.169.254"
)

// A CredentialSource is the source of credentials the SDK's default chain
// chose when LoadConfig loaded the configuration, with what an operator
// needs to find it: its endpoint, files and role. It holds no credential
// and no token.
type CredentialSource struct {
	Kind SourceKind
	// URL is the container credentials endpoint (ECS, a full URI, Pod
	// Identity) or the instance metadata service, without user
	// information or query.
	URL string
	// TokenFile is the file of the token sent with the request:
	// AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE for a container endpoint,
	// the web identity token file for web identity.
	TokenFile string
	// RoleARN is the role web identity assumes.
	RoleARN string
	// AssumeRole is the role a profile's role_arn assumes with the
	// credentials of the source, if any.
	AssumeRole string
	// Profile is the profile whose settings chose the source: its keys,
	// credential_process or SSO session.
	Profile string

	webSTS *lazySTS  // the client of web identity's STS call
	imds   *lazyIMDS // the client of instance metadata's calls
}

// SourceOf returns the credential source the chain chose for cfg, a
// configuration from LoadConfig; its Kind is "" when cfg has none, or was
// not made by LoadConfig.
func SourceOf(cfg aws.Config) CredentialSource {
	for _, s := range cfg.ConfigSources {
		if src, ok := s.(*CredentialSource); ok {
			return *src
		}
	}
	return CredentialSource{}
}

// String names the source for an operator, with its endpoint or files,
// as error messages and check's header name it.
func (s CredentialSource) String() string {
	var name string
	switch s.Kind {
	case SourceEnv:
		name = "static keys (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
	case SourceProfile:
		name = fmt.Sprintf("the keys of profile %q", s.Profile)
	case SourceECS:
		name = "the ECS task role (container credentials at " + s.URL + ", AWS_CONTAINER_CREDENTIALS_RELATIVE_URI)"
	case SourceContainer:
		name = "the container credentials endpoint " + s.URL + " (AWS_CONTAINER_CREDENTIALS_FULL_URI)"
	case SourcePodIdentity:
		name = "EKS Pod Identity (" + s.URL + ", token file " + cmp.Or(s.TokenFile, "not set: AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE") + ")"
	case SourceWebIdentity:
		name = "web identity (role " + cmp.Or(s.RoleARN, "?") + ", token file " + s.TokenFile + ", STS at " + s.STSEndpoint() + ")"
	case SourceProcess:
		name = fmt.Sprintf("the credential_process of profile %q", s.Profile)
	case SourceSSO:
		name = fmt.Sprintf("the SSO session of profile %q", s.Profile)
	case SourceIMDS:
		name = "instance metadata (IMDSv2 at " + hostOf(s.URL) + ")"
	default:
		return "the SDK's default credential chain"
	}
	if s.AssumeRole != "" {
		name = "role " + s.AssumeRole + ", assumed with " + name
	}
	return name
}

// STSEndpoint is the host web identity's STS call goes to: AWS_ENDPOINT_URL_STS's,
// AWS_ENDPOINT_URL's, a profile's endpoint_url, or AWS's regional one.
func (s CredentialSource) STSEndpoint() string {
	if s.webSTS == nil || s.webSTS.client == nil {
		return "sts.amazonaws.com"
	}
	o := s.webSTS.client.Options()
	if o.BaseEndpoint != nil {
		if u, err := url.Parse(*o.BaseEndpoint); err == nil && u.Host != "" {
			return u.Host
		}
	}
	return Endpoint("sts", o.Region)
}

// recordSource returns the load options that note, in src, the source the
// chain chooses while the configuration loads: the SDK calls each
// source's options only when it chooses that source. Web identity's STS
// call gets a client made from the loaded configuration (see lazySTS).
func recordSource(src *CredentialSource, profile string) []func(*config.LoadOptions) error {
	src.Profile = cmp.Or(profile, os.Getenv("AWS_PROFILE"), "default")
	src.webSTS, src.imds = &lazySTS{}, &lazyIMDS{}
	return []func(*config.LoadOptions) error{
		config.WithEC2RoleCredentialOptions(func(o *ec2rolecreds.Options) {
			src.Kind, src.URL = SourceIMDS, showURL(cmp.Or(os.Getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT"), imdsDefaultEndpoint))
			o.Client = src.imds
		}),
		config.WithProcessCredentialOptions(func(*processcreds.Options) { src.Kind = SourceProcess }),
		config.WithSSOProviderOptions(func(*ssocreds.Options) { src.Kind = SourceSSO }),
		config.WithAssumeRoleCredentialOptions(func(o *stscreds.AssumeRoleOptions) { src.AssumeRole = o.RoleARN }),
		config.WithWebIdentityRoleCredentialOptions(func(o *stscreds.WebIdentityRoleOptions) {
			src.Kind, src.RoleARN = SourceWebIdentity, o.RoleARN
			if file, ok := o.TokenRetriever.(stscreds.IdentityTokenFile); ok {
				src.TokenFile = string(file)
			}
			o.Client = src.webSTS
		}),
	}
}

// container notes that the chain chose the container credentials
// endpoint, reading the variables the SDK reads.
func (src *CredentialSource) container() {
	if rel := os.Getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"); rel != "" {
		src.Kind, src.URL = SourceECS, ecsURL(rel)
		return
	}
	full := os.Getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI")
	src.Kind, src.URL = SourceContainer, showURL(full)
	src.TokenFile = os.Getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
	if u, err := url.Parse(full); src.TokenFile != "" || err == nil && isPodIdentityHost(u.Hostname()) {
		src.Kind = SourcePodIdentity
	}
}

// ecsURL shows the ECS agent's credentials endpoint at the relative URI
// rel without its last segment, the task's credentials id: whoever can
// reach the agent and knows the id is given the task role's keys.
func ecsURL(rel string) string {
	dir, _, _ := strings.Cut(rel, "?")
	if i := strings.LastIndexByte(dir, '/'); i >= 0 {
		dir = dir[:i+1]
	} else {
		dir = "/"
	}
	return showURL(ecsEndpoint+dir) + "…"
}

// loaded completes src once the configuration loaded: a chain that called
// no source's options chose static keys, from the environment or a
// profile, or found none. cfg's web identity client is made now, from the
// loaded configuration.
func (src *CredentialSource) loaded(cfg aws.Config, profile string) {
	if src.Kind == "" && cfg.Credentials != nil {
		src.Kind = SourceProfile
		// LoadConfig refused half a key pair (checkKeys): keys in the
		// environment are a whole one.
		if profile == "" && os.Getenv("AWS_ACCESS_KEY_ID")+os.Getenv("AWS_ACCESS_KEY") != "" {
			src.Kind = SourceEnv
		}
	}
	switch src.Kind {
	case SourceWebIdentity:
		src.webSTS.from(cfg)
	case SourceIMDS:
		src.imds.from(cfg)
	}
}

// A HalfKeysError says the environment holds one half of a static key
// pair. The SDK would skip the pair and go on down its chain, to fail
// there with an error that blames another source; the AWS CLI refuses
// half a pair, and so does valuefrom.
type HalfKeysError struct {
	Missing, Set string // the variables
}

func (e *HalfKeysError) Error() string {
	return e.Missing + " is missing: " + e.Set + " is set without it"
}

// checkKeys returns a *HalfKeysError when the environment holds only one
// half of a static key pair. A profile asked for by flag makes the SDK
// ignore the environment's keys, and checkKeys too.
func checkKeys(profile string) error {
	if profile != "" {
		return nil
	}
	// The SDK reads each half under two names.
	id := os.Getenv("AWS_ACCESS_KEY_ID") != "" || os.Getenv("AWS_ACCESS_KEY") != ""
	secret := os.Getenv("AWS_SECRET_ACCESS_KEY") != "" || os.Getenv("AWS_SECRET_KEY") != ""
	switch {
	case id && !secret:
		return &HalfKeysError{Missing: "AWS_SECRET_ACCESS_KEY", Set: "AWS_ACCESS_KEY_ID"}
	case secret && !id:
		return &HalfKeysError{Missing: "AWS_ACCESS_KEY_ID", Set: "AWS_SECRET_ACCESS_KEY"}
	}
	return nil
}

// hostOf returns the host (and port) of the URL raw, or raw itself.
func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		return u.Host
	}
	return raw
}

func isPodIdentityHost(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && (ip.Equal(net.ParseIP(podIdentityIPv4)) || ip.Equal(net.ParseIP(podIdentityIPv6)))
}

// showURL returns raw without user information, query or fragment, which
// may carry a credential.
func showURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(a URL that does not parse)"
	}
	u.User, u.RawQuery, u.Fragment, u.ForceQuery = nil, "", "", false
	return escapeUnsafe(u.String())
}

// lazySTS is the client of web identity's AssumeRoleWithWebIdentity
// call. The SDK makes its own while the configuration loads, before the
// configuration's base endpoint is known, so that AWS_ENDPOINT_URL does
// not apply to it, only AWS_ENDPOINT_URL_STS (aws-sdk-go-v2 issue 2802).
// This one is made from the loaded configuration, where both apply, as to
// every other call.
type lazySTS struct{ client *sts.Client }

// from makes the client from cfg. The call is not signed: it has no
// credentials to sign with, it is how they are found.
func (l *lazySTS) from(cfg aws.Config) {
	cfg.Credentials = nil
	l.client = sts.NewFromConfig(cfg)
}

func (l *lazySTS) AssumeRoleWithWebIdentity(ctx context.Context, in *sts.AssumeRoleWithWebIdentityInput, optFns ...func(*sts.Options)) (
	*sts.AssumeRoleWithWebIdentityOutput, error,
) {
	if l.client == nil {
		return nil, errors.New("web identity: the STS client was not made")
	}
	return l.client.AssumeRoleWithWebIdentity(ctx, in, optFns...)
}

// lazyIMDS is the client of instance metadata's credential calls, made
// from the loaded configuration with the SDK's own retry policy for
// instance metadata (3 attempts, backoff capped at 1 s) in place of
// valuefrom's (VALUEFROM_MAX_ATTEMPTS, for AWS's services). The SDK bounds
// each call at 5 s, the IMDSv2 token request included: with 30 attempts the
// token requests that a hop limit of 1 leaves unanswered used the whole 5 s,
// and the SDK never reached its IMDSv1 fallback, which works where the
// instance does not require IMDSv2.
type lazyIMDS struct{ client *imds.Client }

func (l *lazyIMDS) from(cfg aws.Config) {
	l.client = imds.NewFromConfig(cfg, func(o *imds.Options) { o.Retryer = retry.NewStandard() })
}

func (l *lazyIMDS) GetMetadata(ctx context.Context, in *imds.GetMetadataInput, optFns ...func(*imds.Options)) (*imds.GetMetadataOutput, error) {
	if l.client == nil {
		return nil, errors.New("instance metadata: the client was not made")
	}
	return l.client.GetMetadata(ctx, in, optFns...)
}

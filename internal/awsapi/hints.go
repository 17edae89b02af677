package awsapi

import (
	"cmp"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/valuefrom/valuefrom/internal/platform"
	"github.com/valuefrom/valuefrom/resolver/reference"
)

// Hint says what an operator can do about a failure of class c on ref,
// asked in region; arn is the ARN of the secret or parameter as IAM would
// name it. It returns "" when there is nothing useful to say. It names
// the IAM role as the platform on names it (see words).
//
// Hints may name valuefrom's settings and subcommands: they are for the
// operator of the command, not for the resolver's callers. A hint about
// the network names the endpoint the call went to (c.Endpoint) when it
// is known: AWS_ENDPOINT_URL's, a FIPS or VPC endpoint, or AWS's own.
func Hint(on platform.Platform, c Class, ref reference.Ref, region, arn string) string {
	w := wordsOn(on)
	endpoint := describeEndpoint(c.Endpoint, ref.Service, region)
	switch {
	case c.Code == CodeForbidden:
		return endpoint + " refused the call with HTTP 403 and a body that is not from AWS: if a proxy (HTTPS_PROXY) sent it, " +
			"let it pass to " + cmp.Or(c.Endpoint, Endpoint(ref.Service, region)) + " or list the host in NO_PROXY; " +
			"if an emulator that enforces IAM sent it, the role needs " + action(ref.Service) + " there"
	case c.Denied && c.KMS:
		return w.role + " needs kms:Decrypt on the customer-managed KMS key that encrypts " + arn +
			" (with kms:ViaService " + Endpoint(ref.Service, region) + "), and the key policy must allow it"
	case c.Denied:
		if ref.Service == reference.SecretsManager && ref.Partition != "" {
			// An ARN as written may leave out the six characters AWS
			// appends to a secret's name; a policy naming it then matches
			// nothing (as valuefrom policy, name both).
			return w.onlyRole + " needs " + action(ref.Service) + " on " + arn +
				" (or on " + arn + "-?????? if that ARN leaves out the secret's six-character suffix)"
		}
		return w.onlyRole + " needs " + action(ref.Service) + " on " + arn
	case c.NotFound:
		what := "secret"
		if ref.Service == reference.SSM {
			what = "parameter"
		}
		if ref.Selector != "" || ref.VersionID != "" || ref.VersionStage != "" {
			return "check that the " + what + " exists in " + region + " with that version, stage or label; names are case-sensitive"
		}
		return "check the " + what + " name and the region: looked in " + region + "; names are case-sensitive" + slashHint(ref)
	}
	switch c.Code {
	case "DecryptionFailure", "KMSDisabledException", "KMSInvalidStateException", "KMSNotFoundException",
		"KMSAccessDeniedException", "InvalidKeyId", "KMSInvalidKeyUsageException", "KMSKeyNotAccessibleException":
		return "the KMS key that encrypts " + arn + " cannot decrypt it: if the key is disabled or pending deletion, " +
			"new tasks cannot start until it is enabled again (aws kms enable-key, or cancel-key-deletion); " +
			"otherwise check the role has kms:Decrypt on the key. Running `valuefrom check` names the key and its state"
	case "ParameterVersionNotFound", "ParameterVersionLabelLimitExceeded":
		return "the parameter exists but not that version or label: list them with aws ssm get-parameter-history --name " + ref.Name
	case "InvalidRequestException":
		if ref.Service == reference.SecretsManager {
			return "the secret may be scheduled for deletion (aws secretsmanager restore-secret --secret-id " + ref.ID() + ") or have no such version"
		}
	case "ThrottlingException", "TooManyUpdates", "ThrottledException":
		return "AWS kept throttling after every retry: raise VALUEFROM_MAX_ATTEMPTS or VALUEFROM_TIMEOUT, or start fewer tasks at once"
	case CodeTimeout:
		return "no answer from " + endpoint + " within VALUEFROM_TIMEOUT: check the network path to it " +
			"(NAT gateway or VPC endpoint, security groups), or raise VALUEFROM_TIMEOUT"
	case CodeNetwork:
		return networkHint(c, endpoint)
	case CodeProxyAuth:
		return "the HTTP proxy" + where(c.Proxy) + " wants credentials (HTTP 407): give them in HTTPS_PROXY " +
			"(http://USER:PASSWORD@HOST:PORT), or list " + cmp.Or(c.Endpoint, Endpoint(ref.Service, region)) + " in NO_PROXY if it needs no proxy"
	case CodeNotAWS:
		if c.HTTPStatus >= 500 {
			return "AWS is not down: a proxy, load balancer or emulator" + where(c.Proxy) + " on the way to " + endpoint +
				" answered HTTP " + strconv.Itoa(c.HTTPStatus) + "; check it, and HTTPS_PROXY and NO_PROXY"
		}
		return endpoint + " answered HTTP " + strconv.Itoa(c.HTTPStatus) + " as AWS never does: check that AWS_ENDPOINT_URL " +
			"and any HTTPS_PROXY lead to AWS, or to an emulator of it"
	case CodeCredentials:
		return w.noCredentials()
	case "UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException":
		return "the AWS credentials are not valid here: check they are current and belong to this partition"
	case CodeJSONKey:
		return "the key is case-sensitive and must be a top-level key of the secret's JSON object"
	case CodeNotJSONObject:
		return "a JSON key can only select from a secret whose value is a JSON object; drop the key to use the whole value"
	case CodeBinary:
		return "name the variable with a _FILE suffix to have the bytes written to a file instead"
	case CodeResponseTooLarge:
		return "the answer from " + endpoint + " was larger than any secret or parameter can be: " +
			"check that AWS_ENDPOINT_URL and any HTTPS_PROXY lead to AWS"
	case CodeARNMismatch:
		return "the answer came from another account, region or secret than the ARN names, as an endpoint that " +
			"ignores them would answer: check that AWS_ENDPOINT_URL and any HTTPS_PROXY lead to AWS, and that the ARN is right"
	case CodeNoRegion:
		return NoRegionHint
	}
	if c.KMS {
		return "a KMS error: check the key that encrypts " + arn + " is enabled and " + w.role + " has kms:Decrypt on it"
	}
	return ""
}

// Endpoint returns the DNS name of service's endpoint in region, such as
// ssm.cn-north-1.amazonaws.com.cn, as kms:ViaService names it.
func Endpoint(service reference.Service, region string) string {
	return string(service) + "." + region + "." + reference.DNSSuffix(reference.PartitionOf(region))
}

// slashHint suggests the other spelling of a short-form SSM reference's
// name, with or without its leading "/", for a parameter not found: a
// name in a hierarchy starts with "/", so ssm:app/url means /app/url. It
// only suggests: the reference is resolved as written.
func slashHint(ref reference.Ref) string {
	if ref.Service != reference.SSM || ref.Partition != "" {
		return ""
	}
	if name, ok := strings.CutPrefix(ref.Name, "/"); ok {
		if strings.Contains(name, "/") {
			return ""
		}
		return "; a parameter outside any hierarchy may be named without the leading /: ssm:" + name
	}
	if strings.Contains(ref.Name, "/") {
		return "; a name in a hierarchy starts with /: did you mean ssm:/" + ref.Name + "?"
	}
	return "; if the parameter is /" + ref.Name + ", write ssm:/" + ref.Name
}

// action is the IAM action that reads a reference of service.
func action(service reference.Service) string {
	if service == reference.SecretsManager {
		return "secretsmanager:GetSecretValue"
	}
	return "ssm:GetParameters"
}

// describeEndpoint names the endpoint a call went to: host when it is
// known, else AWS's for service in region. A host that is not in the
// region's partition's DNS domain was set by hand, and the hint says where
// such a setting comes from.
func describeEndpoint(host string, service reference.Service, region string) string {
	if host == "" {
		return Endpoint(service, region)
	}
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	if strings.HasSuffix(name, "."+reference.DNSSuffix(reference.PartitionOf(region))) {
		return host
	}
	return host + " (a custom endpoint: AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_SSM or _SECRETS_MANAGER, or a profile's endpoint_url)"
}

// where names a proxy's address in a hint, when it is known.
func where(proxy string) string {
	if proxy == "" {
		return ""
	}
	return " at " + proxy
}

// networkHint says what to do about a connection to endpoint that failed.
func networkHint(c Class, endpoint string) string {
	if c.Proxy != "" {
		return "could not reach the HTTP proxy at " + c.Proxy + " (" + cmp.Or(c.Network, "network error") + "): check HTTPS_PROXY " +
			"and that the proxy runs, or list the endpoint in NO_PROXY to go without it"
	}
	switch c.Network {
	case NetRefused:
		return endpoint + " refused the connection: nothing listens there, or a firewall rejects it; check the endpoint, " +
			"and that what should answer there (an emulator, a proxy, a VPC endpoint) is running"
	case NetDNS:
		return "the name of " + endpoint + " does not resolve: check its spelling and the VPC's DNS " +
			"(enableDnsSupport; private DNS for a VPC endpoint)"
	case NetTLS:
		return "the TLS handshake with " + endpoint + " failed: check AWS_CA_BUNDLE and any TLS-inspecting proxy (its CA " +
			"must be trusted), and that the endpoint speaks HTTPS there"
	case NetTimeout:
		return endpoint + " did not answer in time: check the network path to it (NAT gateway or VPC endpoint, security groups)"
	case NetReset:
		return "the connection to " + endpoint + " was cut: check proxies and firewalls on the way, and that the endpoint " +
			"speaks HTTP or HTTPS as its URL says"
	}
	return "could not reach " + endpoint + ": check DNS, the NAT gateway or VPC endpoint, and security groups"
}

// words are what hints call the IAM role that valuefrom's calls are made
// as, and the ways a workload gets one, on a platform: ECS's, which the
// hints were written for and which serve anywhere but Lambda, or
// Lambda's. Each phrase is here once.
type words struct {
	lambda bool
	// where names the platform, as in "on ECS".
	where string
	// role is the role the calls are made as: ECS's task role.
	role string
	// onlyRole is role where the platform has another that could be
	// meant: ECS's execution role reads only the task definition's
	// secrets.
	onlyRole string
	// aRole is role as one source of credentials among others.
	aRole string
	// giveRole advises giving the workload a role of its own, so that
	// the platform hands out its credentials.
	giveRole string
	// configIn is where the platform has a workload's variables set.
	configIn string
}

// ecsWords and lambdaWords are the words on ECS (and anywhere but Lambda)
// and on Lambda, where the function's execution role is the one role,
// and Lambda hands out its credentials in the environment.
var (
	ecsWords = words{where: "on ECS", role: "the task role", onlyRole: "the task role (not the execution role)",
		aRole: "a task role", giveRole: "give the task a task role",
		configIn: "on ECS, the task definition's environment, or secrets for the credentials ECS resolves"}
	lambdaWords = words{lambda: true, where: "on Lambda", role: "the function's execution role", onlyRole: "the function's execution role",
		aRole: "a function's execution role",
		giveRole: "keep the credentials of the function's execution role, which Lambda sets in AWS_ACCESS_KEY_ID, " +
			"AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (with the emulator, set them in its environment)",
		configIn: "on Lambda, the function's environment variables"}
)

// wordsOn returns the words on the platform on.
func wordsOn(on platform.Platform) words {
	if on.Lambda {
		return lambdaWords
	}
	return ecsWords
}

// credentialHint says what to do about f, a credential source that gave
// no credentials, in w's words; "" leaves it to ConfigError.Hint, which
// names a profile's files (for credential_process and SSO).
func credentialHint(w words, f credFailure) string {
	src := f.Source
	switch {
	case f.Disabled:
		return w.where + " " + w.giveRole + "; elsewhere set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; " +
			"on EC2, unset AWS_EC2_METADATA_DISABLED to use the instance's role"
	case f.Token:
		return "on a container on EC2 the hop limit must be 2 (aws ec2 modify-instance-metadata-options --instance-id ID " +
			"--http-put-response-hop-limit 2), or " + w.giveRole
	case f.File != "":
		return "the token file " + f.File + " must exist, be readable by the container's user and hold the token alone: " +
			"check the variable that names it and the volume that projects it"
	}
	switch src.Kind {
	case SourceIMDS:
		switch {
		case f.Status == http.StatusNotFound:
			return "the instance has no IAM role: attach an instance profile to it, or " + w.giveRole
		case f.Dial:
			containers := "on ECS or EKS"
			if w.lambda {
				containers = w.where
			}
			return "instance metadata answers only on EC2, and is the chain's last resort: no keys, profile, web identity or " +
				"container credentials are set. Off EC2, set AWS_PROFILE or the keys; " + containers + ", " + w.giveRole
		}
		return "check the instance's metadata options (aws ec2 describe-instances: MetadataOptions) and that no HTTP proxy " +
			"answers for it (NO_PROXY=169.254.169.254), or " + w.giveRole
	case SourceECS, SourceContainer, SourcePodIdentity:
		return containerHint(w, f)
	case SourceWebIdentity:
		return webIdentityHint(f)
	}
	if f.Timeout {
		return "raise VALUEFROM_TIMEOUT, or check that the credential source answers"
	}
	return ""
}

// noCredentials is the hint for a chain that found no credentials.
func (w words) noCredentials() string {
	return "no AWS credentials found: " + w.where + " " + w.giveRole + "; elsewhere set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
}

// BatchDeniedHint says how to let valuefrom batch secrets again, on the
// platform on: the warning that IAM denied BatchGetSecretValue carries it.
func BatchDeniedHint(on platform.Platform) string {
	return "grant " + wordsOn(on).role + ` secretsmanager:BatchGetSecretValue on resource "*" (the action has no resource type; ` +
		"it returns only the secrets that secretsmanager:GetSecretValue allows)"
}

// containerHint is credentialHint for a container credentials endpoint:
// ECS's, a full URI, EKS Pod Identity's.
func containerHint(w words, f credFailure) string {
	src := f.Source
	variable := "AWS_CONTAINER_CREDENTIALS_FULL_URI"
	agent := "the process that serves it"
	switch src.Kind {
	case SourceECS:
		variable, agent = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "the ECS agent"
	case SourcePodIdentity:
		agent = "the EKS Pod Identity agent, a DaemonSet in kube-system"
	}
	switch {
	case (f.Status == http.StatusUnauthorized || f.Status == http.StatusForbidden) && src.Kind == SourceECS:
		return "the ECS agent refused the URI: it is not this task's (a stale or copied variable); " + w.giveRole
	case f.Status == http.StatusUnauthorized || f.Status == http.StatusForbidden || f.Status == http.StatusBadRequest && src.TokenFile != "":
		switch {
		case src.TokenFile != "":
			return "the endpoint refused the token read from " + src.TokenFile + " (AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE): check that " +
				"the file holds the token it expects; for EKS Pod Identity, the projected service account token, and a Pod " +
				"Identity association for the pod's service account"
		case os.Getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN") != "":
			return "the endpoint refused the token in AWS_CONTAINER_AUTHORIZATION_TOKEN: check that it is the one the endpoint expects"
		}
		return "the endpoint wants an authorization token: set AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (or AWS_CONTAINER_AUTHORIZATION_TOKEN)"
	case f.Status == http.StatusNotFound && src.Kind == SourceECS:
		return "ECS has no credentials at that URI: the task has no task role, or the variable is stale; " + w.giveRole
	case f.Status >= 500:
		return "the endpoint itself failed, and kept failing for VALUEFROM_MAX_ATTEMPTS attempts or until VALUEFROM_TIMEOUT: check " + agent
	case f.Status != 0 || f.NotJSON:
		return "check " + variable + ": it must lead to a credentials endpoint (" + agent + ")"
	case f.Timeout:
		return "the endpoint accepted but did not answer: check " + agent + ", or raise VALUEFROM_TIMEOUT"
	}
	return "nothing answered at " + src.URL + ": check " + variable + " and that " + agent + " runs"
}

// webIdentityHint is credentialHint for web identity (IRSA).
func webIdentityHint(f credFailure) string {
	src := f.Source
	switch f.Code {
	case "AccessDenied":
		return "the trust policy of " + src.RoleARN + " must allow sts:AssumeRoleWithWebIdentity to the cluster's OIDC " +
			"provider, for this service account (the token's sub claim)"
	case "InvalidIdentityToken", "IDPRejectedClaim", "ExpiredTokenException":
		return "STS refused the token in " + src.TokenFile + ": check that the cluster's OIDC provider is registered in IAM and " +
			"that the token's audience is sts.amazonaws.com"
	}
	if f.Status != 0 {
		return "check the role ARN (AWS_ROLE_ARN) and the token file (AWS_WEB_IDENTITY_TOKEN_FILE)"
	}
	return "check the network path to STS at " + src.STSEndpoint() + " (a VPC endpoint for sts, or a NAT gateway); " +
		"AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL, sets the endpoint"
}

package awsapi

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// Error codes of valuefrom's own, for failures that are not AWS errors.
const (
	CodeSyntax           = "MalformedReference" // a value starts like a reference but does not parse
	CodeNotFound         = "NotFound"           // GetParameters listed the name as invalid
	CodeJSONKey          = "JSONKeyNotFound"    // the key is not in the secret's JSON object
	CodeNotJSONObject    = "NotJSONObject"      // a JSON key was asked of a value that is no JSON object
	CodeBinary           = "BinaryValue"        // binary bytes cannot go in the environment
	CodeTimeout          = "Timeout"            // the deadline passed
	CodeCanceled         = "Canceled"           // interrupted by a signal
	CodeNetwork          = "NetworkError"       // AWS could not be reached
	CodeCredentials      = "NoCredentials"      // no credentials could be found
	CodeNoRegion         = "NoRegion"           // a short form needs a default region
	CodeInternal         = "UnexpectedAnswer"   // AWS's answer did not hold what was asked
	CodeResponseTooLarge = "ResponseTooLarge"   // the answer was larger than MaxResponseBytes
	CodeARNMismatch      = "ARNMismatch"        // the answer's ARN is not the one the reference names

	// Answers that did not come from AWS: their body is no AWS error, so
	// a proxy, a load balancer or an emulator sent them.
	CodeForbidden = "Forbidden"                   // HTTP 403: something other than AWS refused the call
	CodeProxyAuth = "ProxyAuthenticationRequired" // HTTP 407: the HTTP proxy wants credentials
	CodeNotAWS    = "NotAnAWSAnswer"              // any other status: not AWS's verdict, nor AWS being down
)

// ErrARNMismatch says AWS answered a request by ARN with another secret or
// parameter: one whose ARN names another partition, region, account or
// name. An endpoint that matches a name alone does that, and serving its
// answer would hand over the caller's own secret of that name.
var ErrARNMismatch = errors.New("the answer's ARN is not the one asked for")

// A Class is what an error from an AWS call means to valuefrom.
type Class struct {
	// Code is AWS's error code, or one of valuefrom's own codes above.
	Code string
	// AWS says AWS answered with an error: Code and Message are its own.
	AWS bool
	// Message is AWS's message when AWS answered (it may be empty), and
	// the whole error chain otherwise.
	Message    string
	RequestID  string // AWS's request id, when AWS answered
	HTTPStatus int    // the status of AWS's answer; 0 when none came

	// Transient says the failure may pass by itself: a timeout, a
	// connection failure, throttling once the retries ran out, or a 5xx
	// answer. Denials, missing secrets and KMS failures are not transient.
	Transient bool
	// Denied says IAM refused the call.
	Denied bool
	// NotFound says the secret or parameter does not exist.
	NotFound bool
	// KMS says the KMS key that protects the value is at fault: its state,
	// a decryption failure, or a denial that names KMS.
	KMS bool
	// PerName says one name in a batched call can cause the failure (a
	// denial or a KMS key on one parameter), so that asking for each name
	// on its own finds the ones at fault. Timeouts, connection failures,
	// missing credentials and throttling fail every name alike.
	PerName bool

	// Endpoint is the host (and port) the call's last attempt went to:
	// AWS_ENDPOINT_URL's, a FIPS or VPC endpoint, or AWS's own. Empty
	// when the error says nothing of it.
	Endpoint string
	// Attempts is how many attempts the call sent; 0 when unknown.
	Attempts int
	// GaveUp says the deadline (or a signal) ended a call that was being
	// retried: Code and the rest say what its last attempt met.
	GaveUp bool
	// Network says how the connection failed, for CodeNetwork: one of
	// the Net* kinds, or "" when it is none of them.
	Network string
	// Proxy is the HTTP proxy's address when the proxy, not the endpoint,
	// refused or failed the call.
	Proxy string
}

// How a connection failed, for Class.Network.
const (
	NetRefused = "connection refused" // nothing listens at the address, or a firewall rejects
	NetDNS     = "DNS lookup failed"  // the host name does not resolve
	NetTLS     = "TLS failure"        // the handshake or the certificate failed
	NetTimeout = "timeout"            // no connection, or no answer, in time
	NetReset   = "connection reset"   // the peer or a middlebox cut the connection
)

// Classify says what err, returned by an AWS call, means. A timeout or a
// cancellation takes precedence over the AWS error it interrupted, except
// that a call retried until the deadline is classified by the error of its
// last attempt (see CallError), the cause an operator can act on.
func Classify(err error) Class {
	if err == nil {
		return Class{}
	}
	var ce *CallError
	if errors.As(err, &ce) && ce.Last != nil && ce.ended() {
		c := Classify(ce.Last)
		c.Message, c.Transient, c.GaveUp, c.Attempts, c.Endpoint = err.Error(), true, true, ce.Attempts, ce.Endpoint
		c = c.derive()
		// The deadline passed: there is no time to ask name by name.
		c.PerName = false
		return c
	}
	c := Class{Message: shown(err), Transient: transient(err)}
	if ce != nil {
		c.Attempts, c.Endpoint = ce.Attempts, ce.Endpoint
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		c.RequestID, c.HTTPStatus = re.ServiceRequestID(), re.HTTPStatusCode()
	}
	var (
		api   smithy.APIError
		proxy *ProxyError
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		c.Code = CodeTimeout
	case errors.Is(err, context.Canceled):
		c.Code = CodeCanceled
	case errors.Is(err, ErrResponseTooLarge):
		c.Code = CodeResponseTooLarge
	case errors.Is(err, ErrARNMismatch):
		c.Code = CodeARNMismatch
	case errors.As(err, &proxy):
		c.Code, c.Message, c.Proxy, c.HTTPStatus = statusCode(proxy.Status), proxy.Error(), proxy.Proxy, proxy.Status
		c.Transient = proxy.Status >= 500
	case re != nil && notAWS(err, re):
		c.Code, c.Message = statusCode(c.HTTPStatus), notAWSMessage(re, c.Endpoint)
	case errors.As(err, &api):
		c.Code, c.Message, c.AWS = api.ErrorCode(), api.ErrorMessage(), true
	case noCredentials(err):
		c.Code = CodeCredentials
	default:
		c.Code = CodeNetwork
		c.Network, c.Proxy = network(err)
	}
	return c.derive()
}

// ClassOf is the class of a failure with the given code, AWS's or one of
// valuefrom's own (such as CodeNotFound for a name GetParameters listed as
// invalid), and err, the error that came with it, which may be nil.
func ClassOf(code string, err error) Class {
	c := Classify(err)
	if code != c.Code {
		c.Code, c.AWS = code, false
	}
	return c.derive()
}

// Message is the most useful text of err for an operator: AWS's message
// when it gave one, else the whole error chain.
func Message(err error) string {
	if c := Classify(err); c.Message != "" {
		return c.Message
	}
	return shown(err)
}

// derive sets the predicates that follow from the code and the message.
func (c Class) derive() Class {
	c.Denied = slices.Contains(deniedCodes, c.Code) || c.Code == CodeForbidden
	c.NotFound = slices.Contains(notFoundCodes, c.Code)
	c.KMS = strings.HasPrefix(c.Code, "KMS") || c.Code == "DecryptionFailure" || c.Code == "InvalidKeyId" ||
		strings.Contains(c.Message, "KMS") || strings.Contains(c.Message, "kms:")
	c.PerName = c.AWS && !throttled(c.Code)
	return c
}

// Definitive reports whether c is a verdict on the value itself: it is
// not found (nor its version or stage), IAM denies it, its KMS key fails
// (disabled, pending deletion, no kms:Decrypt), AWS refused the request
// as asked, or the answer is not the secret asked for. Another region's
// copy must never stand in for such an answer: a deleted or revoked
// secret must not start a task.
func (c Class) Definitive() bool {
	return c.NotFound || c.Denied || c.KMS || c.AWS && !c.Transient ||
		c.Code == CodeARNMismatch || c.Code == CodeJSONKey || c.Code == CodeNotJSONObject
}

// FailOver reports whether a call that failed with c may be asked of
// another region instead: its own region was unreachable or kept failing
// transiently (a timeout, a refused or reset connection, a 5xx answer,
// throttling past the retries), and the failure is no Definitive answer.
// Missing credentials, a cancellation and an answer that was not AWS's
// fail over nowhere: another region would meet them too.
func (c Class) FailOver() bool { return c.Transient && !c.Definitive() }

// ActionDenied reports whether AWS itself refused the call's action to
// the caller (an IAM or SCP denial), not a KMS key's policy, and not a
// 403 from something that is not AWS.
func (c Class) ActionDenied() bool { return c.AWS && c.Denied && !c.KMS }

// RegionFailing reports whether one attempt's failure says its region is
// failing, so that another region may be asked before the retries run
// out: the connection was refused, reset or timed out, or the answer was
// a 5xx. Throttling is not: more requests only make it worse, and it fails
// over only once the retries have run out.
func (c Class) RegionFailing() bool {
	return c.FailOver() && !throttled(c.Code) && c.Code != "TooManyRequestsException" && c.Code != "RequestLimitExceeded"
}

var (
	deniedCodes   = []string{"AccessDeniedException", "AccessDenied", "UnauthorizedOperation", "UnauthorizedException"}
	notFoundCodes = []string{"ResourceNotFoundException", "ParameterNotFound", "NotFoundException", CodeNotFound}
)

func throttled(code string) bool { return strings.Contains(code, "Throttl") }

// transient reports whether err may pass by itself; see Class.Transient.
func transient(err error) bool {
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() >= 500 {
		return true
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		code := api.ErrorCode()
		return throttled(code) || code == "TooManyRequestsException" ||
			code == "RequestLimitExceeded" || api.ErrorFault() == smithy.FaultServer
	}
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne)
}

// noCredentials reports whether err says the SDK found no credentials.
// The SDK has no error type for it, only these words: the credentials
// cache's, and the signer's.
func noCredentials(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "failed to refresh cached credentials") ||
		strings.Contains(msg, "failed to retrieve credentials")
}

// A ProxyError is an HTTP proxy's refusal to open a tunnel (CONNECT) to
// an endpoint: the proxy answered, AWS was never asked.
type ProxyError struct {
	Proxy  string // the proxy's host and port
	Target string // the host the tunnel was for
	Status int    // the proxy's HTTP status
	Text   string // the status's text, such as "Proxy Authentication Required"
}

func (e *ProxyError) Error() string {
	return fmt.Sprintf("the proxy %s refused a tunnel to %s: HTTP %d %s", e.Proxy, e.Target, e.Status, e.Text)
}

// RetryableError tells the SDK's retryer to retry a proxy's 5xx, as it
// would AWS's, and nothing else: a 403 or 407 will not pass by itself.
func (e *ProxyError) RetryableError() bool { return e.Status >= 500 }

// statusCode is the code of an HTTP status that AWS did not send.
func statusCode(status int) string {
	switch status {
	case http.StatusForbidden:
		return CodeForbidden
	case http.StatusProxyAuthRequired:
		return CodeProxyAuth
	}
	return CodeNotAWS
}

// notAWS reports whether the answer re carries is an error that did not
// come from AWS: its body is no AWS error. AWS answers every error with a
// JSON body naming its code, and a request id; the SDK fails to decode
// anything else, or, for a body of no JSON error, reports UnknownError.
func notAWS(err error, re *awshttp.ResponseError) bool {
	if re.HTTPStatusCode() < 300 && re.HTTPStatusCode() >= 200 {
		var de *smithy.DeserializationError
		return errors.As(err, &de) && !errors.Is(err, ErrResponseTooLarge)
	}
	var de *smithy.DeserializationError
	if errors.As(err, &de) {
		return true
	}
	var api smithy.APIError
	return errors.As(err, &api) && api.ErrorCode() == "UnknownError" && re.ServiceRequestID() == ""
}

// notAWSMessage says what answered, naming no part of its body.
func notAWSMessage(re *awshttp.ResponseError, endpoint string) string {
	resp := re.Response
	if endpoint == "" && resp != nil && resp.Response != nil && resp.Request != nil && resp.Request.URL != nil {
		endpoint = resp.Request.URL.Host
	}
	endpoint = cmp.Or(endpoint, "the endpoint")
	status := re.HTTPStatusCode()
	what := fmt.Sprintf("%s answered HTTP %d %s", endpoint, status, http.StatusText(status))
	ctype := ""
	if resp != nil && resp.Response != nil {
		ctype = resp.Header.Get("Content-Type")
	}
	if ctype != "" {
		what += " (" + strings.ReplaceAll(ctype, " ", "") + ")"
	}
	switch {
	case status == http.StatusForbidden:
		return what + ", and not as AWS does: its body is no AWS error, so a proxy or an emulator, not IAM, refused the call"
	case status == http.StatusProxyAuthRequired:
		return what + ": an HTTP proxy wants credentials"
	case status >= 500:
		return what + ", and not as AWS does: its body is no AWS error, so a proxy, load balancer or emulator failed, not AWS"
	}
	return what + ", and not as AWS does: its body is no AWS answer"
}

// network says how a connection failed, and the proxy's address when a
// proxy was being reached.
func network(err error) (kind, proxy string) {
	var (
		op   *net.OpError
		dns  *net.DNSError
		ne   net.Error
		cert *tls.CertificateVerificationError
		rec  tls.RecordHeaderError
		alrt tls.AlertError
		ua   x509.UnknownAuthorityError
		he   x509.HostnameError
		ci   x509.CertificateInvalidError
	)
	if errors.As(err, &op) && op.Op == "proxyconnect" {
		if op.Addr != nil {
			proxy = op.Addr.String()
		}
		var inner *net.OpError
		if errors.As(op.Err, &inner) && inner.Addr != nil {
			proxy = inner.Addr.String()
		}
	}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		kind = NetRefused
	case errors.As(err, &dns):
		kind = NetDNS
	case errors.As(err, &cert), errors.As(err, &rec), errors.As(err, &alrt), errors.As(err, &ua), errors.As(err, &he), errors.As(err, &ci):
		kind = NetTLS
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		kind = NetReset
	case errors.As(err, &ne) && ne.Timeout():
		kind = NetTimeout
	}
	return kind, proxy
}

// Cause words the failure of one attempt for an operator, shortly: AWS's
// code and message, what answered when AWS did not, or the network error
// without the SDK's wrapping. It names no value: AWS's error messages name
// secrets and parameters, never their contents.
func Cause(err error) string {
	var (
		api   smithy.APIError
		re    *awshttp.ResponseError
		proxy *ProxyError
		op    *net.OpError
		dns   *net.DNSError
		ue    *url.Error
	)
	switch {
	case errors.As(err, &proxy):
		return proxy.Error()
	case errors.As(err, &re) && notAWS(err, re):
		return notAWSMessage(re, "")
	case errors.As(err, &api):
		if re != nil {
			return fmt.Sprintf("%s (HTTP %d): %s", api.ErrorCode(), re.HTTPStatusCode(), api.ErrorMessage())
		}
		return api.ErrorCode() + ": " + api.ErrorMessage()
	case errors.As(err, &dns):
		return dns.Error()
	case errors.As(err, &op):
		return op.Error()
	case errors.As(err, &ue):
		return ue.Err.Error() // without the method and the URL
	case re != nil && re.HTTPStatusCode() > 0:
		return fmt.Sprintf("HTTP %d: %v", re.HTTPStatusCode(), err)
	}
	return shown(err)
}

// A credFailure is what a failed retrieval of credentials comes down to:
// the source the chain chose, and what its last attempt met.
type credFailure struct {
	Source CredentialSource
	// Timeout says the deadline ended the retrieval.
	Timeout bool
	// Disabled says the chain fell through to instance metadata, which
	// AWS_EC2_METADATA_DISABLED turns off: no source is set up at all.
	Disabled bool
	// Token says instance metadata never answered an IMDSv2 token
	// request: a connection was made, and the answer did not come back,
	// as when the hop limit is 1 for a container.
	Token bool
	// Dial says the last attempt could not connect.
	Dial bool
	// Status is the last answer's HTTP status; 0 when none came. NotJSON
	// says it was a 2xx that held no credentials.
	Status  int
	NotJSON bool
	// Code is the error code the endpoint or STS answered with, if any.
	Code string
	// File is a token file that could not be read.
	File string
	// Detail is the error line, after "loading AWS credentials: ".
	Detail string
}

// classifyCredentials says why src gave no credentials, from err, the
// chain's error, and tr, what the source's attempts met. timeout says the
// deadline ended it. The words name the source, the endpoint and the last
// status or network error. No answer's body is ever quoted, only STS's
// own error message: a container endpoint may echo the token it was sent.
func classifyCredentials(src CredentialSource, tr traceSummary, err error, timeout bool) credFailure {
	f := credFailure{Source: src, Timeout: timeout}
	calls, tokens := tr.Calls, tr.Tokens
	last := calls.Last
	var (
		pe  *fs.PathError
		api smithy.APIError
	)
	if errors.As(err, &api) && isIdentifier(api.ErrorCode()) {
		f.Code = api.ErrorCode()
	}
	var what string
	switch {
	case src.Kind == SourceIMDS && strings.EqualFold(os.Getenv("AWS_EC2_METADATA_DISABLED"), "true"):
		f.Disabled = true
		f.Detail = "no AWS credentials found: no keys, profile, web identity or container credentials are set, and instance " +
			"metadata, the chain's last resort, is turned off (AWS_EC2_METADATA_DISABLED=true)"
		return f
	case src.Kind == SourceIMDS && tokens.Sent > 0 && tokens.Answered == 0 && !isDial(tokens.Last.Err):
		// Connections were made, and no token request was answered.
		f.Token = true
		cause := "no answer"
		if tokens.Last.Err != nil {
			cause = Cause(tokens.Last.Err)
		}
		f.Detail = fmt.Sprintf("instance metadata (IMDSv2 at %s) did not answer the token request (PUT %s, %d %s: %s)",
			tokens.Latest.Host, imdsTokenPath, tokens.Sent, plural(tokens.Sent, "attempt", "attempts"), cause)
		return f
	case src.Kind == SourceIMDS && !last.Done && tokens.Last.Err != nil:
		// Instance metadata could not be reached at all.
		last = tokens.Last
	}
	switch {
	case calls.Sent == 0 && tokens.Sent == 0 && errors.As(err, &pe):
		// No request was made: the token file could not be read.
		f.File = pe.Path
		what = "the token file cannot be read: " + escapeUnsafe(pe.Error())
	case calls.Sent == 0 && src.TokenFile != "" && !timeout:
		// No request was made: the token could not be read or used.
		f.File = src.TokenFile
		what = credentialCause(err)
	case calls.Sent == 0 && tokens.Sent == 0 && timeout:
		what = "no answer"
	case calls.Sent == 0 && tokens.Sent == 0:
		what = credentialCause(err)
	case !last.Done:
		what = fmt.Sprintf("attempt %d to %s was still waiting for an answer", calls.Sent, calls.Latest.Host)
	case last.Err != nil:
		f.Dial = isDial(last.Err)
		if n := calls.Sent + tokens.Sent; n > 1 {
			what = fmt.Sprintf("%d attempts to %s, the last failed: %s", n, last.Host, Cause(last.Err))
		} else {
			what = "the connection to " + last.Host + " failed: " + Cause(last.Err)
		}
	case last.Status >= 300:
		f.Status = last.Status
		what = attemptsPhrase(calls.Sent, last.Host) + "answered HTTP " + strconv.Itoa(last.Status) + " " + http.StatusText(last.Status)
		switch {
		case src.Kind == SourceWebIdentity && api != nil:
			what = attemptsPhrase(calls.Sent, last.Host) + "answered sts:AssumeRoleWithWebIdentity with " + Cause(err)
		case src.Kind == SourceIMDS:
			what += " to " + last.Method + " " + last.Path
		case f.Code != "":
			what += " (" + f.Code + "; its message is not shown: it may quote the token)"
		}
	default:
		f.Status, f.NotJSON = last.Status, true
		what = fmt.Sprintf("%sanswered HTTP %d with no credentials in its body (%s)", attemptsPhrase(calls.Sent, last.Host),
			last.Status, cmp.Or(strings.ReplaceAll(last.ContentType, " ", ""), "no Content-Type"))
	}
	if timeout {
		f.Detail = src.String() + " gave no credentials before the deadline (VALUEFROM_TIMEOUT): " + what
	} else {
		f.Detail = src.String() + ": " + what
	}
	return f
}

// attemptsPhrase starts what the last of n attempts to host met.
func attemptsPhrase(n int, host string) string {
	if n <= 1 {
		return host + " "
	}
	return fmt.Sprintf("after %d attempts, %s ", n, host)
}

// credentialCause is the chain's error without the SDK's wrapping
// ("failed to refresh cached credentials, ..."), as shown may show it.
func credentialCause(err error) string {
	msg := shown(err)
	for _, p := range []string{"failed to refresh cached credentials, ", "failed to load credentials, ", "process provider error: "} {
		msg = strings.ReplaceAll(msg, p, "")
	}
	return msg
}

// isDial reports whether err says a connection could not be made.
func isDial(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// isIdentifier reports whether s looks like an error code: a short word
// of letters, digits and . _ -, which can quote nothing.
func isIdentifier(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

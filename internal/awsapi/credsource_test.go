package awsapi

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
)

// tokenCanary stands for a credential or token: it must reach no message.
const tokenCanary = "canary-token-91d3"

// writeToken writes a token file holding tokenCanary, as EKS projects one.
func writeToken(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(path, []byte(tokenCanary), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSourceOf: the source the SDK's chain chooses is named, with its
// endpoint, files and role, for each kind the platforms hand out. Nothing
// is retrieved: LoadConfig only chooses.
func TestSourceOf(t *testing.T) {
	token := writeToken(t)
	tests := []struct {
		name    string
		env     []string
		config  string // the shared config file
		kind    SourceKind
		display []string // in String()
	}{
		{"static keys", []string{"AWS_ACCESS_KEY_ID=AKIDX", "AWS_SECRET_ACCESS_KEY=" + tokenCanary}, "",
			SourceEnv, []string{"AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"}},
		{"profile keys", []string{"AWS_PROFILE=dev"}, "[profile dev]\naws_access_key_id = AKIDX\naws_secret_access_key = " + tokenCanary + "\n",
			SourceProfile, []string{`profile "dev"`}},
		{"ECS task role", []string{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/v2/credentials/" + tokenCanary}, "",
			SourceECS, []string{"ECS task role", "http://169.254.170.2/v2/credentials/…", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"}},
		{"full URI", []string{"AWS_CONTAINER_CREDENTIALS_FULL_URI=http://user:" + tokenCanary + "@127.0.0.1:9/creds?t=" + tokenCanary}, "",
			SourceContainer, []string{"container credentials endpoint http://127.0.0.1:9/creds ", "AWS_CONTAINER_CREDENTIALS_FULL_URI"}},
		{"Pod Identity", []string{"AWS_CONTAINER_CREDENTIALS_FULL_URI=http://169.254.170.23/v1/credentials", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=" + token}, "",
			SourcePodIdentity, []string{"EKS Pod Identity", "http://169.254.170.23/v1/credentials", "token file " + token}},
		{"Pod Identity without its token file", []string{"AWS_CONTAINER_CREDENTIALS_FULL_URI=http://169.254.170.23/v1/credentials"}, "",
			SourcePodIdentity, []string{"EKS Pod Identity", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"}},
		{"web identity", []string{"AWS_ROLE_ARN=arn:aws:iam::123456789012:role/app", "AWS_WEB_IDENTITY_TOKEN_FILE=" + token,
			"AWS_ENDPOINT_URL=http://127.0.0.1:9"}, "",
			SourceWebIdentity, []string{"web identity", "role arn:aws:iam::123456789012:role/app", "token file " + token, "STS at 127.0.0.1:9"}},
		{"web identity, STS's own endpoint wins", []string{"AWS_ROLE_ARN=arn:aws:iam::123456789012:role/app", "AWS_WEB_IDENTITY_TOKEN_FILE=" + token,
			"AWS_ENDPOINT_URL=http://127.0.0.1:9", "AWS_ENDPOINT_URL_STS=http://127.0.0.1:8"}, "",
			SourceWebIdentity, []string{"STS at 127.0.0.1:8"}},
		{"web identity at AWS", []string{"AWS_ROLE_ARN=arn:aws:iam::123456789012:role/app", "AWS_WEB_IDENTITY_TOKEN_FILE=" + token}, "",
			SourceWebIdentity, []string{"STS at sts.us-east-1.amazonaws.com"}},
		{"credential_process", []string{"AWS_PROFILE=tool"}, "[profile tool]\ncredential_process = /bin/false\n",
			SourceProcess, []string{`credential_process of profile "tool"`}},
		{"assumed role", []string{"AWS_PROFILE=ops", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/v2/credentials/5c1e"},
			"[profile ops]\nrole_arn = arn:aws:iam::123456789012:role/ops\ncredential_source = EcsContainer\n",
			SourceECS, []string{"role arn:aws:iam::123456789012:role/ops, assumed with the ECS task role"}},
		{"instance metadata, the last resort", []string{"AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:9"}, "",
			SourceIMDS, []string{"instance metadata (IMDSv2 at 127.0.0.1:9)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mototest.Isolate(t, append([]string{"AWS_REGION=us-east-1"}, tt.env...)...)
			if tt.config != "" {
				writeConfig(t, tt.config)
			}
			cfg, err := LoadConfig(context.Background(), Options{})
			if err != nil {
				t.Fatal(err)
			}
			src := SourceOf(cfg)
			if src.Kind != tt.kind {
				t.Errorf("Kind = %q, want %q", src.Kind, tt.kind)
			}
			for _, want := range tt.display {
				if !strings.Contains(src.String(), want) {
					t.Errorf("String() = %q, lacks %q", src, want)
				}
			}
			if strings.Contains(src.String(), tokenCanary) {
				t.Errorf("String() shows a credential: %q", src)
			}
		})
	}
}

// TestHalfKeys: one half of a key pair is refused at once, naming the
// missing half, rather than skipped by the chain, which would then blame
// instance metadata. A profile asked for by flag makes both be ignored.
func TestHalfKeys(t *testing.T) {
	for _, tt := range []struct{ set, missing string }{
		{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"},
		{"AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID"},
		{"AWS_SECRET_KEY", "AWS_ACCESS_KEY_ID"},
	} {
		t.Run(tt.set, func(t *testing.T) {
			mototest.Isolate(t, tt.set+"="+tokenCanary, "AWS_REGION=us-east-1")
			_, err := LoadConfig(context.Background(), Options{})
			var ce *ConfigError
			if !errors.As(err, &ce) || !ce.Credentials || !errors.As(err, new(*HalfKeysError)) {
				t.Fatalf("LoadConfig = %v, want a credentials ConfigError with a HalfKeysError", err)
			}
			if want := "loading AWS credentials: " + tt.missing + " is missing: "; !strings.HasPrefix(ce.Error(), want) {
				t.Errorf("Error() = %q, want it to start %q", ce.Error(), want)
			}
			if !strings.Contains(ce.Hint(), "set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither") {
				t.Errorf("Hint() = %q", ce.Hint())
			}
			if strings.Contains(ce.Error()+ce.Hint(), tokenCanary) {
				t.Errorf("the message shows the key")
			}
		})
	}
	mototest.Isolate(t, "AWS_ACCESS_KEY_ID=AKIDX", "AWS_REGION=us-east-1")
	writeConfig(t, "[profile dev]\naws_access_key_id = AKIDX\naws_secret_access_key = x\n")
	if _, err := LoadConfig(context.Background(), Options{Profile: "dev"}); err != nil {
		t.Errorf("LoadConfig with --profile and half a pair in the environment = %v, want the profile used", err)
	}
}

// TestContainerEndpointFailures: a container credentials endpoint that
// refuses, fails or answers something else is named with its URI and its
// last status, and the hint fits the status; the token sent is never
// shown, though the endpoint echoes it.
func TestContainerEndpointFailures(t *testing.T) {
	token := writeToken(t)
	tests := []struct {
		name      string
		status    int
		ctype     string
		tokenFile bool
		msg, hint []string
	}{
		{"401 with a token file", 401, "application/json", true,
			[]string{"EKS Pod Identity (", "answered HTTP 401 Unauthorized (AccessDenied; its message is not shown"},
			[]string{"refused the token read from " + token + " (AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE)"}},
		{"401 without one", 401, "text/plain", false,
			[]string{"(AWS_CONTAINER_CREDENTIALS_FULL_URI)", "answered HTTP 401 Unauthorized"},
			[]string{"wants an authorization token"}},
		{"404", 404, "text/plain", false,
			[]string{"answered HTTP 404 Not Found"}, []string{"check AWS_CONTAINER_CREDENTIALS_FULL_URI"}},
		{"500s", 500, "application/json", true,
			[]string{"after 2 attempts", "answered HTTP 500 Internal Server Error"}, []string{"the endpoint itself failed", "Pod Identity agent"}},
		{"an HTML page", 200, "text/html; charset=utf-8", false,
			[]string{"answered HTTP 200 with no credentials in its body (text/html;charset=utf-8)"}, []string{"must lead to a credentials endpoint"}},
		{"a JSON object without keys", 200, "application/json", false,
			[]string{"answered HTTP 200 with no credentials in its body (application/json)"}, []string{"must lead to a credentials endpoint"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				w.Header().Set("Content-Type", tt.ctype)
				w.WriteHeader(tt.status)
				if strings.HasPrefix(tt.ctype, "text/html") {
					io.WriteString(w, "<html><body>login "+r.Header.Get("Authorization")+"</body></html>")
					return
				}
				io.WriteString(w, `{"code":"AccessDenied","message":"bad token `+r.Header.Get("Authorization")+`"}`)
			}))
			defer srv.Close()
			env := []string{"AWS_REGION=us-east-1", "AWS_CONTAINER_CREDENTIALS_FULL_URI=" + srv.URL + "/creds"}
			if tt.tokenFile {
				env = append(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="+token)
			}
			ce := checkCredentials(t, Options{MaxAttempts: 2}, env...)
			if calls.Load() == 0 {
				t.Fatal("the endpoint was never asked")
			}
			checkWords(t, ce, append(tt.msg, srv.URL+"/creds"), tt.hint)
		})
	}

	t.Run("refused", func(t *testing.T) {
		addr := mototest.Closed(t)
		ce := checkCredentials(t, Options{MaxAttempts: 2}, "AWS_REGION=us-east-1", "AWS_CONTAINER_CREDENTIALS_FULL_URI=http://"+addr+"/creds")
		checkWords(t, ce, []string{"http://" + addr + "/creds", "2 attempts to " + addr + ", the last failed: dial tcp " + addr, "connection refused"},
			[]string{"nothing answered at http://" + addr + "/creds"})
	})
	t.Run("token file missing", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "none")
		ce := checkCredentials(t, Options{MaxAttempts: 2}, "AWS_REGION=us-east-1",
			"AWS_CONTAINER_CREDENTIALS_FULL_URI=http://169.254.170.23/v1/credentials", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="+missing)
		checkWords(t, ce, []string{"EKS Pod Identity", missing, "no such file or directory"}, []string{"the token file " + missing + " must exist"})
	})
}

// TestWebIdentityAtEndpointURL: AWS_ENDPOINT_URL applies to web
// identity's AssumeRoleWithWebIdentity call, as to every other, and STS's
// refusal names web identity, the role, the token file, the endpoint and
// STS's error, with the hint for it.
func TestWebIdentityAtEndpointURL(t *testing.T) {
	token := writeToken(t)
	var actions atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		actions.Store(r.Form.Get("Action"))
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code>`+
			`<Message>No OpenIDConnect provider found in your account</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`)
	}))
	defer srv.Close()
	ce := checkCredentials(t, Options{MaxAttempts: 2}, "AWS_REGION=us-east-1", "AWS_ENDPOINT_URL="+srv.URL,
		"AWS_ROLE_ARN=arn:aws:iam::123456789012:role/app", "AWS_WEB_IDENTITY_TOKEN_FILE="+token)
	if got := actions.Load(); got != "AssumeRoleWithWebIdentity" {
		t.Fatalf("the endpoint at AWS_ENDPOINT_URL got action %v, want AssumeRoleWithWebIdentity", got)
	}
	host := strings.TrimPrefix(srv.URL, "http://")
	checkWords(t, ce, []string{"web identity (role arn:aws:iam::123456789012:role/app, token file " + token + ", STS at " + host + ")",
		"answered sts:AssumeRoleWithWebIdentity with InvalidIdentityToken (HTTP 400): No OpenIDConnect provider"},
		[]string{"STS refused the token in " + token, "OIDC provider"})
}

// checkCredentials loads a configuration with o in the environment env
// and returns the *ConfigError CheckCredentials fails with.
func checkCredentials(t *testing.T, o Options, env ...string) *ConfigError {
	t.Helper()
	mototest.Isolate(t, env...)
	cfg, err := LoadConfig(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	err = CheckCredentials(context.Background(), cfg, "")
	var ce *ConfigError
	if !errors.As(err, &ce) || !ce.Credentials {
		t.Fatalf("CheckCredentials = %v, want a credentials ConfigError", err)
	}
	return ce
}

// checkWords checks that ce's message holds msg and its hint hint, on one
// line each, and that neither shows tokenCanary nor blames a service.
func checkWords(t *testing.T, ce *ConfigError, msg, hint []string) {
	t.Helper()
	for _, w := range msg {
		if !strings.Contains(ce.Error(), w) {
			t.Errorf("Error() = %q\nlacks %q", ce.Error(), w)
		}
	}
	for _, w := range hint {
		if !strings.Contains(ce.Hint(), w) {
			t.Errorf("Hint() = %q\nlacks %q", ce.Hint(), w)
		}
	}
	text := ce.Error() + ce.Hint()
	if strings.Contains(text, tokenCanary) || strings.ContainsAny(text, "\n\r") {
		t.Errorf("the message shows the token, or spans lines: %q", text)
	}
	for _, service := range []string{"secretsmanager", "ssm."} {
		if strings.Contains(text, service) {
			t.Errorf("the message blames %s: %q", service, text)
		}
	}
}

// TestClassifyInstanceMetadata: instance metadata that takes connections
// and answers no token request is the hop limit's symptom; one that
// cannot be reached is not, and a 404 for the role says there is none.
func TestClassifyInstanceMetadata(t *testing.T) {
	src := CredentialSource{Kind: SourceIMDS, URL: "http://169.254.169.254"}
	headers := &url.Error{Op: "Put", URL: "http://169.254.169.254/latest/api/token", Err: timeoutError{}}
	refused := &url.Error{Op: "Put", URL: "http://169.254.169.254/latest/api/token",
		Err: &net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}}
	token := func(err error) credAttempt {
		return credAttempt{Method: "PUT", Host: "169.254.169.254", Path: imdsTokenPath, Err: err, Done: true}
	}
	tests := []struct {
		name       string
		tr         traceSummary
		msg, hint  string
		hopLimit   bool
		reachedNot bool
	}{
		{"the token request unanswered", traceSummary{Tokens: attempts{Sent: 3, Latest: token(headers), Last: token(headers)}},
			"instance metadata (IMDSv2 at 169.254.169.254) did not answer the token request (PUT /latest/api/token, 3 attempts: net/http: timeout awaiting response headers)",
			"the hop limit must be 2", true, false},
		{"the token request cut short", traceSummary{Tokens: attempts{Sent: 2, Latest: credAttempt{Method: "PUT", Host: "169.254.169.254", Path: imdsTokenPath}}},
			"did not answer the token request (PUT /latest/api/token, 2 attempts: no answer)", "the hop limit must be 2", true, false},
		{"unreachable", traceSummary{Tokens: attempts{Sent: 3, Latest: token(refused), Last: token(refused)}},
			"instance metadata (IMDSv2 at 169.254.169.254): 3 attempts to 169.254.169.254, the last failed: dial tcp",
			"answers only on EC2", false, true},
		{"no role", traceSummary{Tokens: attempts{Sent: 1, Answered: 1},
			Calls: attempts{Sent: 1, Answered: 1, Last: credAttempt{Method: "GET", Host: "169.254.169.254", Path: "/latest/meta-data/iam/security-credentials/", Status: 404, Done: true}}},
			"169.254.169.254 answered HTTP 404 Not Found to GET /latest/meta-data/iam/security-credentials/", "has no IAM role", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := classifyCredentials(src, tt.tr, errors.New("no EC2 IMDS role found"), false)
			if f.Token != tt.hopLimit || f.Dial != tt.reachedNot {
				t.Errorf("Token %v, Dial %v; want %v, %v", f.Token, f.Dial, tt.hopLimit, tt.reachedNot)
			}
			if !strings.Contains(f.Detail, tt.msg) {
				t.Errorf("Detail = %q\nlacks %q", f.Detail, tt.msg)
			}
			if h := credentialHint(ecsWords, f); !strings.Contains(h, tt.hint) || !strings.Contains(h, ecsWords.giveRole) {
				t.Errorf("hint %q lacks %q or %q", h, tt.hint, ecsWords.giveRole)
			}
		})
	}
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "net/http: timeout awaiting response headers" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

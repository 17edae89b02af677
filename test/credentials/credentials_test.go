// Package credentials runs the valuefrom binary against broken credential
// sources, each faked as the platform serves it (a container credentials
// endpoint, instance metadata, moto's STS for web identity, a script for
// credential_process, static keys), and checks that the error names the
// source, its endpoint and its last answer, with the exit code and within
// the deadline, and never a key, a token or a secret's value (issue 21).
package credentials

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

// binary is valuefrom, built as a release build is.
var binary string

func TestMain(m *testing.M) { vfbin.Main(m, &binary) }

// Canaries: a secret's value, a token and a key. None may be printed; a
// failure message says "leaked" instead of showing one.
const (
	secretValue = "canary-secret-5d0e"
	tokenValue  = "canary-token-a8c4"
	keyValue    = "canary-key-3f71"
)

// A row is one broken source: the environment that points the binary at
// it, and what a user needs to read.
type row struct {
	name    string
	env     []string
	args    []string      // before "--"; the default is the entrypoint with "--timeout" timeout
	timeout time.Duration // VALUEFROM_TIMEOUT
	code    int
	msg     []string // in the error line
	hint    []string // in the hint line
	// atDeadline says the source never answers, so the run ends at the
	// deadline, and not before; otherwise it ends before it.
	atDeadline bool
}

// slack is how long after the deadline a run may take to print and exit,
// on a loaded machine.
const slack = 1500 * time.Millisecond

func (r row) run(t *testing.T, base []string) {
	t.Helper()
	env := append(append([]string{}, base...), r.env...)
	args := r.args
	if args == nil {
		args = []string{"--timeout", r.timeout.String(), "--", "sh", "-c", "echo started"}
	}
	res := vfbin.Run(t, binary, env, args...)
	vfbin.NoValue(t, "stderr and stdout", res.Stderr+res.Stdout, secretValue, tokenValue, keyValue)
	t.Logf("exit %d after %v:\n%s", res.Code, res.Took.Round(time.Millisecond), res.Stderr)
	if res.Code != r.code {
		t.Errorf("exit code %d, want %d", res.Code, r.code)
	}
	if strings.Contains(res.Stdout, "started") {
		t.Errorf("the command was started")
	}
	lines := strings.Split(strings.TrimSuffix(res.Stderr, "\n"), "\n")
	errLine, hintLine := "", ""
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "valuefrom: error: ") && errLine == "":
			errLine = l
		case strings.HasPrefix(l, "valuefrom: hint: ") && hintLine == "":
			hintLine = l
		}
	}
	for _, w := range r.msg {
		if !strings.Contains(errLine, w) {
			t.Errorf("the error line lacks %q", w)
		}
	}
	for _, w := range r.hint {
		if !strings.Contains(hintLine, w) {
			t.Errorf("the hint lacks %q", w)
		}
	}
	// A credential failure is never a Secrets Manager or SSM failure.
	for _, blamed := range []string{"secretsmanager.", "ssm.", "GetSecretValue", "could not be resolved"} {
		if strings.Contains(res.Stderr, blamed) {
			t.Errorf("stderr blames the service (%q)", blamed)
		}
	}
	switch {
	case res.Took > r.timeout+slack:
		t.Errorf("took %v, after the deadline (%v)", res.Took, r.timeout)
	case r.atDeadline && res.Took < r.timeout:
		t.Errorf("took %v, before the deadline (%v) that a silent source runs into", res.Took, r.timeout)
	case !r.atDeadline && res.Took >= r.timeout:
		t.Errorf("took %v, to the deadline (%v): the source's answer was not acted on", res.Took, r.timeout)
	}
}

// baseEnv is the environment of every run: no credentials, no shared
// files, instance metadata off, AWS at moto, and a reference to resolve.
func baseEnv(t *testing.T, moto *mototest.Server) []string {
	dir := t.TempDir()
	return []string{"PATH=/usr/bin:/bin", "HOME=" + dir, "AWS_CONFIG_FILE=" + filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "credentials"), "AWS_REGION=us-east-1",
		"AWS_ENDPOINT_URL=" + moto.URL, "AWS_EC2_METADATA_DISABLED=true", "DB=secretsmanager:creds/db"}
}

// source starts a fake credential source that answers with h, until the
// test ends.
func source(t *testing.T, h http.HandlerFunc) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// answer writes status with a JSON error that echoes the Authorization
// header, as a careless endpoint might: it must not be printed.
func answer(status int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"code":"InvalidToken","message":"token %s is not valid"}`, r.Header.Get("Authorization"))
	}
}

// silent accepts a request and never answers it, until the client goes.
func silent(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }

func writeFile(t *testing.T, name, text string, mode os.FileMode) string {
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestBrokenSources: every row of issue 21's table, and a few more of
// each source, reads as a user needs it.
func TestBrokenSources(t *testing.T) {
	vfbin.Need(t)
	moto := mototest.Start(t)
	moto.Seeder(t, "us-east-1").Secret("creds/db", secretValue)
	base := baseEnv(t, moto)
	token := writeFile(t, "token", tokenValue, 0o600)

	// Instance metadata that requires IMDSv2 and whose token requests are
	// never answered: the hop limit of 1 seen from a container on EC2.
	imds := source(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			silent(w, r)
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
	})
	imdsHost := strings.TrimPrefix(imds.URL, "http://")
	noIMDS := mototest.Closed(t)

	// EKS Pod Identity's agent, which wants the projected token.
	pod := source(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "the-right-token" {
			answer(http.StatusUnauthorized)(w, r)
			return
		}
		w.WriteHeader(http.StatusInternalServerError)
	})
	html := source(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<html><body>Sign in</body></html>")
	})
	hung := source(t, silent)
	refused := mototest.Closed(t)

	process := writeFile(t, "creds", "#!/bin/sh\necho '{\"Version\": 1, \"SecretAccessKey\": \""+keyValue+"\"'\nexit 3\n", 0o700)
	config := writeFile(t, "config", "[profile tool]\ncredential_process = "+process+"\n", 0o600)

	const role = "arn:aws:iam::123456789012:role/app"
	webIdentity := []string{"AWS_ROLE_ARN=" + role, "AWS_WEB_IDENTITY_TOKEN_FILE=" + token}
	stsStalled, _ := mototest.Stalled(t)

	rows := []row{
		{name: "IMDSv2 token request never answered", timeout: 10 * time.Second, code: exitcode.Usage,
			env:  []string{"AWS_EC2_METADATA_DISABLED=false", "AWS_EC2_METADATA_SERVICE_ENDPOINT=" + imds.URL},
			msg:  []string{"loading AWS credentials: instance metadata (IMDSv2 at " + imdsHost + ") did not answer the token request (PUT /latest/api/token"},
			hint: []string{"on a container on EC2 the hop limit must be 2", "or give the task a task role"}},
		{name: "IMDS refused", timeout: 10 * time.Second, code: exitcode.Usage,
			env:  []string{"AWS_EC2_METADATA_DISABLED=false", "AWS_EC2_METADATA_SERVICE_ENDPOINT=http://" + noIMDS},
			msg:  []string{"instance metadata (IMDSv2 at " + noIMDS + ")", "connection refused"},
			hint: []string{"instance metadata answers only on EC2", "give the task a task role"}},
		{name: "full URI answering 401, with a token file", timeout: 10 * time.Second, code: exitcode.Usage,
			env: []string{"AWS_CONTAINER_CREDENTIALS_FULL_URI=" + pod.URL + "/v1/credentials", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=" + token},
			msg: []string{"EKS Pod Identity (" + pod.URL + "/v1/credentials, token file " + token + ")",
				"answered HTTP 401 Unauthorized (InvalidToken; its message is not shown"},
			hint: []string{"the endpoint refused the token read from " + token + " (AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE)"}},
		{name: "full URI answering 404", timeout: 10 * time.Second, code: exitcode.Usage,
			env:  []string{"AWS_CONTAINER_CREDENTIALS_FULL_URI=" + source(t, answer(http.StatusNotFound)).URL + "/creds"},
			msg:  []string{"the container credentials endpoint http://", "/creds (AWS_CONTAINER_CREDENTIALS_FULL_URI)", "answered HTTP 404 Not Found"},
			hint: []string{"check AWS_CONTAINER_CREDENTIALS_FULL_URI: it must lead to a credentials endpoint"}},
		{name: "full URI answering an HTML page", timeout: 10 * time.Second, code: exitcode.Usage,
			env:  []string{"AWS_CONTAINER_CREDENTIALS_FULL_URI=" + html.URL + "/creds"},
			msg:  []string{html.URL + "/creds (AWS_CONTAINER_CREDENTIALS_FULL_URI)", "answered HTTP 200 with no credentials in its body (text/html)"},
			hint: []string{"it must lead to a credentials endpoint"}},
		{name: "full URI answering 500s", timeout: 10 * time.Second, code: exitcode.Usage,
			env:  []string{"AWS_CONTAINER_CREDENTIALS_FULL_URI=" + pod.URL + "/v1/credentials", "AWS_CONTAINER_AUTHORIZATION_TOKEN=the-right-token", "VALUEFROM_MAX_ATTEMPTS=3"},
			msg:  []string{pod.URL + "/v1/credentials", "after 3 attempts", "answered HTTP 500 Internal Server Error"},
			hint: []string{"the endpoint itself failed"}},
		{name: "full URI answering 500s until the deadline", timeout: 3 * time.Second, code: exitcode.Usage, atDeadline: true,
			env:  []string{"AWS_CONTAINER_CREDENTIALS_FULL_URI=" + pod.URL + "/v1/credentials", "AWS_CONTAINER_AUTHORIZATION_TOKEN=the-right-token"},
			msg:  []string{pod.URL + "/v1/credentials", "gave no credentials before the deadline (VALUEFROM_TIMEOUT): after ", "answered HTTP 500 Internal Server Error"},
			hint: []string{"the endpoint itself failed"}},
		{name: "full URI refusing", timeout: 10 * time.Second, code: exitcode.Usage,
			env:  []string{"AWS_CONTAINER_CREDENTIALS_FULL_URI=http://" + refused + "/creds", "VALUEFROM_MAX_ATTEMPTS=3"},
			msg:  []string{"http://" + refused + "/creds (AWS_CONTAINER_CREDENTIALS_FULL_URI)", "3 attempts to " + refused + ", the last failed: dial tcp", "connection refused"},
			hint: []string{"nothing answered at http://" + refused + "/creds"}},
		{name: "full URI never answering", timeout: 3 * time.Second, code: exitcode.Usage, atDeadline: true,
			env:  []string{"AWS_CONTAINER_CREDENTIALS_FULL_URI=" + hung.URL + "/creds"},
			msg:  []string{hung.URL + "/creds", "gave no credentials before the deadline (VALUEFROM_TIMEOUT): attempt 1 to ", "was still waiting for an answer"},
			hint: []string{"the endpoint accepted but did not answer"}},
		{name: "EKS Pod Identity with a wrong token", timeout: 10 * time.Second, code: exitcode.Usage,
			env:  []string{"AWS_CONTAINER_CREDENTIALS_FULL_URI=" + pod.URL + "/v1/credentials", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=" + token},
			msg:  []string{"EKS Pod Identity", "token file " + token, "HTTP 401"},
			hint: []string{"refused the token read from " + token, "Pod Identity association"}},
		{name: "IRSA whose STS call hangs", timeout: 3 * time.Second, code: exitcode.Usage, atDeadline: true,
			env: append([]string{"AWS_ENDPOINT_URL_STS=http://" + stsStalled}, webIdentity...),
			msg: []string{"web identity (role " + role + ", token file " + token + ", STS at " + stsStalled + ") gave no credentials before the deadline",
				"was still waiting for an answer"},
			hint: []string{"check the network path to STS at " + stsStalled}},
		{name: "IRSA whose STS call is refused", timeout: 10 * time.Second, code: exitcode.Usage,
			env:  append([]string{"AWS_ENDPOINT_URL_STS=http://" + refused, "VALUEFROM_MAX_ATTEMPTS=3"}, webIdentity...),
			msg:  []string{"web identity (role " + role + ", token file " + token + ", STS at " + refused + ")", "connection refused"},
			hint: []string{"check the network path to STS at " + refused, "AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL"}},
		{name: "credential_process failing", timeout: 10 * time.Second, code: exitcode.Usage,
			env:  []string{"AWS_PROFILE=tool", "AWS_CONFIG_FILE=" + config},
			msg:  []string{`the credential_process of profile "tool": error in credential_process: exit status 3`},
			hint: []string{`profile "tool"`, config}},
		{name: "only AWS_ACCESS_KEY_ID", timeout: 10 * time.Second, code: exitcode.Usage,
			env:  []string{"AWS_ACCESS_KEY_ID=" + keyValue},
			msg:  []string{"loading AWS credentials: AWS_SECRET_ACCESS_KEY is missing: AWS_ACCESS_KEY_ID is set without it"},
			hint: []string{"set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither"}},
		{name: "only AWS_SECRET_ACCESS_KEY", timeout: 10 * time.Second, code: exitcode.Usage,
			env: []string{"AWS_SECRET_ACCESS_KEY=" + keyValue},
			msg: []string{"loading AWS credentials: AWS_ACCESS_KEY_ID is missing: AWS_SECRET_ACCESS_KEY is set without it"}},
		{name: "no source at all", timeout: 10 * time.Second, code: exitcode.Usage,
			msg:  []string{"no AWS credentials found", "AWS_EC2_METADATA_DISABLED=true"},
			hint: []string{"on ECS give the task a task role"}},
		// check says the same, and examines nothing.
		{name: "check, full URI refusing", timeout: 10 * time.Second, code: exitcode.Usage,
			args: []string{"--timeout", "10s", "--max-attempts", "3", "check"},
			env:  []string{"AWS_CONTAINER_CREDENTIALS_FULL_URI=http://" + refused + "/creds"},
			msg:  []string{"valuefrom: error: check: loading AWS credentials: the container credentials endpoint http://" + refused + "/creds", "connection refused"},
			hint: []string{"nothing answered at http://" + refused + "/creds"}},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			r.run(t, base)
		})
	}
}

// TestWorkingSources: web identity against moto's STS, reached through
// AWS_ENDPOINT_URL alone (the SDK on its own honours only
// AWS_ENDPOINT_URL_STS there); check's header, which names the source and
// the identity; instance metadata that falls back to IMDSv1.
func TestWorkingSources(t *testing.T) {
	vfbin.Need(t)
	moto := mototest.Start(t)
	moto.Seeder(t, "us-east-1").Secret("creds/db", secretValue)
	token := writeFile(t, "token", tokenValue, 0o600)
	env := append(baseEnv(t, moto), "AWS_ROLE_ARN=arn:aws:iam::123456789012:role/app", "AWS_WEB_IDENTITY_TOKEN_FILE="+token)

	res := vfbin.Run(t, binary, env, "--", "sh", "-c", `test "$DB" = `+secretValue+` && echo resolved`)
	if res.Code != 0 || res.Stdout != "resolved\n" {
		t.Errorf("web identity through AWS_ENDPOINT_URL: exit %d, stdout %q; stderr:\n%s", res.Code, res.Stdout, res.Stderr)
	}

	res = vfbin.Run(t, binary, env, "check")
	t.Logf("check:\n%s", res.Stdout)
	host := strings.TrimPrefix(moto.URL, "http://")
	for _, want := range []string{"credentials: web identity (role arn:aws:iam::123456789012:role/app, token file " + token + ", STS at " + host + ")\n",
		"identity: arn:aws:sts::123456789012:assumed-role/app/"} {
		if !strings.HasPrefix(res.Stdout, "credentials: ") || !strings.Contains(res.Stdout, want) {
			t.Errorf("check's header lacks %q:\n%s", want, res.Stdout)
		}
	}
	if res.Code != 0 || strings.Contains(res.Stdout+res.Stderr, secretValue) || strings.Contains(res.Stdout+res.Stderr, tokenValue) {
		t.Errorf("check: exit %d, or a canary leaked; stderr:\n%s", res.Code, res.Stderr)
	}

	// Instance metadata whose token requests go unanswered but which does
	// not require IMDSv2: the SDK falls back to IMDSv1 within its bound of
	// 5 s a call, as it does with its own retry policy.
	imds := source(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPut:
			silent(w, r)
		case r.URL.Path == "/latest/meta-data/iam/security-credentials/":
			io.WriteString(w, "app")
		case r.URL.Path == "/latest/meta-data/iam/security-credentials/app":
			fmt.Fprintf(w, `{"Code":"Success","AccessKeyId":"AKIAEXAMPLE","SecretAccessKey":%q,"Token":%q,"Expiration":%q}`,
				keyValue, tokenValue, time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	})
	v1 := append(baseEnv(t, moto), "AWS_EC2_METADATA_DISABLED=false", "AWS_EC2_METADATA_SERVICE_ENDPOINT="+imds.URL)
	res = vfbin.Run(t, binary, v1, "--", "sh", "-c", `test "$DB" = `+secretValue+` && echo resolved`)
	if res.Code != 0 || res.Stdout != "resolved\n" || res.Took >= 5*time.Second {
		t.Errorf("IMDSv1 after unanswered token requests: exit %d after %v, stdout %q; stderr:\n%s", res.Code, res.Took, res.Stdout, res.Stderr)
	}
	if strings.Contains(res.Stdout+res.Stderr, keyValue) || strings.Contains(res.Stdout+res.Stderr, tokenValue) {
		t.Errorf("a canary leaked")
	}

	static := append(baseEnv(t, moto), "AWS_ACCESS_KEY_ID=AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY="+keyValue)
	res = vfbin.Run(t, binary, static, "check", "--format", "json")
	for _, want := range []string{`"source": "static keys (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"`, `"account": "123456789012"`} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("check --format json lacks %s:\n%s", want, res.Stdout)
		}
	}
	if strings.Contains(res.Stdout+res.Stderr, keyValue) {
		t.Errorf("check printed the secret key")
	}
}

package docs

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
)

// motoAddr is where the examples' moto listens, as the one-minute try in
// README.md starts it.
const motoAddr = "127.0.0.1:5000"

// endpoints are the other loopback addresses the examples name, and what
// the test puts at each: the examples show these fixed addresses, the test
// runs each on a free port and swaps the addresses (in a command, the
// page's for the test's; in the output, back). docs/README.md lists them.
var endpoints = map[string]func(t *testing.T, moto string) string{
	// nothing listens: a stopped emulator, a container credentials
	// endpoint or STS that is not there
	"127.0.0.1:4566":  closed,
	"127.0.0.1:18099": closed,
	// accepts and never answers
	"127.0.0.1:18081": stalled,
	"127.0.0.1:18086": stalled,
	// a credentials endpoint that refuses the token
	"127.0.0.1:18080": answer(http.StatusUnauthorized, "application/json", `{"code":"AccessDenied","message":"the token canary-token-a8c4 is not valid"}`),
	// a credentials endpoint that fails
	"127.0.0.1:18084": answer(http.StatusInternalServerError, "text/plain", "internal error"),
	// something that is not a credentials endpoint
	"127.0.0.1:18085": answer(http.StatusOK, "text/html", "<html><body>welcome</body></html>"),
	// a proxy or emulator that refuses with a body that is not AWS's
	"127.0.0.1:18403": answer(http.StatusForbidden, "text/xml", "<Error><Code>AccessDenied</Code></Error>"),
	// an HTTP proxy that wants credentials
	"127.0.0.1:3128": proxyAuth,
	// free, for an example's own server (valuefrom serve)
	"127.0.0.1:2773": free,
	// moto, but every call signed for us-east-1 gets HTTP 503: a region
	// in an outage
	"127.0.0.1:18503": outage("us-east-1"),
	// moto, but IAM denies every Secrets Manager call
	"127.0.0.1:18401": deny(""),
	// moto, but IAM denies BatchGetSecretValue
	"127.0.0.1:18402": deny("BatchGetSecretValue"),
}

func closed(t *testing.T, _ string) string  { return mototest.Closed(t) }
func free(t *testing.T, _ string) string    { return mototest.Closed(t) }
func stalled(t *testing.T, _ string) string { addr, _ := mototest.Stalled(t); return addr }

func answer(status int, contentType, body string) func(t *testing.T, _ string) string {
	return func(t *testing.T, _ string) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", contentType)
			w.WriteHeader(status)
			io.WriteString(w, body)
		}))
		t.Cleanup(srv.Close)
		return srv.Listener.Addr().String()
	}
}

// outage returns a proxy to moto that answers every call signed for
// region (its SigV4 credential scope) with HTTP 503 and an AWS error.
func outage(region string) func(t *testing.T, moto string) string {
	return func(t *testing.T, moto string) string {
		target, err := url.Parse(moto)
		if err != nil {
			t.Fatal(err)
		}
		proxy := httputil.NewSingleHostReverseProxy(target)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.Header.Get("Authorization"), "/"+region+"/") {
				io.Copy(io.Discard, r.Body)
				w.Header().Set("Content-Type", "application/x-amz-json-1.1")
				w.WriteHeader(http.StatusServiceUnavailable)
				io.WriteString(w, `{"__type":"ServiceUnavailableException","message":"the region is down"}`)
				return
			}
			proxy.ServeHTTP(w, r)
		}))
		t.Cleanup(srv.Close)
		return srv.Listener.Addr().String()
	}
}

// deny returns a proxy to moto that answers the Secrets Manager call
// only (every one when only is "") as AWS does when IAM denies it, which
// moto cannot (it answers an XML 403 that is not AWS's).
func deny(only string) func(t *testing.T, moto string) string {
	return func(t *testing.T, moto string) string {
		return denyProxy(t, moto, only)
	}
}

func denyProxy(t *testing.T, moto, only string) string {
	target, err := url.Parse(moto)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "secretsmanager.")
		if !ok || only != "" && op != only {
			proxy.ServeHTTP(w, r)
			return
		}
		var in struct{ SecretId string }
		json.NewDecoder(r.Body).Decode(&in)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-Requestid", "5c1e7a2b-0000-4000-8000-000000000000")
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{
			"__type":  "AccessDeniedException",
			"message": "User: arn:aws:sts::123456789012:assumed-role/web-task/7e1b is not authorized to perform: secretsmanager:" + op + " on resource: " + in.SecretId + " because no identity-based policy allows the secretsmanager:" + op + " action",
		})
	}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

func proxyAuth(t *testing.T, _ string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Proxy-Authenticate", `Basic realm="proxy"`)
		w.WriteHeader(http.StatusProxyAuthRequired)
	}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

// An addrMap swaps the pages' addresses with the test's.
type addrMap struct {
	doc, real []string
	toDoc     []*regexp.Regexp // matches each real address, not inside a longer port
}

// startEndpoints starts what the examples' addresses need, moto's at
// motoURL.
func startEndpoints(t *testing.T, motoURL string) *addrMap {
	m := &addrMap{}
	add := func(doc, real string) {
		m.doc = append(m.doc, doc)
		m.real = append(m.real, real)
		m.toDoc = append(m.toDoc, regexp.MustCompile(regexp.QuoteMeta(real)+`\b`))
	}
	add(motoAddr, strings.TrimPrefix(motoURL, "http://"))
	docs := make([]string, 0, len(endpoints))
	for doc := range endpoints {
		docs = append(docs, doc)
	}
	sort.Strings(docs)
	for _, doc := range docs {
		add(doc, endpoints[doc](t, motoURL))
	}
	return m
}

// command returns a command (or a file) of a page with the test's
// addresses; localhost:PORT is 127.0.0.1:PORT.
func (m *addrMap) command(s string) string {
	for i, doc := range m.doc {
		re := regexp.MustCompile(`(` + regexp.QuoteMeta(doc) + `|localhost` + regexp.QuoteMeta(strings.TrimPrefix(doc, "127.0.0.1")) + `)\b`)
		s = re.ReplaceAllString(s, m.real[i])
	}
	return s
}

// output returns what a command printed with the page's addresses.
func (m *addrMap) output(s string) string {
	for i, re := range m.toDoc {
		s = re.ReplaceAllString(s, m.doc[i])
	}
	return s
}

func (m *addrMap) String() string {
	var b strings.Builder
	for i := range m.doc {
		fmt.Fprintf(&b, "%s=%s ", m.doc[i], m.real[i])
	}
	return b.String()
}

package mototest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// IMDSv1 starts a fake EC2 instance metadata service, until the test
// ends, that refuses IMDSv2 tokens, so that the SDK falls back to IMDSv1
// and warns, and says the instance is in region. Point
// AWS_EC2_METADATA_SERVICE_ENDPOINT at its URL.
func IMDSv1(tb testing.TB, region string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPut: // the IMDSv2 token
			w.WriteHeader(http.StatusForbidden)
		case r.URL.Path == "/latest/dynamic/instance-identity/document":
			io.WriteString(w, `{"region": "`+region+`"}`)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	tb.Cleanup(srv.Close)
	return srv
}

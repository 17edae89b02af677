package platform

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestOf(t *testing.T) {
	tests := []struct {
		name    string
		environ []string
		want    Platform
	}{
		{"nothing", nil, Platform{}},
		{"ECS", []string{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/v2/credentials/x", "AWS_EXECUTION_ENV=AWS_ECS_FARGATE"}, Platform{}},
		{"Lambda", []string{"AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001"}, Platform{Lambda: true, RuntimeAPI: "127.0.0.1:9001"}},
		{"empty", []string{"AWS_LAMBDA_RUNTIME_API="}, Platform{}},
		{"last wins", []string{"AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001", "AWS_LAMBDA_RUNTIME_API="}, Platform{}},
		{"another name", []string{"AWS_LAMBDA_RUNTIME_API_X=127.0.0.1:9001", "AWS_LAMBDA_FUNCTION_NAME=f"}, Platform{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Of(tt.environ); got != tt.want {
				t.Errorf("Of(%q) = %+v, want %+v", tt.environ, got, tt.want)
			}
		})
	}
}

func TestDeadline(t *testing.T) {
	lambda := Platform{Lambda: true, RuntimeAPI: "127.0.0.1:9001"}
	tests := []struct {
		on        Platform
		def, want time.Duration
	}{
		{Platform{}, 60 * time.Second, 60 * time.Second},
		{lambda, 60 * time.Second, 8 * time.Second},
		{lambda, 5 * time.Second, 5 * time.Second},
	}
	for _, tt := range tests {
		got := tt.on.Deadline(tt.def)
		if got != tt.want {
			t.Errorf("%+v.Deadline(%v) = %v, want %v", tt.on, tt.def, got, tt.want)
		}
		if tt.on.Lambda && got+ReportTimeout >= InitPhase {
			t.Errorf("on Lambda the deadline %v and the report (%v) leave no time of the init phase (%v)", got, ReportTimeout, InitPhase)
		}
	}
}

func TestFilesBase(t *testing.T) {
	if got := (Platform{}).FilesBase(); got != "" {
		t.Errorf("off Lambda FilesBase() = %q, want secretfile's choice, \"\"", got)
	}
	if got := Of([]string{"AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001"}).FilesBase(); got != "/tmp" {
		t.Errorf("on Lambda FilesBase() = %q, want /tmp", got)
	}
}

// runtimeAPI is a Runtime API that keeps what the init error endpoint was
// sent and answers with status.
type runtimeAPI struct {
	status int
	got    chan *http.Request
	body   chan []byte
}

func startRuntimeAPI(t *testing.T, status int) (Platform, *runtimeAPI) {
	t.Helper()
	api := &runtimeAPI{status: status, got: make(chan *http.Request, 1), body: make(chan []byte, 1)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		api.got <- r
		api.body <- b
		w.WriteHeader(api.status)
	}))
	t.Cleanup(srv.Close)
	return Platform{Lambda: true, RuntimeAPI: strings.TrimPrefix(srv.URL, "http://")}, api
}

func TestReportInitError(t *testing.T) {
	on, api := startRuntimeAPI(t, http.StatusAccepted)
	msg := "valuefrom: error: DB_PASSWORD: ssm:/prod/db: ParameterNotFound\nvaluefrom: hint: check the parameter name"
	if err := on.ReportInitError(context.Background(), "Valuefrom.ResolveError", msg); err != nil {
		t.Fatalf("ReportInitError: %v", err)
	}
	r, body := <-api.got, <-api.body
	if r.Method != http.MethodPost || r.URL.Path != "/2018-06-01/runtime/init/error" {
		t.Errorf("request %s %s, want POST /2018-06-01/runtime/init/error", r.Method, r.URL.Path)
	}
	if got := r.Header.Get("Lambda-Runtime-Function-Error-Type"); got != "Valuefrom.ResolveError" {
		t.Errorf("Lambda-Runtime-Function-Error-Type = %q, want Valuefrom.ResolveError", got)
	}
	var sent struct {
		Message    string   `json:"errorMessage"`
		Type       string   `json:"errorType"`
		StackTrace []string `json:"stackTrace"`
	}
	if err := json.Unmarshal(body, &sent); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	if sent.Message != msg || sent.Type != "Valuefrom.ResolveError" || sent.StackTrace == nil {
		t.Errorf("body = %+v, want errorMessage %q, errorType Valuefrom.ResolveError and an empty stackTrace", sent, msg)
	}
}

func TestReportInitErrorCut(t *testing.T) {
	on, api := startRuntimeAPI(t, http.StatusAccepted)
	line := "valuefrom: error: VAR_0000: ssm:/a/parameter/name/of/some/length: ParameterNotFound\n"
	msg := strings.Repeat(line, 2*maxMessage/len(line))
	if err := on.ReportInitError(context.Background(), "Valuefrom.ResolveError", msg); err != nil {
		t.Fatal(err)
	}
	<-api.got
	var sent struct{ ErrorMessage string }
	json.Unmarshal(<-api.body, &sent)
	got := sent.ErrorMessage
	if len(got) > maxMessage || !strings.HasSuffix(got, "\n(cut: the rest is in the log)") {
		t.Errorf("a message of %d bytes was sent as %d bytes ending %q; want at most %d, ending with the cut line", len(msg), len(got), got[max(0, len(got)-40):], maxMessage)
	}
	if body, _, _ := strings.Cut(got, "(cut:"); !strings.HasPrefix(msg, body) || !strings.HasSuffix(body, "\n") {
		t.Errorf("the cut message is not whole lines of the message")
	}
}

func TestReportInitErrorRefused(t *testing.T) {
	on, api := startRuntimeAPI(t, http.StatusForbidden)
	err := on.ReportInitError(context.Background(), "Valuefrom.ResolveError", "m")
	<-api.got
	if err == nil || !strings.Contains(err.Error(), "HTTP 403") || !strings.Contains(err.Error(), RuntimeAPIVar) {
		t.Errorf("ReportInitError = %v, want an error naming HTTP 403 and %s", err, RuntimeAPIVar)
	}
}

// TestReportInitErrorGivesUp: a Runtime API that takes the request and
// never answers does not hold the exit: the report ends with its context.
func TestReportInitErrorGivesUp(t *testing.T) {
	arrived := make(chan struct{})
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-release
	}))
	defer srv.Close()
	defer close(release)
	on := Platform{Lambda: true, RuntimeAPI: strings.TrimPrefix(srv.URL, "http://")}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-arrived; cancel() }()
	err := on.ReportInitError(ctx, "Valuefrom.ResolveError", "m")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("ReportInitError = %v, want it to end with its context", err)
	}
}

func TestReportInitErrorOffLambda(t *testing.T) {
	if err := (Platform{}).ReportInitError(context.Background(), "T", "m"); err != nil {
		t.Errorf("off Lambda ReportInitError = %v, want nil (nothing to report to)", err)
	}
}

func TestCut(t *testing.T) {
	const more = "(cut: the rest is in the log)"
	long := strings.Repeat("é", 40) // one line, two bytes a character
	for _, tt := range []struct {
		s    string
		n    int
		want string
	}{
		{"short", 100, "short"},
		{"line one\nline two\nline three\nline four\nline five", 40, "line one\n" + more},
		{long, len(more) + 12, strings.Repeat("é", 5) + "\n" + more},
		{long, len(more) + 11, strings.Repeat("é", 5) + "\n" + more},
	} {
		got := cut(tt.s, tt.n)
		if got != tt.want || len(got) > tt.n || !utf8.ValidString(got) {
			t.Errorf("cut(%q, %d) = %q, want %q, at most %d bytes of UTF-8", tt.s, tt.n, got, tt.want, tt.n)
		}
	}
}

package report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"

	"github.com/valuefrom/valuefrom/exec"
	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/platform"
	"github.com/valuefrom/valuefrom/internal/watch"
	"github.com/valuefrom/valuefrom/resolver"
	"github.com/valuefrom/valuefrom/resolver/reference"
)

// initErrors is a Runtime API that answers status to each init error and
// keeps what it was sent.
type initErrors struct {
	status int
	sent   []map[string]string // errorType, errorMessage and the header
}

func (a *initErrors) start(t *testing.T) platform.Platform {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		b, _ := io.ReadAll(r.Body)
		json.Unmarshal(b, &body)
		typ, _ := body["errorType"].(string)
		msg, _ := body["errorMessage"].(string)
		a.sent = append(a.sent, map[string]string{"path": r.URL.Path, "type": typ, "message": msg,
			"header": r.Header.Get("Lambda-Runtime-Function-Error-Type")})
		w.WriteHeader(a.status)
	}))
	t.Cleanup(srv.Close)
	return platform.Of([]string{"AWS_LAMBDA_RUNTIME_API=" + strings.TrimPrefix(srv.URL, "http://")})
}

// TestToLambda: a start that failed on Lambda tells the Runtime API what
// it wrote on stderr, as text even when the log is JSON, with an
// errorType for its exit code; a report the Runtime API refuses is a
// warning, and nothing else.
func TestToLambda(t *testing.T) {
	ref, _ := reference.Parse("ssm:/prod/db")
	failed := resolver.Errors{{Var: "DB_PASSWORD", Ref: ref, Code: "ParameterNotFound", Err: errors.New("ParameterNotFound: not found"), Hint: "check the parameter name"}}
	for _, json := range []bool{false, true} {
		api := &initErrors{status: http.StatusAccepted}
		on := api.start(t)
		err := &RunError{Err: failed, JSON: json, Outcome: "the command was not started"}
		var stderr bytes.Buffer
		code := Exit(&stderr, err, exitcode.Resolve)
		logged := stderr.Len()
		ToLambda(context.Background(), on, &stderr, err, code)
		if len(api.sent) != 1 {
			t.Fatalf("json %v: %d reports, want 1", json, len(api.sent))
		}
		got := api.sent[0]
		var text bytes.Buffer
		Exit(&text, &RunError{Err: failed, Outcome: "the command was not started"}, exitcode.Resolve)
		if got["path"] != "/2018-06-01/runtime/init/error" || got["type"] != "Valuefrom.ResolveError" || got["header"] != got["type"] {
			t.Errorf("json %v: sent %v, want Valuefrom.ResolveError to the init error endpoint", json, got)
		}
		if got["message"] != strings.TrimSuffix(text.String(), "\n") {
			t.Errorf("json %v: errorMessage %q, want the text report %q", json, got["message"], text.String())
		}
		if stderr.Len() != logged {
			t.Errorf("json %v: a report that went well wrote on stderr: %q", json, stderr.String()[logged:])
		}
	}

	api := &initErrors{status: http.StatusForbidden}
	on := api.start(t)
	var stderr bytes.Buffer
	ToLambda(context.Background(), on, &stderr, &RunError{Err: failed}, exitcode.Resolve)
	if w := stderr.String(); !strings.HasPrefix(w, "valuefrom: warning: the failure could not be told to Lambda") || !strings.Contains(w, "HTTP 403") {
		t.Errorf("a refused report wrote %q, want a warning naming HTTP 403", w)
	}
}

// TestToLambdaNot: nothing is reported off Lambda, for a run that ended
// well, or for a supervised program's own exit.
func TestToLambdaNot(t *testing.T) {
	api := &initErrors{status: http.StatusAccepted}
	on := api.start(t)
	var stderr bytes.Buffer
	usage := &RunError{Err: &exitcode.UsageError{Err: errors.New("bad")}}
	ToLambda(context.Background(), platform.Platform{}, &stderr, usage, exitcode.Usage)
	ToLambda(context.Background(), on, &stderr, nil, exitcode.OK)
	ToLambda(context.Background(), on, &stderr, &RunError{Err: &watch.ProgramError{Exit: exec.Exit{Code: 3}}}, 3)
	if len(api.sent) != 0 || stderr.Len() != 0 {
		t.Errorf("reported %v, wrote %q; want nothing", api.sent, stderr.String())
	}
}

func TestInitErrorType(t *testing.T) {
	for code, want := range map[int]string{
		exitcode.Internal: "Valuefrom.InternalError",
		exitcode.Usage:    "Valuefrom.UsageError",
		exitcode.Syntax:   "Valuefrom.SyntaxError",
		exitcode.Resolve:  "Valuefrom.ResolveError",
		exitcode.Output:   "Valuefrom.OutputError",
		exitcode.NotExec:  "Valuefrom.CommandNotExecutable",
		exitcode.NotFound: "Valuefrom.CommandNotFound",
		exitcode.SignalOffset + int(syscall.SIGTERM): "Valuefrom.Interrupted",
	} {
		if got := InitErrorType(code); got != want {
			t.Errorf("InitErrorType(%d) = %q, want %q", code, got, want)
		}
	}
}

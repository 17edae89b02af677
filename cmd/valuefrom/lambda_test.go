package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/valuefrom/valuefrom/internal/exitcode"
)

// TestLambdaInitError: on Lambda a start that fails tells the Runtime
// API's init error endpoint what it wrote, naming the variable and never
// the value; a subcommand that is no start tells it nothing.
func TestLambdaInitError(t *testing.T) {
	type sent struct{ header, errorType, errorMessage string }
	got := make(chan sent, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct{ ErrorType, ErrorMessage string }
		b, _ := io.ReadAll(r.Body)
		json.Unmarshal(b, &body)
		if r.URL.Path != "/2018-06-01/runtime/init/error" {
			t.Errorf("a request to %s", r.URL.Path)
		}
		got <- sent{r.Header.Get("Lambda-Runtime-Function-Error-Type"), body.ErrorType, body.ErrorMessage}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	const canary = "canary-lambda-4e1d"
	env := []string{"AWS_LAMBDA_RUNTIME_API=" + strings.TrimPrefix(srv.URL, "http://"),
		"DB_PASSWORD=ssm:/prod/db:1:x", "TOKEN=" + canary}

	r := runIn(t, env, "--", "true")
	if r.code != exitcode.Syntax || r.exec != nil {
		t.Fatalf("exit %d, exec %v; want %d and no exec:\n%s", r.code, r.exec, exitcode.Syntax, r.stderr)
	}
	select {
	case s := <-got:
		if s.header != "Valuefrom.SyntaxError" || s.errorType != s.header {
			t.Errorf("errorType %q, header %q; want Valuefrom.SyntaxError", s.errorType, s.header)
		}
		if s.errorMessage != strings.TrimSuffix(r.stderr, "\n") || !strings.Contains(s.errorMessage, "DB_PASSWORD") {
			t.Errorf("errorMessage %q, want what stderr says, naming DB_PASSWORD: %q", s.errorMessage, r.stderr)
		}
		if strings.Contains(s.errorMessage, canary) {
			t.Errorf("the errorMessage holds a value")
		}
	default:
		t.Errorf("nothing was told to the Runtime API")
	}

	if r := runIn(t, env, "env"); r.code != exitcode.Syntax {
		t.Errorf("env: exit %d, want %d", r.code, exitcode.Syntax)
	}
	if len(got) != 0 {
		t.Errorf("env, which starts no program, told the Runtime API: %+v", <-got)
	}
}

package checkpolicy

// check and policy against the forms fixture in moto, with KMS failing and
// BatchGetSecretValue denied (was cmd/valuefrom's TestMoto, run in
// process).

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/testkit/faultproxy"
	"github.com/valuefrom/valuefrom/internal/testkit/forms"
	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

// TestCheckAndPolicy runs valuefrom check and policy as operators do.
func TestCheckAndPolicy(t *testing.T) {
	vfbin.Need(t)
	moto := mototest.Start(t)
	forms.Seed(t, moto)
	// Every KMS call answers HTTP 500: DescribeKey cannot be checked.
	proxy := faultproxy.Serve(t, moto.URL, faultproxy.Config{Ops: map[string]faultproxy.Rule{"TrentService.*": {Internal: 1}}})
	// Every BatchGetSecretValue is denied, as for a role without it.
	backend, err := url.Parse(moto.URL)
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(&denyBatches{backend: httputil.NewSingleHostReverseProxy(backend)})
	defer front.Close()

	tests := []struct {
		name    string
		env     []string
		args    []string
		kms     bool   // KMS through the failing proxy
		batches bool   // Secrets Manager through the front that denies BatchGetSecretValue
		code    int    // the exit code
		stdout  string // a piece of stdout
		stderr  string // a piece of stderr
	}{
		{"ok", []string{"DB=secretsmanager:app/db:password::"}, []string{"check"}, false, false, exitcode.OK, "1 reference: 1 ok, 0 warning, 0 fail", ""},
		{"warning", []string{"DB=secretsmanager:app/db:password::"}, []string{"check"}, true, false, exitcode.Warnings, "kms:DescribeKey (InternalServiceError", "valuefrom: warning: 1 reference with warnings"},
		{"fail", []string{"DB=secretsmanager:app/db:password::", "GONE=secretsmanager:gone"}, []string{"check"}, false, false, exitcode.Failures, "ResourceNotFoundException", "valuefrom: error: 1 reference would not resolve"},
		{"json", []string{"DB=secretsmanager:app/db:nokey::"}, []string{"check", "--format", "json"}, false, false, exitcode.Failures, `"json_key": "no"`, ""},
		{"batch denied", []string{"DB=secretsmanager:app/db:password::", "PLAIN=secretsmanager:plain"}, []string{"check"}, false, true, exitcode.Warnings,
			`DB: warning: "secretsmanager:app/db:password::" BatchGetSecretValueDenied: secretsmanager:BatchGetSecretValue is denied in us-east-1`, "valuefrom: warning: 2 references with warnings"},
		{"batch denied, batching off", []string{"DB=secretsmanager:app/db:password::", "PLAIN=secretsmanager:plain", "VALUEFROM_BATCH_SECRETS=false"}, []string{"check"}, false, true, exitcode.OK,
			"2 references: 2 ok, 0 warning, 0 fail", ""},
		{"policy", []string{"DB=secretsmanager:app/db:password::"}, []string{"policy"}, false, false, exitcode.OK,
			`"arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-`, ""}, // the ARN DescribeSecret returns
		{"policy json, missing parameter", []string{"DB=secretsmanager:app/db:password::", "URL=ssm:/app/gone"}, []string{"policy"}, false, false, exitcode.Warnings,
			`"arn:aws:ssm:us-east-1:123456789012:parameter/app/gone"`, `valuefrom: warning: URL: "ssm:/app/gone" does not exist in us-east-1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := append(slices.Clone(tt.env), "VALUEFROM_MAX_ATTEMPTS=1")
			if tt.kms {
				env = append(env, "AWS_ENDPOINT_URL_KMS="+proxy.URL())
			}
			if tt.batches {
				env = append(env, "AWS_ENDPOINT_URL_SECRETS_MANAGER="+front.URL)
			}
			r := forms.Run(t, moto, env, tt.args...)
			forms.NoCanary(t, "stdout", r.Stdout)
			forms.NoCanary(t, "stderr", r.Stderr)
			if r.Code != tt.code {
				t.Errorf("exit code %d, want %d; stderr:\n%s", r.Code, tt.code, r.Stderr)
			}
			if !strings.Contains(r.Stdout, tt.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.stdout, r.Stdout)
			}
			if !strings.Contains(r.Stderr, tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, r.Stderr)
			}
			if strings.Contains(tt.name, "json") || strings.HasPrefix(tt.name, "policy") {
				var v any
				if err := json.Unmarshal([]byte(r.Stdout), &v); err != nil {
					t.Errorf("stdout is not JSON: %v", err)
				}
			}
		})
	}
	t.Run("policy json", func(t *testing.T) { testPolicyJSON(t, moto) })
}

// denyBatches stands in front of backend as a role without
// secretsmanager:BatchGetSecretValue: it answers every such call
// AccessDeniedException, as AWS does, and forwards every other call.
type denyBatches struct{ backend http.Handler }

func (d *denyBatches) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Amz-Target") != "secretsmanager.BatchGetSecretValue" {
		d.backend.ServeHTTP(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(http.StatusBadRequest)
	w.Write([]byte(`{"__type":"AccessDeniedException","message":"User: arn:aws:sts::123456789012:assumed-role/task/x is not authorized to perform: secretsmanager:BatchGetSecretValue"}`))
}

// testPolicyJSON: policy's warnings are JSON in JSON mode; no value
// anywhere. (A silent success at warn, once in the same test:
// test/entrypoint's TestForms.)
func testPolicyJSON(t *testing.T, moto *mototest.Server) {
	r := forms.Run(t, moto, []string{"VALUEFROM_LOG_FORMAT=json", "VALUEFROM_MAX_ATTEMPTS=1", "DB=secretsmanager:app/db:password::", "URL=ssm:/app/gone"}, "policy")
	forms.NoCanary(t, "stderr", r.Stderr)
	objs := vfbin.JSONLines(t, r.Stderr)
	if r.Code != exitcode.Warnings || len(objs) != 2 || !strings.Contains(fmt.Sprint(objs[0]["msg"]), `URL: "ssm:/app/gone" does not exist`) {
		t.Errorf("exit %d; stderr:\n%s", r.Code, r.Stderr)
	}
}

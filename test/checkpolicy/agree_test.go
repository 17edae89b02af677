package checkpolicy

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/preflight"
	"github.com/valuefrom/valuefrom/internal/testkit/faultproxy"
	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

// An agreement case is an environment that check and a start must judge
// alike: check fails it exactly when the start refuses it, and names the
// same code for the same variable where both name one.
type agreement struct {
	name string
	env  []string // the container's variables
	fail bool     // whether both must refuse it
	// code is the code both name, start and check, for the variable
	// failing; "" when the start fails before it names one (a setting, no
	// region).
	code string
	// checkCode is check's code where it knows more than the start can
	// (a version missing, a secret scheduled for deletion); "": code.
	checkCode string
	exit      int // the start's exit code when it fails
	// taskDef, when set, is a task definition's JSON: the start is run
	// --task-def and check is check --task-def, with it.
	taskDef string
}

// TestCheckAgreesWithStart: for every way a start can refuse an
// environment, valuefrom check fails the same variable (issue 19, item 8:
// check passed what a start refused), and what a start accepts check does
// not fail. Both run through the binary against moto.
func TestCheckAgreesWithStart(t *testing.T) {
	vfbin.Need(t)
	moto := mototest.Start(t)
	sd := moto.Seeder(t, "us-east-1")
	sd.BinarySecret("agree/binary", []byte("canary\x00binary"))
	sd.BinarySecret("agree/binary-text", []byte("canary binary without NUL"))
	sd.Secret("agree/text", "canary-text")
	sd.Secret("agree/not-object", `["canary-array"]`)
	sd.Secret("agree/json", `{"user":"canary-user"}`)
	sd.Secret("agree/json-bad-name", `{"":"canary-empty","ok":"canary-ok"}`)
	sd.Secret("agree/json-setting", `{"valuefrom_timeout":"canary-setting"}`)
	sd.Secret("agree/json-collide", `{"db-user":"canary-a","db_user":"canary-b"}`)
	sd.Secret("agree/json-nul", `{"blob":"canary\u0000nul"}`)
	sd.Secret("agree/denied", "canary-denied")
	sd.Parameter("/agree/param", ssmtypes.ParameterTypeSecureString, "canary-param")
	sd.Parameter("/agree/collide/db-user", ssmtypes.ParameterTypeString, "canary-a")
	sd.Parameter("/agree/collide/db_user", ssmtypes.ParameterTypeString, "canary-b")
	sd.Parameter("/agree/ok/api-key", ssmtypes.ParameterTypeString, "canary-api")
	gone := sd.Secret("agree/deleted", "canary-deleted")
	sm := secretsmanager.NewFromConfig(moto.Config(t, "us-east-1"))
	if _, err := sm.DeleteSecret(context.Background(), &secretsmanager.DeleteSecretInput{SecretId: aws.String(gone.ARN)}); err != nil {
		t.Fatal(err)
	}
	// IAM denials come from a proxy in front of moto (moto's own are not
	// JSON: TESTING.md).
	proxy := faultproxy.Serve(t, moto.URL, faultproxy.Config{Deny: map[string]faultproxy.Denial{"agree/denied": faultproxy.AccessDenied}})
	// Templates, each rendered to a file of its own (issue 24).
	dir := t.TempDir()
	tmpl := func(name, src string) string {
		path := filepath.Join(dir, name+".tmpl")
		if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		return "VALUEFROM_TEMPLATE=" + path + ":" + filepath.Join(dir, name)
	}
	// An env file that sets one of the SDK's own inputs to a reference.
	inputsFile := filepath.Join(t.TempDir(), "inputs.env")
	if err := os.WriteFile(inputsFile, []byte("AWS_PROFILE=ssm:/agree/region\nP=ssm:/agree/param\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sd.Parameter("/agree/region", ssmtypes.ParameterTypeString, "us-east-1")

	for _, tt := range []agreement{
		// The cases check used to pass.
		{name: "binary secret in the environment", env: []string{"B=secretsmanager:agree/binary"}, fail: true, code: "BinaryValue", exit: exitcode.Resolve},
		{name: "JSON secret that is no object", env: []string{"VALUEFROM_SECRET_JSON=secretsmanager:agree/not-object"}, fail: true, code: "NotJSONObject", exit: exitcode.Resolve},
		{name: "JSON key that maps to no name", env: []string{"VALUEFROM_SECRET_JSON=secretsmanager:agree/json-bad-name"}, fail: true, code: "BadName", exit: exitcode.Resolve},
		{name: "JSON key that maps to a setting", env: []string{"VALUEFROM_SECRET_JSON=secretsmanager:agree/json-setting"}, fail: true, code: "BadName", exit: exitcode.Resolve},
		{name: "JSON keys that collide", env: []string{"VALUEFROM_SECRET_JSON=secretsmanager:agree/json-collide"}, fail: true, code: "NameCollision", exit: exitcode.Resolve},
		{name: "JSON key with NUL bytes", env: []string{"VALUEFROM_SECRET_JSON=secretsmanager:agree/json-nul"}, fail: true, code: "BinaryValue", exit: exitcode.Resolve},
		// One per fail verdict check gives.
		{name: "parameters that collide", env: []string{"VALUEFROM_SSM_PATH=/agree/collide"}, fail: true, code: "NameCollision", exit: exitcode.Resolve},
		{name: "empty path required", env: []string{"VALUEFROM_SSM_PATH=/agree/none", "VALUEFROM_REQUIRE_PATHS=true"}, fail: true, code: "EmptyPath", exit: exitcode.Resolve},
		{name: "missing secret", env: []string{"S=secretsmanager:agree/missing"}, fail: true, code: "ResourceNotFoundException", exit: exitcode.Resolve},
		{name: "missing parameter", env: []string{"P=ssm:/agree/missing"}, fail: true, code: "NotFound", checkCode: "ParameterNotFound", exit: exitcode.Resolve},
		{name: "missing JSON key", env: []string{"K=secretsmanager:agree/json:password::"}, fail: true, code: "JSONKeyNotFound", exit: exitcode.Resolve},
		{name: "JSON key of a non-object", env: []string{"K=secretsmanager:agree/text:user::"}, fail: true, code: "NotJSONObject", exit: exitcode.Resolve},
		{name: "missing version stage", env: []string{"V=secretsmanager:agree/text::AWSPREVIOUS:"}, fail: true, code: "ResourceNotFoundException", checkCode: "VersionNotFound", exit: exitcode.Resolve},
		{name: "secret scheduled for deletion", env: []string{"D=secretsmanager:agree/deleted"}, fail: true, code: "InvalidRequestException", checkCode: "SecretScheduledForDeletion", exit: exitcode.Resolve},
		{name: "access denied", env: []string{"AWS_ENDPOINT_URL=" + proxy.URL(), "X=secretsmanager:agree/denied"}, fail: true, code: "AccessDeniedException", exit: exitcode.Resolve},
		{name: "malformed reference", env: []string{"M=secretsmanager:agree/text:k"}, fail: true, code: "MalformedReference", exit: exitcode.Syntax},
		{name: "no default region", env: []string{"AWS_REGION=", "AWS_DEFAULT_REGION=", "N=ssm:/agree/param"}, fail: true, checkCode: "NoRegion", exit: exitcode.Usage},
		{name: "bad setting", env: []string{"VALUEFROM_CONCURRENCY=0", "P=ssm:/agree/param"}, fail: true, exit: exitcode.Usage},
		{name: "misspelt setting", env: []string{"VALUEFROM_SSM_PATHZ=/agree/ok", "P=ssm:/agree/param"}, fail: true, exit: exitcode.Usage},
		// Templates: check renders them as a start does.
		{name: "template: JSON key missing", env: []string{"J=secretsmanager:agree/json", tmpl("key", "{{ J.password }}")}, fail: true, checkCode: "JSONKeyNotFound", exit: exitcode.Output},
		{name: "template: not a JSON object", env: []string{"J=secretsmanager:agree/text", tmpl("object", "{{ J.user }}")}, fail: true, checkCode: "NotJSONObject", exit: exitcode.Output},
		{name: "template: a filter cannot carry", env: []string{"B_FILE=secretsmanager:agree/binary", tmpl("filter", "{{ B_FILE | shell }}")}, fail: true, checkCode: "FilterCannotCarry", exit: exitcode.Output},
		{name: "template: the plain environment unasked", env: []string{"P=ssm:/agree/param", tmpl("plain", "{{ P }} {{ PATH }}")}, fail: true, checkCode: "UnknownVariable", exit: exitcode.Output},
		{name: "template: does not parse", env: []string{"P=ssm:/agree/param", tmpl("syntax", "{{ P | jsno }}")}, fail: true, checkCode: "UnknownFilter", exit: exitcode.Usage},
		{name: "template: cannot be read", env: []string{"P=ssm:/agree/param", "VALUEFROM_TEMPLATE=" + filepath.Join(dir, "none.tmpl") + ":" + filepath.Join(dir, "none")}, fail: true, checkCode: "TemplateUnusable", exit: exitcode.Usage},
		{name: "template: its variable does not resolve", env: []string{"S=secretsmanager:agree/missing", tmpl("missing", "{{ S }}")}, fail: true, code: "ResourceNotFoundException", exit: exitcode.Resolve},
		{name: "template that renders", env: []string{"J=secretsmanager:agree/json", "B_FILE=secretsmanager:agree/binary", "VALUEFROM_SSM_PATH=/agree/ok", tmpl("ok", "{{ J.user | yaml }} {{ B_FILE | base64 }} {{ API_KEY | url }}")}},
		{name: "template with the plain environment", env: []string{"P=ssm:/agree/param", "VALUEFROM_TEMPLATE_ENV=true", tmpl("env", "{{ P | shell }} {{ PATH | shell }}")}},
		{name: "SDK input holding a reference", env: []string{"AWS_REGION=ssm:/agree/region", "P=ssm:/agree/param"}, fail: true, exit: exitcode.Usage},
		{name: "SDK input holding a reference in an env file", env: []string{"VALUEFROM_ENV_FILE=" + inputsFile}, fail: true, exit: exitcode.Usage},
		{name: "SDK input holding a reference in a task definition", taskDef: `{"containerDefinitions":[{"name":"app","environment":[` +
			`{"name":"AWS_REGION","value":"ssm:/agree/region"},{"name":"P","value":"ssm:/agree/param"}]}]}`, fail: true, exit: exitcode.Usage},
		{name: "_FILE names no file", env: []string{"_FILE=secretsmanager:agree/text"}, fail: true, checkCode: "InvalidFileName", exit: exitcode.Output},
		{name: "_FILE names that write one file", env: []string{"DB_FILE=secretsmanager:agree/text", "db_FILE=ssm:/agree/param"}, fail: true, checkCode: "InvalidFileName", exit: exitcode.Output},
		// What a start accepts, check does not fail.
		{name: "binary secret to a file", env: []string{"B_FILE=secretsmanager:agree/binary"}},
		{name: "binary secret without NUL bytes", env: []string{"B=secretsmanager:agree/binary-text"}},
		{name: "JSON secret and path", env: []string{"VALUEFROM_SECRET_JSON=secretsmanager:agree/json", "VALUEFROM_SSM_PATH=/agree/ok", "P=ssm:/agree/param"}},
		{name: "explicit name over a path's", env: []string{"VALUEFROM_SSM_PATH=/agree/collide", "DB_USER=explicit"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := append(append([]string{"VALUEFROM_LOG_FORMAT=json"}, mototest.EndpointEnv(moto.URL)...), tt.env...)
			startArgs, checkArgs := []string{"--", "true"}, []string{"check", "--format", "json"}
			if tt.taskDef != "" {
				td := filepath.Join(t.TempDir(), "td.json")
				if err := os.WriteFile(td, []byte(tt.taskDef), 0o600); err != nil {
					t.Fatal(err)
				}
				startArgs = []string{"run", "--task-def", td, "--", "true"}
				checkArgs = append(checkArgs, "--task-def", td)
			}
			start := vfbin.RunEnv(t, env, startArgs...)
			check := vfbin.RunEnv(t, env, checkArgs...)
			vfbin.NoValue(t, "the start's stdout", start.Stdout, "canary")
			vfbin.NoValue(t, "the start's stderr", start.Stderr, "canary")
			vfbin.NoValue(t, "check's stdout", check.Stdout, "canary")
			vfbin.NoValue(t, "check's stderr", check.Stderr, "canary")
			if (start.Code != 0) != tt.fail || tt.fail && start.Code != tt.exit {
				t.Fatalf("start exited %d, want %d (fail: %v):\n%s", start.Code, tt.exit, tt.fail, start.Stderr)
			}
			failed := check.Code == exitcode.Failures || check.Code == exitcode.Usage
			if failed != tt.fail || !tt.fail && check.Code != exitcode.OK && check.Code != exitcode.Warnings {
				t.Fatalf("check exited %d, want it to fail: %v:\n%s%s", check.Code, tt.fail, check.Stdout, check.Stderr)
			}
			if got := startCodes(t, start.Stderr); tt.code != "" && !slices.Contains(got, tt.code) {
				t.Errorf("start named codes %q, want %s:\n%s", got, tt.code, start.Stderr)
			}
			want := tt.code
			if tt.checkCode != "" {
				want = tt.checkCode
			}
			if want == "" || check.Code == exitcode.Usage {
				return
			}
			if got := checkCodes(t, check.Stdout); !slices.Contains(got, want) {
				t.Errorf("check named codes %q, want %s:\n%s", got, want, check.Stdout)
			}
		})
	}
}

// startCodes returns the codes of the failures a start reported in JSON.
func startCodes(t *testing.T, stderr string) []string {
	t.Helper()
	var codes []string
	for _, obj := range vfbin.JSONLines(t, stderr) {
		if c, ok := obj["code"].(string); ok {
			codes = append(codes, c)
		}
	}
	return codes
}

// checkCodes returns the codes of check's failing problems.
func checkCodes(t *testing.T, stdout string) []string {
	t.Helper()
	var rep preflight.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("check's JSON: %v\n%s", err, stdout)
	}
	var codes []string
	for _, r := range rep.Rows {
		for _, p := range r.Problems {
			if p.Verdict == preflight.Fail {
				codes = append(codes, p.Code)
			}
		}
	}
	return codes
}

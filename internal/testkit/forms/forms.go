// Package forms is the fixture of the end-to-end suites under test/ that
// run valuefrom as operators do: secrets and parameters in moto for every
// reference form (Seed), task definitions of the three shapes that use
// them (TaskDefs), what run, env and render give the program (WantRun),
// and the checks that no value leaked (NoCanary) and that variables hold
// what they should (CheckVars).
//
// Canary values: if any of the Canary constants shows up on valuefrom's
// own stdout or stderr, a secret leaked. Failure messages never print
// them.
package forms

import (
	"encoding/json"
	"strings"
	"testing"

	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/testfs"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

// The canary values Seed stores.
const (
	CanaryJSON   = "canary-json-5d2e"   // the password of the JSON secret app/db
	CanaryString = "canary-string-9b1f" // in the secret plain
	CanaryParam  = "canary-param-77c3"  // in both versions of the parameter /app/token
	CanaryWest   = "canary-west-0a4d"   // the secret regional, in us-west-2
	CanaryOld    = "canary-old-31e8"    // the previous version of the secret rotated
	CanaryBinary = "canary-binary-c0de" // in the binary secret binary
)

// Account is moto's default account, which the fixture's ARNs name.
const Account = mototest.Account

// Tricky is a secret value that breaks naive quoting. It is no canary:
// failure messages may show it.
const Tricky = "it's \"quoted\" $HOME ${HOME} `id` $(id) \\n \\ back\\slash\nline2\r\n\tünïcødé ☃ 𝄞 # end\n"

// DBJSON is the value of the secret app/db: JSON of every kind of value.
const DBJSON = `{"user":"admin","password":"` + CanaryJSON + `","port":5432,"big":1000000,"ratio":1.50,"on":true,"none":null,"nested":{"a": [1, "two"]}}`

// Seed creates the secrets and parameters the suites read, and returns the
// version id of the secret "rotated"'s previous version:
//
//	app/db      DBJSON
//	plain       a string with a newline, '=' and non-ASCII letters
//	binary      a SecretBinary with NUL and 0xff bytes
//	tricky      Tricky
//	rotated     CanaryOld, then "new-value" as AWSCURRENT
//	regional    CanaryWest, in us-west-2
//	/app/url    a String: https://example.com/?a=b&c=d
//	/app/hosts  a StringList: a,b,c
//	/app/token  a SecureString: v1-CanaryParam (labelled stable), then v2-CanaryParam
//	toplevel    a String, top, outside any hierarchy
func Seed(t *testing.T, moto *mototest.Server) (previousVersion string) {
	t.Helper()
	east, west := moto.Seeder(t, "us-east-1"), moto.Seeder(t, "us-west-2")
	east.Secret("app/db", DBJSON)
	east.Secret("plain", "line1\nline2="+CanaryString+" ünïcødé ☃")
	east.BinarySecret("binary", []byte("\x00\x01"+CanaryBinary+"\xff"))
	east.Secret("tricky", Tricky)
	old := east.Secret("rotated", CanaryOld)
	east.NewVersion("rotated", "new-value")
	west.Secret("regional", CanaryWest)

	east.Parameter("/app/url", ssmtypes.ParameterTypeString, "https://example.com/?a=b&c=d")
	east.Parameter("/app/hosts", ssmtypes.ParameterTypeStringList, "a,b,c")
	v1 := east.Parameter("/app/token", ssmtypes.ParameterTypeSecureString, "v1-"+CanaryParam)
	east.Parameter("/app/token", ssmtypes.ParameterTypeSecureString, "v2-"+CanaryParam)
	east.Label(v1, "stable")
	east.Parameter("toplevel", ssmtypes.ParameterTypeString, "top")
	return old.VersionID
}

// Env is moto's endpoint settings (mototest.Server.Env), no shared AWS
// config or credentials file, and then env.
func Env(moto *mototest.Server, env ...string) []string {
	return append(append(moto.Env(), "AWS_CONFIG_FILE=/nonexistent", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent"), env...)
}

// Run runs the binary (vfbin.RunEnv) with Env(moto, env...) and args.
func Run(t *testing.T, moto *mototest.Server, env []string, args ...string) vfbin.Result {
	t.Helper()
	return vfbin.RunEnv(t, Env(moto, env...), args...)
}

// NoCanary fails the test, as vfbin.NoValue does, if a canary value is
// in s, naming where but not the value.
func NoCanary(t *testing.T, where, s string) {
	t.Helper()
	vfbin.NoValue(t, where, s, CanaryJSON, CanaryString, CanaryParam, CanaryWest, CanaryOld, CanaryBinary)
}

// CheckVars compares variables, showing no canary.
func CheckVars(t *testing.T, got, want map[string]string) {
	t.Helper()
	for k, w := range want {
		if g, ok := got[k]; !ok || g != w {
			if strings.Contains(w, "canary") {
				t.Errorf("%s: got %d bytes, want %d (values not shown)", k, len(g), len(w))
			} else {
				t.Errorf("%s = %q, want %q", k, g, w)
			}
		}
	}
}

// App is the task definition's container the suites run: environment,
// secrets shadowing environment, a bare SSM name, ARNs, an ignored value.
var App = map[string]any{
	"name": "app",
	"environment": []map[string]string{
		{"name": "FROM_ENV", "value": "env value"},
		{"name": "SHADOWED", "value": "environment loses"},
		{"name": "OVER_PROCESS", "value": "container wins"},
		{"name": "LITERAL", "value": "secretsmanager:not:a:ref"},
		{"name": "VALUEFROM_IGNORE", "value": "LITERAL"},
	},
	"secrets": []map[string]string{
		{"name": "SHADOWED", "valueFrom": "arn:aws:secretsmanager:us-east-1:" + Account + ":secret:app/db:password::"},
		{"name": "URL", "valueFrom": "/app/url"},
		{"name": "TOKEN", "valueFrom": "arn:aws:ssm:us-east-1:" + Account + ":parameter/app/token"},
		{"name": "TRICKY", "valueFrom": "arn:aws:secretsmanager:us-east-1:" + Account + ":secret:tricky"},
	},
}

// Sidecar is the task definition's other container.
var Sidecar = map[string]any{"name": "sidecar", "environment": []map[string]string{{"name": "X", "value": "y"}}}

// TaskDefs writes the three shapes of a task definition holding App and
// Sidecar (the "container" shape holds App alone), each in a file of the
// test's, and returns their paths by shape: "describe" (as aws ecs
// describe-task-definition prints it), "register" (as register takes it)
// and "container".
func TaskDefs(t *testing.T) map[string]string {
	t.Helper()
	register := map[string]any{"family": "app", "containerDefinitions": []any{App, Sidecar}}
	tds := map[string]string{}
	for shape, v := range map[string]any{"describe": map[string]any{"taskDefinition": register}, "register": register, "container": App} {
		data, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		tds[shape] = testfs.WriteFile(t, "td.json", string(data))
	}
	return tds
}

// Process is the environment the task-definition tests start from.
var Process = []string{"OVER_PROCESS=process loses", "PROCESS_ONLY=kept", "PROC_REF=ssm:/app/url"}

// WantRun is what run gives the command, with App's task definition over
// Process.
var WantRun = map[string]string{
	"FROM_ENV":     "env value",
	"SHADOWED":     CanaryJSON,
	"OVER_PROCESS": "container wins",
	"LITERAL":      "secretsmanager:not:a:ref",
	"URL":          "https://example.com/?a=b&c=d",
	"TOKEN":        "v2-" + CanaryParam,
	"TRICKY":       Tricky,
	"PROCESS_ONLY": "kept",
	"PROC_REF":     "https://example.com/?a=b&c=d",
}

// WantPrinted is what env and render write with App's task definition
// over Process: all of WantRun but PROCESS_ONLY, which is neither the
// task definition's nor a reference.
func WantPrinted() map[string]string {
	m := map[string]string{}
	for k, v := range WantRun {
		if k != "PROCESS_ONLY" {
			m[k] = v
		}
	}
	return m
}

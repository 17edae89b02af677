// Package bulk runs the valuefrom binary against moto with the bulk
// inputs: env files (and standard input), SSM paths and JSON secrets, in
// the entrypoint, env, check and policy, and under throttling of the
// paged path reads. Every value holds "canary"; no failure message prints
// one.
package bulk

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/valuefrom/valuefrom/internal/envfmt"
	"github.com/valuefrom/valuefrom/internal/preflight"
	"github.com/valuefrom/valuefrom/internal/testkit/faultproxy"
	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/testfs"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

func TestMain(m *testing.M) { vfbin.Main(m, nil) }

const nMany = 55

// seed creates the parameters and secrets the tests read.
func seed(t *testing.T, moto *mototest.Server) {
	t.Helper()
	sd := moto.Seeder(t, "us-east-1")
	sd.Parameter("/svc/prod/db-password", ssmtypes.ParameterTypeSecureString, "canary-db-1")
	sd.Parameter("/svc/prod/api.key", ssmtypes.ParameterTypeSecureString, "canary-api-2")
	sd.Parameter("/svc/prod/log-level", ssmtypes.ParameterTypeString, "canary-level-3")
	sd.Parameter("/svc/prod/nested/token", ssmtypes.ParameterTypeSecureString, "canary-token-4")
	sd.Parameter("/svc/ref", ssmtypes.ParameterTypeSecureString, "canary-ref-5")
	for i := range nMany {
		sd.Parameter(fmt.Sprintf("/svc/many/p%02d", i), ssmtypes.ParameterTypeSecureString, fmt.Sprintf("canary-many-%02d", i))
	}
	sd.Secret("svc/json", `{"db_user":"canary-user","port":5432,"ratio":2.50,"opts":{"tls": true, "x":[1]},"empty":null}`)
}

// run runs the binary (vfbin.Command) with env, args and stdin.
func run(t *testing.T, env []string, stdin string, args ...string) vfbin.Result {
	t.Helper()
	cmd := vfbin.Command(t, env, args...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	return vfbin.RunCmd(t, cmd)
}

func TestBulk(t *testing.T) {
	vfbin.Need(t)
	moto := mototest.Start(t)
	seed(t, moto)
	env := mototest.EndpointEnv(moto.URL)
	t.Run("entrypoint", func(t *testing.T) { testEntrypoint(t, env) })
	t.Run("env file errors", func(t *testing.T) { testEnvFileErrors(t, env) })
	t.Run("env round trip", func(t *testing.T) { testEnvRoundTrip(t, env) })
	t.Run("check", func(t *testing.T) { testCheck(t, env) })
	t.Run("policy", func(t *testing.T) { testPolicy(t, env) })
	t.Run("throttled paging", func(t *testing.T) { testThrottledPaging(t, moto) })
}

// testEntrypoint: every input at once, with the precedence documented:
// the environment, then the later file, then the earlier, then paths and
// JSON secrets.
func testEntrypoint(t *testing.T, env []string) {
	early := testfs.WriteFile(t, "early.env", "LOG_LEVEL=early\nSHARED=early\nREF=ssm:/svc/ref\n")
	late := testfs.WriteFile(t, "late.env", "SHARED=late\n")
	env = append(slices.Clone(env), "VALUEFROM_ENV_FILE="+early+","+late, "DB_PASSWORD=explicit", "VALUEFROM_SECRETS_JSON=secretsmanager:svc/json") // the old name of VALUEFROM_SECRET_JSON
	r := run(t, env, "STDIN_VAR=\"from stdin\"\nSHARED=stdin\n",
		"--env-file", early, "--env-file", "-", "--env-file", late,
		"--ssm-path", "/svc/prod", "--ssm-path", "/svc/many", "--", "env", "-0")
	vfbin.NoLeak(t, "entrypoint", r, "canary")
	if r.Code != 0 {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	w := map[string]string{
		"DB_PASSWORD": "explicit", "LOG_LEVEL": "early", "SHARED": "late", "STDIN_VAR": "from stdin",
		"REF": "canary-ref-5", "API_KEY": "canary-api-2",
		"DB_USER": "canary-user", "PORT": "5432", "RATIO": "2.50", "OPTS": `{"tls":true,"x":[1]}`, "EMPTY": "",
	}
	for i := range nMany {
		w[fmt.Sprintf("P%02d", i)] = fmt.Sprintf("canary-many-%02d", i)
	}
	vfbin.CheckEnviron(t, "entrypoint", r.Stdout, w)
	got := vfbin.Environ(r.Stdout)
	if _, ok := got["NESTED_TOKEN"]; ok {
		t.Errorf("a path without /** read a nested parameter")
	}
	for k := range got {
		if strings.HasPrefix(k, "VALUEFROM_") {
			t.Errorf("%s reached the command", k)
		}
	}

	r = run(t, env[:len(env)-4:len(env)-4], "", "--ssm-path", "/svc/prod/**", "--", "env", "-0")
	vfbin.NoLeak(t, "recursive", r, "canary")
	vfbin.CheckEnviron(t, "recursive", r.Stdout, map[string]string{"NESTED_TOKEN": "canary-token-4", "DB_PASSWORD": "canary-db-1"})
}

func testEnvFileErrors(t *testing.T, env []string) {
	bad := testfs.WriteFile(t, "bad.env", "GOOD=1\n# fine\nBAD=\"canary-bad $HOME\"\n")
	for _, tc := range []struct {
		label, stdin string
		args         []string
		says         []string
	}{
		{"bad line", "", []string{"--env-file", bad, "--", "true"}, []string{bad + ":3:", "BAD", "unescaped $"}},
		{"bad stdin", "X=canary y\n", []string{"--env-file", "-", "--", "true"}, []string{"standard input:1:"}},
		{"no such file", "", []string{"--env-file", bad + ".none", "--", "true"}, []string{"bad.env.none"}},
	} {
		r := run(t, env, tc.stdin, tc.args...)
		vfbin.NoLeak(t, tc.label, r, "canary")
		if r.Code != 2 {
			t.Errorf("%s: exit %d, want 2", tc.label, r.Code)
		}
		for _, s := range tc.says {
			if !strings.Contains(r.Stderr, s) {
				t.Errorf("%s: stderr does not say %q:\n%s", tc.label, s, r.Stderr)
			}
		}
	}
}

// testEnvRoundTrip: what env --format dotenv writes, --env-file - reads
// back as it was.
func testEnvRoundTrip(t *testing.T, env []string) {
	r := run(t, env, "", "env", "--format", "dotenv", "--ssm-path", "/svc/prod", "--secret-json", "secretsmanager:svc/json")
	vfbin.NoLeak(t, "env", r, "canary")
	if r.Code != 0 {
		t.Fatalf("env: exit %d: %s", r.Code, r.Stderr)
	}
	written, err := envfmt.ParseDotenv(strings.NewReader(r.Stdout), "env output")
	if err != nil {
		t.Fatalf("parsing env's output: %v", err)
	}
	if len(written) != 3+5 {
		t.Errorf("env wrote %d variables, want 8 (3 parameters, 5 keys)", len(written))
	}
	back := run(t, env, r.Stdout, "--env-file", "-", "--", "env", "-0")
	vfbin.NoLeak(t, "round trip", back, "canary")
	wantVars := map[string]string{}
	for _, kv := range written {
		k, v, _ := strings.Cut(kv, "=")
		wantVars[k] = v
	}
	vfbin.CheckEnviron(t, "round trip", back.Stdout, wantVars)
}

func testCheck(t *testing.T, env []string) {
	envFile := testfs.WriteFile(t, "c.env", "REF=ssm:/svc/ref\nMISSING=ssm:/svc/none\n")
	r := run(t, env, "", "check", "--format", "json", "--env-file", envFile,
		"--ssm-path", "/svc/prod", "--ssm-path", "/svc/empty", "--secret-json", "secretsmanager:svc/json")
	vfbin.NoLeak(t, "check", r, "canary")
	vfbin.NoValue(t, "check: stdout", r.Stdout, "canary")
	if r.Code != 7 {
		t.Errorf("check: exit %d, want 7 (MISSING fails): %s", r.Code, r.Stderr)
	}
	var rep preflight.Report
	if err := json.Unmarshal([]byte(r.Stdout), &rep); err != nil {
		t.Fatalf("check's JSON: %v", err)
	}
	rows := map[string]preflight.Row{}
	for _, row := range rep.Rows {
		rows[row.Var+" "+row.Ref] = row
	}
	for key, v := range map[string]preflight.Verdict{
		"REF ssm:/svc/ref":                              preflight.OK,
		"MISSING ssm:/svc/none":                         preflight.Fail,
		"VALUEFROM_SSM_PATH ssm:/svc/prod":              preflight.OK,
		"VALUEFROM_SSM_PATH ssm:/svc/empty":             preflight.Warning,
		"DB_PASSWORD ssm:/svc/prod/db-password":         preflight.OK,
		"API_KEY ssm:/svc/prod/api.key":                 preflight.OK,
		"LOG_LEVEL ssm:/svc/prod/log-level":             preflight.OK,
		"VALUEFROM_SECRET_JSON secretsmanager:svc/json": preflight.OK,
	} {
		row, ok := rows[key]
		if !ok {
			t.Errorf("check has no row %s", key)
			continue
		}
		if row.Verdict != v {
			t.Errorf("%s: verdict %s, want %s: %+v", key, row.Verdict, v, row.Problems)
		}
	}
	if len(rep.Rows) != 8 {
		t.Errorf("check has %d rows, want 8", len(rep.Rows))
	}
	r = run(t, env, "", "check", "--ssm-path", "/svc/empty", "--require-paths")
	if r.Code != 7 || !strings.Contains(r.Stdout, "EmptyPath") {
		t.Errorf("check --require-paths on an empty path: exit %d, want 7 naming EmptyPath", r.Code)
	}
}

func testPolicy(t *testing.T, env []string) {
	policy := func(args ...string) (preflight.Policy, vfbin.Result) {
		r := run(t, env, "", append([]string{"policy", "--account", "123456789012"}, args...)...)
		vfbin.NoLeak(t, "policy", r, "canary")
		var p preflight.Policy
		if err := json.Unmarshal([]byte(r.Stdout), &p); err != nil {
			t.Fatalf("policy %q: exit %d, %v: %s", args, r.Code, err, r.Stderr)
		}
		return p, r
	}
	actions := func(p preflight.Policy) map[string][]string {
		m := map[string][]string{}
		for _, s := range p.Statement {
			m[s.Action] = s.Resource
		}
		return m
	}
	p, _ := policy("--ssm-path", "/svc/prod", "--ssm-path", "/svc/many/**")
	got := actions(p)
	wantRes := []string{"arn:aws:ssm:us-east-1:123456789012:parameter/svc/many", "arn:aws:ssm:us-east-1:123456789012:parameter/svc/prod"}
	if !slices.Equal(got["ssm:GetParametersByPath"], wantRes) {
		t.Errorf("GetParametersByPath on %q, want %q", got["ssm:GetParametersByPath"], wantRes)
	}
	if _, ok := got["ssm:GetParameters"]; ok {
		t.Errorf("paths alone need no ssm:GetParameters: %q", got["ssm:GetParameters"])
	}

	envFile := testfs.WriteFile(t, "p.env", "REF=ssm:/svc/ref\n")
	p, _ = policy("--env-file", envFile, "--secret-json", "secretsmanager:svc/json")
	got = actions(p)
	if _, ok := got["ssm:GetParametersByPath"]; ok {
		t.Errorf("no path, yet ssm:GetParametersByPath")
	}
	if !slices.Equal(got["ssm:GetParameters"], []string{"arn:aws:ssm:us-east-1:123456789012:parameter/svc/ref"}) {
		t.Errorf("GetParameters on %q", got["ssm:GetParameters"])
	}
	if sm := got["secretsmanager:GetSecretValue"]; len(sm) != 1 || !strings.Contains(sm[0], ":secret:svc/json-") {
		t.Errorf("GetSecretValue on %q, want the JSON secret's ARN", sm)
	}
}

// testThrottledPaging: a path read page by page under throttling gives
// every parameter or none: a page that fails after its retries fails the
// start, and the command never runs with part of the path.
func testThrottledPaging(t *testing.T, moto *mototest.Server) {
	const op = "AmazonSSM.GetParametersByPath"
	t.Run("a page fails", func(t *testing.T) {
		// Page 1 passes; page 2 is throttled on both its attempts.
		p := faultproxy.Serve(t, moto.URL, faultproxy.Config{Seed: 1, Ops: map[string]faultproxy.Rule{
			op: {Script: []faultproxy.Fault{faultproxy.None, faultproxy.Throttle, faultproxy.Throttle}},
		}})
		r := run(t, mototest.EndpointEnv(p.URL()), "", "--max-attempts", "2", "--ssm-path", "/svc/many", "--", "env", "-0")
		vfbin.NoLeak(t, "a page fails", r, "canary")
		if r.Code != 4 || r.Stdout != "" {
			t.Errorf("exit %d with %d bytes of output, want 4 and the command not run", r.Code, len(r.Stdout))
		}
		if !strings.Contains(r.Stderr, `VALUEFROM_SSM_PATH: "ssm:/svc/many"`) || !strings.Contains(r.Stderr, "ThrottlingException") {
			t.Errorf("the error does not name the path and the throttling:\n%s", r.Stderr)
		}
		if n := p.Counts()[op].Requests; n != 3 {
			t.Errorf("%d GetParametersByPath requests, want 3 (page 1, page 2 twice)", n)
		}
	})
	t.Run("throttling at random", func(t *testing.T) {
		p := faultproxy.Serve(t, moto.URL, faultproxy.Config{Seed: 7, Ops: map[string]faultproxy.Rule{op: {Throttle: 0.4}}})
		w := map[string]string{}
		for i := range nMany {
			w[fmt.Sprintf("P%02d", i)] = fmt.Sprintf("canary-many-%02d", i)
		}
		const runs = 8
		results := make([]vfbin.Result, runs)
		var wg sync.WaitGroup
		for i := range runs {
			// Three attempts a call: some runs fail, none may run the command with part of the path.
			wg.Go(func() {
				results[i] = run(t, mototest.EndpointEnv(p.URL()), "", "--max-attempts", "3", "--ssm-path", "/svc/many", "--", "env", "-0")
			})
		}
		wg.Wait()
		var ok, failed int
		for i, r := range results {
			label := fmt.Sprintf("run %d", i+1)
			vfbin.NoLeak(t, label, r, "canary")
			switch r.Code {
			case 0:
				ok++
				vfbin.CheckEnviron(t, label, r.Stdout, w)
			case 4:
				failed++
				if r.Stdout != "" {
					t.Errorf("%s failed but the command ran", label)
				}
			default:
				t.Errorf("%s: exit %d: %s", label, r.Code, r.Stderr)
			}
		}
		t.Logf("%d runs whole, %d failed whole; proxy: %+v", ok, failed, p.Counts()[op])
		if p.Counts()[op].Throttled == 0 {
			t.Errorf("no request was throttled")
		}
	})
}

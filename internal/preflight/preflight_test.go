package preflight

import (
	"github.com/valuefrom/valuefrom/resolver/reference"

	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/valuefrom/valuefrom/internal/awsapi"
	"github.com/valuefrom/valuefrom/internal/taskdef"
	"github.com/valuefrom/valuefrom/internal/testkit/faultproxy"
	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

const canary = "canary-preflight-6e1a" // a value that must never be printed

// keys are the KMS keys seed made.
type keys struct{ app, disabled, deleting, mrk string }

// seed makes keys, secrets and parameters in moto. moto is seeded first,
// so that key ids and ARN suffixes are the same on every run.
func seed(t *testing.T, moto *mototest.Server) keys {
	t.Helper()
	moto.FixRandom(t, 42)
	east, west := moto.Seeder(t, "us-east-1"), moto.Seeder(t, "us-west-2")
	ks := keys{
		app:      east.Key(mototest.KeyOptions{Alias: "alias/app"}),
		disabled: east.Key(mototest.KeyOptions{Disabled: true}),
		deleting: east.Key(mototest.KeyOptions{PendingDeletion: true}),
		mrk:      east.Key(mototest.KeyOptions{MultiRegion: true, ReplicaRegion: "us-west-2"}),
	}
	east.WithKey("alias/app").Secret("app/db", `{"user":"admin","password":"`+canary+`"}`)
	east.Secret("plain", canary)
	east.WithKey(ks.disabled).Secret("disabled", canary)
	east.WithKey(ks.deleting).Secret("deleting", canary)
	west.WithKey(ks.mrk).Secret("west", canary)
	// Names that end like a suffix ("-" and six characters): item 1.
	east.Secret("app/my-secret", canary)
	east.Secret("app/db-master", canary)

	token := east.Parameter("/app/token", "SecureString", canary)
	east.WithKey("alias/app").Parameter("/app/cmk", "SecureString", canary)
	east.Parameter("/app/url", "String", canary)
	east.Label(token, "stable")
	return ks
}

// want is what a row should say; empty fields are not compared.
type want struct {
	exists, version, jsonKey Status
	keyState, manager, mrk   string
	verdict                  Verdict
	code                     string // a problem code the row must have
}

// eachRow calls check with each row of rep and the want of its variable,
// reports a row that wants does not name, and returns the rows' variables
// in order.
func eachRow[W any](t *testing.T, rep *Report, wants map[string]W, check func(Row, W)) []string {
	t.Helper()
	var vars []string
	for _, r := range rep.Rows {
		vars = append(vars, r.Var)
		w, ok := wants[r.Var]
		if !ok {
			t.Errorf("unexpected row %s", r.Var)
			continue
		}
		check(r, w)
	}
	return vars
}

func compare(t *testing.T, r Row, w want) {
	t.Helper()
	if r.Exists != w.exists || (w.version != "" && r.Version != w.version) || (w.jsonKey != "" && r.JSONKey != w.jsonKey) {
		t.Errorf("%s: exists, version, json_key = %s, %s, %s; want %s, %s, %s", r.Var, r.Exists, r.Version, r.JSONKey, w.exists, w.version, w.jsonKey)
	}
	if w.keyState != "" || w.manager != "" {
		if r.KMS == nil {
			t.Errorf("%s: no KMS key; want state %s", r.Var, w.keyState)
		} else if r.KMS.State != w.keyState || r.KMS.Manager != w.manager || r.KMS.MultiRegion != w.mrk {
			t.Errorf("%s: key state, manager, multi-Region = %s, %s, %q; want %s, %s, %q", r.Var, r.KMS.State, r.KMS.Manager, r.KMS.MultiRegion, w.keyState, w.manager, w.mrk)
		}
	}
	if r.Verdict != w.verdict {
		t.Errorf("%s: verdict %s, want %s (problems %+v)", r.Var, r.Verdict, w.verdict, r.Problems)
	}
	if w.code != "" && !slices.ContainsFunc(r.Problems, func(p Problem) bool { return p.Code == w.code }) {
		t.Errorf("%s: no problem with code %s among %+v", r.Var, w.code, r.Problems)
	}
}

// TestAgainstMoto shares one emulator, seeded once, between the tests
// that need one: moto loads each service lazily, which is slow.
func TestAgainstMoto(t *testing.T) {
	moto := mototest.Start(t)
	ks := seed(t, moto)
	t.Run("check", func(t *testing.T) { testCheck(t, moto) })
	t.Run("permission errors", func(t *testing.T) { testPermissionErrors(t, moto) })
	t.Run("policy", func(t *testing.T) { testPolicy(t, moto, ks) })
	t.Run("batches", func(t *testing.T) { testBatches(t, moto) })
}

func testCheck(t *testing.T, moto *mototest.Server) {
	ctx := context.Background()

	environ := []string{
		"OK_JSON=secretsmanager:app/db:password::",
		"MISSING_KEY=secretsmanager:app/db:nope::",
		"PLAIN=secretsmanager:plain",
		"MISSING=secretsmanager:nope",
		"WRONG_REGION=arn:aws:secretsmanager:us-west-2:123456789012:secret:plain",
		"NO_STAGE=secretsmanager:plain::AWSPREVIOUS:",
		"NO_VERSION=secretsmanager:plain:::00000000-0000-4000-8000-000000000000",
		"DISABLED=secretsmanager:disabled",
		"DELETING=secretsmanager:deleting",
		"WEST=arn:aws:secretsmanager:us-west-2:123456789012:secret:west",
		"TOKEN=ssm:/app/token",
		"TOKEN_STABLE=ssm:/app/token:stable",
		"TOKEN_NOLABEL=ssm:/app/token:nolabel",
		"TOKEN_V9=ssm:/app/token:9",
		"CMK=arn:aws:ssm:us-east-1:123456789012:parameter/app/cmk",
		"URL=ssm:/app/url",
		"NO_PARAM=ssm:/app/none",
		"MALFORMED=ssm:bad::",
		"LITERAL=just a value",
		"VALUEFROM_SKIPPED=ssm:/app/none",
	}
	c := New(Config{AWS: moto.Config(t, "us-east-1"), Concurrency: 4})
	start := time.Now()
	rep := c.Check(ctx, environ, func(name string) bool { return strings.HasPrefix(name, "VALUEFROM_") })

	t.Logf("check took %v", time.Since(start))
	wants := map[string]want{
		"OK_JSON":       {exists: Yes, jsonKey: Yes, keyState: "Enabled", manager: "customer", verdict: OK},
		"MISSING_KEY":   {exists: Yes, jsonKey: No, verdict: Fail, code: awsapi.CodeJSONKey},
		"PLAIN":         {exists: Yes, version: NotApplicable, keyState: "Enabled", manager: "aws", verdict: OK},
		"MISSING":       {exists: No, verdict: Fail, code: "ResourceNotFoundException"},
		"WRONG_REGION":  {exists: No, verdict: Fail, code: CodeWrongRegion},
		"NO_STAGE":      {exists: Yes, version: No, verdict: Fail, code: CodeVersionNotFound},
		"NO_VERSION":    {exists: Yes, version: No, verdict: Fail, code: CodeVersionNotFound},
		"DISABLED":      {exists: Yes, keyState: "Disabled", manager: "customer", verdict: Fail, code: "KMSKeyDisabled"},
		"DELETING":      {exists: Yes, keyState: "PendingDeletion", manager: "customer", verdict: Fail, code: "KMSKeyPendingDeletion"},
		"WEST":          {exists: Yes, keyState: "Enabled", manager: "customer", mrk: "replica", verdict: OK},
		"TOKEN":         {exists: Yes, keyState: "Enabled", manager: "aws", verdict: OK},
		"TOKEN_STABLE":  {exists: Yes, version: Yes, verdict: OK},
		"TOKEN_NOLABEL": {exists: Yes, version: No, verdict: Fail, code: CodeVersionNotFound},
		"TOKEN_V9":      {exists: Yes, version: No, verdict: Fail, code: CodeVersionNotFound},
		"CMK":           {exists: Yes, keyState: "Enabled", manager: "customer", verdict: OK},
		"URL":           {exists: Yes, verdict: OK},
		"NO_PARAM":      {exists: No, verdict: Fail, code: "ParameterNotFound"},
		"MALFORMED":     {exists: Unknown, verdict: Fail, code: awsapi.CodeSyntax},
	}
	got := eachRow(t, rep, wants, func(r Row, w want) { compare(t, r, w) })
	var wantOrder []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if _, ok := wants[name]; ok {
			wantOrder = append(wantOrder, name)
		}
	}
	if !slices.Equal(got, wantOrder) {
		t.Errorf("rows %v, want %v", got, wantOrder)
	}
	for _, r := range rep.Rows {
		if r.Var == "DELETING" && (r.KMS == nil || r.KMS.DeletionDate == nil || r.KMS.DeletionDate.Before(time.Now())) {
			t.Errorf("DELETING: no deletion date in the future: %+v", r.KMS)
		}
		if r.Var == "URL" && r.KMS != nil {
			t.Errorf("URL: a String parameter has no KMS key, got %+v", r.KMS)
		}
	}
	if rep.Summary != (Summary{OK: 7, Fail: 11}) || rep.Worst() != Fail {
		t.Errorf("summary %+v, worst %s; want 7 ok, 11 fail", rep.Summary, rep.Worst())
	}

	outs := outputs(t, rep)
	for where, out := range outs {
		if strings.Contains(out, canary) {
			t.Errorf("%s output: value leaked", where)
		}
	}
	if !strings.Contains(outs["table"], "18 references: 7 ok, 0 warning, 11 fail") {
		t.Errorf("table has no summary line:\n%s", outs["table"])
	}
	// The header names the identity STS gives the credentials.
	if cr := rep.Credentials; cr == nil || !strings.HasPrefix(cr.Identity, "arn:aws:") || cr.Account != "123456789012" || cr.Error != "" {
		t.Errorf("credentials %+v; want the identity moto's STS gives", cr)
	} else if want := "identity: " + cr.Identity + " (account 123456789012)\n"; !strings.Contains(outs["table"], want) {
		t.Errorf("table lacks %q:\n%s", want, outs["table"])
	}
	t.Run("json schema", func(t *testing.T) { checkSchema(t, []byte(outs["json"])) })
}

// checkSchema checks the JSON report has exactly the documented fields.
func checkSchema(t *testing.T, data []byte) {
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	keysOf := func(v any) []string {
		m, _ := v.(map[string]any)
		var ks []string
		for k := range m {
			ks = append(ks, k)
		}
		slices.Sort(ks)
		return ks
	}
	top := keysOf(doc)
	if _, ok := doc["credentials"]; ok {
		top = slices.DeleteFunc(top, func(k string) bool { return k == "credentials" })
		for _, k := range keysOf(doc["credentials"]) {
			if !slices.Contains([]string{"source", "identity", "account", "error"}, k) {
				t.Errorf("undocumented credentials field %q", k)
			}
		}
	}
	if want := []string{"rows", "schema", "summary"}; !slices.Equal(top, want) {
		t.Errorf("top-level keys %v, want %v (and credentials)", top, want)
	}
	if doc["schema"] != float64(Schema) {
		t.Errorf("schema %v, want %d", doc["schema"], Schema)
	}
	if got, want := keysOf(doc["summary"]), []string{"fail", "ok", "warning"}; !slices.Equal(got, want) {
		t.Errorf("summary keys %v, want %v", got, want)
	}
	allowed := map[string]bool{"var": true, "ref": true, "parses": true, "service": true, "region": true, "arn": true, "type": true,
		"exists": true, "version": true, "json_key": true, "kms": true, "rotation": true, "unchecked": true, "verdict": true, "problems": true,
		"setting": true, "entry": true, "template": true}
	required := []string{"var", "ref", "parses", "exists", "version", "json_key", "verdict"}
	keyFields := map[string]bool{"id": true, "arn": true, "manager": true, "state": true, "deletion_date": true, "multi_region": true, "rotation": true}
	rows, _ := doc["rows"].([]any)
	if len(rows) == 0 {
		t.Fatal("no rows")
	}
	for _, r := range rows {
		m := r.(map[string]any)
		for k := range m {
			if !allowed[k] {
				t.Errorf("row %v: undocumented field %q", m["var"], k)
			}
		}
		for _, k := range required {
			if _, ok := m[k]; !ok {
				t.Errorf("row %v: no field %q", m["var"], k)
			}
		}
		for _, f := range []string{"exists", "version", "json_key"} {
			if s := m[f]; !slices.Contains([]any{"yes", "no", "unknown", "n/a"}, s) {
				t.Errorf("row %v: %s = %v, not yes, no, unknown or n/a", m["var"], f, s)
			}
		}
		if v := m["verdict"]; !slices.Contains([]any{"ok", "warning", "fail"}, v) {
			t.Errorf("row %v: verdict %v", m["var"], v)
		}
		for _, k := range keysOf(m["kms"]) {
			if !keyFields[k] {
				t.Errorf("row %v: undocumented kms field %q", m["var"], k)
			}
		}
		if km, _ := m["kms"].(map[string]any); km["deletion_date"] != nil {
			d := km["deletion_date"]
			if _, err := time.Parse(time.RFC3339, d.(string)); err != nil {
				t.Errorf("row %v: deletion_date %v is not RFC 3339", m["var"], d)
			}
		}
	}
}

// splitSecrets sends DescribeSecret to one client and GetSecretValue and
// BatchGetSecretValue to another, so that a fault can be injected into
// DescribeSecret alone.
type splitSecrets struct{ describe, get secretsAPI }

func (s splitSecrets) DescribeSecret(ctx context.Context, in *secretsmanager.DescribeSecretInput, o ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	return s.describe.DescribeSecret(ctx, in, o...)
}

func (s splitSecrets) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, o ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	return s.get.GetSecretValue(ctx, in, o...)
}

func (s splitSecrets) BatchGetSecretValue(ctx context.Context, in *secretsmanager.BatchGetSecretValueInput, o ...func(*secretsmanager.Options)) (*secretsmanager.BatchGetSecretValueOutput, error) {
	return s.get.BatchGetSecretValue(ctx, in, o...)
}

func testPermissionErrors(t *testing.T, moto *mototest.Server) {
	proxy := faultproxy.Serve(t, moto.URL, faultproxy.Config{Deny: map[string]faultproxy.Denial{
		"app/db": faultproxy.AccessDenied, // every call naming app/db: DescribeSecret and GetSecretValue
		"plain":  faultproxy.AccessDenied,
	}})
	cfg := moto.Config(t, "us-east-1")
	viaProxy := func(region string) *secretsmanager.Client {
		return secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) {
			o.Region, o.BaseEndpoint, o.RetryMaxAttempts = region, aws.String(proxy.URL()), 1
		})
	}

	c := New(Config{AWS: cfg, Concurrency: 2})
	// app/db: only DescribeSecret goes through the proxy; plain: both calls do.
	c.secrets.New = func(region string) secretsAPI {
		return splitSecrets{describe: viaProxy(region), get: secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) { o.Region = region })}
	}
	rep := c.Check(context.Background(), []string{"DB=secretsmanager:app/db:password::", "TOKEN=ssm:/app/token"}, nil)
	c2 := New(Config{AWS: cfg})
	c2.secrets.New = func(region string) secretsAPI { return viaProxy(region) }
	rep2 := c2.Check(context.Background(), []string{"PLAIN=secretsmanager:plain"}, nil)

	db, token, plain := rep.Rows[0], rep.Rows[1], rep2.Rows[0]
	compare(t, db, want{exists: Yes, jsonKey: Yes, verdict: Warning, code: CodeUnchecked})
	if db.KMS != nil || db.Rotation != nil {
		t.Errorf("DB: key %+v and rotation %+v, want none without DescribeSecret", db.KMS, db.Rotation)
	}
	if len(db.Unchecked) != 1 || !strings.HasPrefix(db.Unchecked[0], "secretsmanager:DescribeSecret (AccessDeniedException)") {
		t.Errorf("DB: unchecked %q, want the denied DescribeSecret", db.Unchecked)
	}
	compare(t, token, want{exists: Yes, keyState: "Enabled", manager: "aws", verdict: OK})
	compare(t, plain, want{exists: Unknown, verdict: Fail, code: "AccessDeniedException"})
	st := proxy.Counts()["secretsmanager.DescribeSecret"]
	if st.Denied != 2 {
		t.Errorf("proxy denied %d DescribeSecret calls, want 2", st.Denied)
	}
}

func TestJudgeRotation(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	tests := []struct {
		name   string
		rot    *Rotation
		window time.Duration
		want   Verdict
		code   string
	}{
		{"off", &Rotation{Enabled: false, NextRotation: at(time.Hour)}, 24 * time.Hour, OK, ""},
		{"due within the TTL", &Rotation{Enabled: true, NextRotation: at(time.Hour)}, 24 * time.Hour, Warning, CodeRotationDue},
		{"due after the TTL", &Rotation{Enabled: true, NextRotation: at(48 * time.Hour)}, 24 * time.Hour, OK, ""},
		{"no TTL given", &Rotation{Enabled: true, NextRotation: at(time.Hour)}, 0, OK, ""},
		{"overdue", &Rotation{Enabled: true, NextRotation: at(-time.Hour)}, 0, Warning, CodeRotationOverdue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &row{Row: Row{Var: "X", Rotation: tt.rot}}
			r.judge(now, tt.window)
			if r.Verdict != tt.want {
				t.Errorf("verdict %s, want %s", r.Verdict, tt.want)
			}
			if tt.code != "" && (len(r.Problems) != 1 || r.Problems[0].Code != tt.code) {
				t.Errorf("problems %+v, want one %s", r.Problems, tt.code)
			}
		})
	}
}

func testPolicy(t *testing.T, moto *mototest.Server, ks keys) {
	c := New(Config{AWS: moto.Config(t, "us-east-1"), Concurrency: 4})
	c.newIdentity = func(region string) identityAPI {
		return stsClient(moto.Config(t, region))
	}
	ctr, err := taskdef.Load(context.Background(), filepath.Join("testdata", "taskdef.json"), "app")
	if err != nil {
		t.Fatal(err)
	}
	reqs, err := reference.Find(ctr.Environ(), nil)
	if err != nil {
		t.Fatal(err)
	}
	p, notes, err := c.Policy(context.Background(), reqs)
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "MISSING") {
		t.Errorf("notes %q, want one about MISSING", notes)
	}
	var out bytes.Buffer
	if err := p.WriteJSON(&out); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "policy.json")
	if *update {
		os.WriteFile(golden, out.Bytes(), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), want) {
		t.Errorf("policy differs from %s (run with -update to accept):\n%s", golden, out.String())
	}

	var doc Policy
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("policy is not JSON: %v", err)
	}
	got := map[string][]string{}
	for _, st := range doc.Statement {
		if st.Effect != "Allow" {
			t.Errorf("%s: effect %s", st.Sid, st.Effect)
		}
		if !slices.IsSorted(st.Resource) {
			t.Errorf("%s: resources not sorted", st.Sid)
		}
		got[st.Sid+" "+st.Action] = st.Resource
		if strings.HasPrefix(st.Action, "kms:") {
			v := st.Condition["StringEquals"]["kms:ViaService"]
			if len(v) == 0 {
				t.Errorf("%s: no kms:ViaService condition", st.Sid)
			}
		}
	}
	const acct = "123456789012"
	// A secret that exists is named by the ARN DescribeSecret returns; a
	// missing one by both forms that could match it (item 1).
	wantRes := map[string][]string{
		"ReadSecrets secretsmanager:GetSecretValue": {
			describedARN(t, moto, "us-east-1", "app/db"),
			"arn:aws:secretsmanager:us-east-1:" + acct + ":secret:missing",
			"arn:aws:secretsmanager:us-east-1:" + acct + ":secret:missing-??????",
			describedARN(t, moto, "us-east-1", "plain"),
			describedARN(t, moto, "us-west-2", "west"),
		},
		// app/db, missing and plain are current secrets in us-east-1: the
		// resolver batches them.
		"BatchReadSecrets secretsmanager:BatchGetSecretValue": {"*"},
		"ReadParameters ssm:GetParameters": {
			"arn:aws:ssm:us-east-1:" + acct + ":parameter/app/cmk",
			"arn:aws:ssm:us-east-1:" + acct + ":parameter/app/token",
			"arn:aws:ssm:us-east-1:" + acct + ":parameter/app/url",
		},
		"DecryptSecrets kms:Decrypt": {
			"arn:aws:kms:us-east-1:" + acct + ":key/" + ks.app,
			"arn:aws:kms:us-west-2:" + acct + ":key/" + ks.mrk,
		},
		"DecryptParameters kms:Decrypt": {
			"arn:aws:kms:us-east-1:" + acct + ":key/" + ks.app,
		},
	}
	for k, w := range wantRes {
		if !slices.Equal(got[k], w) {
			t.Errorf("%s: resources %q, want %q", k, got[k], w)
		}
	}
	if len(got) != len(wantRes) {
		t.Errorf("statements %v, want %d", doc.Statement, len(wantRes))
	}
	for _, st := range doc.Statement {
		want := map[string][]string{
			SidDecryptSecrets:    {"secretsmanager.us-east-1.amazonaws.com", "secretsmanager.us-west-2.amazonaws.com"},
			SidDecryptParameters: {"ssm.us-east-1.amazonaws.com"},
		}[st.Sid]
		if got := st.Condition["StringEquals"]["kms:ViaService"]; want != nil && !slices.Equal(got, want) {
			t.Errorf("%s: kms:ViaService %q, want %q", st.Sid, got, want)
		}
	}

	t.Run("names that look suffixed", func(t *testing.T) { testPolicySuffixLike(t, moto) })

	t.Run("batching off", func(t *testing.T) {
		reqs, _ := reference.Find([]string{"A=secretsmanager:app/db", "B=secretsmanager:plain"}, nil)
		for _, off := range []bool{false, true} {
			c := New(Config{AWS: moto.Config(t, "us-east-1"), Account: acct, NoSecretBatches: off})
			p, _, err := c.Policy(context.Background(), reqs)
			if err != nil {
				t.Fatal(err)
			}
			batch := slices.ContainsFunc(p.Statement, func(st Statement) bool { return st.Sid == SidBatchSecrets })
			if batch == off {
				t.Errorf("NoSecretBatches %v: a BatchReadSecrets statement: %v", off, batch)
			}
		}
	})

	t.Run("--account", func(t *testing.T) {
		c := New(Config{AWS: moto.Config(t, "us-east-1"), Account: "210987654321"})
		c.newIdentity = func(string) identityAPI { t.Fatal("STS called despite Account"); return nil }
		reqs, _ := reference.Find([]string{"A=ssm:/app/url"}, nil)
		p, _, err := c.Policy(context.Background(), reqs)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Statement[0].Resource; !slices.Equal(got, []string{"arn:aws:ssm:us-east-1:210987654321:parameter/app/url"}) {
			t.Errorf("resources %q", got)
		}
	})
}

// testPolicySuffixLike: a secret whose name ends in "-" and six characters
// ("app/my-secret", "app/db-master") gets a resource that matches its real
// ARN, from DescribeSecret; when DescribeSecret cannot tell, the policy
// names both the ARN as written and its "-??????" form (issue 12 item 1).
func testPolicySuffixLike(t *testing.T, moto *mototest.Server) {
	const acct = "123456789012"
	const prefix = "arn:aws:secretsmanager:us-east-1:" + acct + ":secret:"
	mySecret, dbMaster := describedARN(t, moto, "us-east-1", "app/my-secret"), describedARN(t, moto, "us-east-1", "app/db-master")
	environ := []string{
		"MY=secretsmanager:app/my-secret",
		"MASTER=" + prefix + "app/db-master:password::", // a partial ARN
		"GONE=secretsmanager:app/gone-secret",           // missing: no ARN to ask for
	}
	reqs, err := reference.Find(environ, nil)
	if err != nil {
		t.Fatal(err)
	}
	resources := func(c *Checker) []string {
		t.Helper()
		p, _, err := c.Policy(context.Background(), reqs)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Statement) == 0 || p.Statement[0].Sid != SidSecrets {
			t.Fatalf("statements %+v, want %s first", p.Statement, SidSecrets)
		}
		return p.Statement[0].Resource
	}
	matched := func(res []string, arn string) bool {
		return slices.ContainsFunc(res, func(pattern string) bool { return iamMatch(pattern, arn) })
	}

	t.Run("described", func(t *testing.T) {
		got := resources(New(Config{AWS: moto.Config(t, "us-east-1"), Account: acct}))
		want := []string{prefix + "app/gone-secret", prefix + "app/gone-secret-??????", dbMaster, mySecret}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("resources %q, want %q", got, want)
		}
		for _, arn := range []string{mySecret, dbMaster} {
			if !matched(got, arn) {
				t.Errorf("no resource matches %s: the task would get AccessDenied", arn)
			}
		}
	})

	t.Run("DescribeSecret denied", func(t *testing.T) {
		proxy := faultproxy.Serve(t, moto.URL, faultproxy.Config{Deny: map[string]faultproxy.Denial{
			"app/my-secret": faultproxy.AccessDenied, prefix + "app/db-master": faultproxy.AccessDenied}})
		c := New(Config{AWS: moto.Config(t, "us-east-1"), Account: acct})
		c.secrets.New = func(region string) secretsAPI {
			return secretsmanager.NewFromConfig(moto.Config(t, region), func(o *secretsmanager.Options) {
				o.BaseEndpoint, o.RetryMaxAttempts = aws.String(proxy.URL()), 1
			})
		}
		got := resources(c)
		for _, w := range []string{prefix + "app/my-secret", prefix + "app/my-secret-??????", prefix + "app/db-master", prefix + "app/db-master-??????"} {
			if !slices.Contains(got, w) {
				t.Errorf("resources %q lack %s", got, w)
			}
		}
		for _, arn := range []string{mySecret, dbMaster} {
			if !matched(got, arn) {
				t.Errorf("no resource matches %s: the task would get AccessDenied", arn)
			}
		}
		if st := proxy.Counts()["secretsmanager.DescribeSecret"]; st.Denied != 2 {
			t.Errorf("proxy denied %d DescribeSecret calls, want 2", st.Denied)
		}
	})
}

// describedARN is the ARN moto gives the secret name in region.
func describedARN(t *testing.T, moto *mototest.Server, region, name string) string {
	t.Helper()
	sm := secretsmanager.NewFromConfig(moto.Config(t, region))
	out, err := sm.DescribeSecret(context.Background(), &secretsmanager.DescribeSecretInput{SecretId: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.ARN)
}

// iamMatch reports whether an IAM resource pattern matches arn: "?" is
// any one character, "*" any run of characters.
func iamMatch(pattern, arn string) bool {
	if pattern == "" {
		return arn == ""
	}
	switch pattern[0] {
	case '*':
		return iamMatch(pattern[1:], arn) || arn != "" && iamMatch(pattern, arn[1:])
	case '?':
		return arn != "" && iamMatch(pattern[1:], arn[1:])
	}
	return arn != "" && pattern[0] == arn[0] && iamMatch(pattern[1:], arn[1:])
}

// outputs writes rep as a table and as JSON, by name.
func outputs(t *testing.T, rep *Report) map[string]string {
	t.Helper()
	var table, js bytes.Buffer
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	return map[string]string{"table": table.String(), "json": js.String()}
}

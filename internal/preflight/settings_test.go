package preflight

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// TestCheckSettings: with Config.Settings, a container's VALUEFROM_* value
// that the entrypoint would refuse is a failed row, a misspelt name a
// warning with the nearest setting, and neither shows the value; a
// container without references says so (issue 11, item 13).
func TestCheckSettings(t *testing.T) {
	const canary = "canary-setting-8e2b"
	environ := []string{"APP=1", "VALUEFROM_TIMEOUT=" + canary, "VALUEFROM_LOG_LEVEL=warn", "VALUEFROM_TIMOUTT=5s",
		"VALUEFROM_FOO=1", "VALUEFROM_CONCURRENCY=0", "VALUEFROM_SSM_PATHZ=/x"}
	skip := func(name string) bool { return strings.HasPrefix(name, "VALUEFROM_") }
	rep := New(Config{AWS: aws.Config{Region: "us-east-1"}, Settings: true}).Check(context.Background(), environ, skip)
	type want struct {
		verdict    Verdict
		code, hint string
	}
	wants := map[string]want{
		"VALUEFROM_TIMEOUT":     {Fail, CodeInvalidSetting, "exit 2 at start"},
		"VALUEFROM_TIMOUTT":     {Warning, CodeUnknownSetting, "did you mean VALUEFROM_TIMEOUT?"},
		"VALUEFROM_SSM_PATHZ":   {Fail, CodeInvalidSetting, "exit 2 at start"},
		"VALUEFROM_FOO":         {Warning, CodeUnknownSetting, "valuefrom help settings lists them"},
		"VALUEFROM_CONCURRENCY": {Fail, CodeInvalidSetting, "exit 2 at start"},
	}
	order := eachRow(t, rep, wants, func(r Row, w want) {
		if r.Verdict != w.verdict || !r.Setting || len(r.Problems) != 1 || r.Problems[0].Code != w.code || !strings.Contains(r.Problems[0].Hint, w.hint) {
			t.Errorf("%s: %+v; want verdict %s, code %s, a hint with %q", r.Var, r, w.verdict, w.code, w.hint)
		}
	})
	if got := strings.Join(order, " "); got != "VALUEFROM_TIMEOUT VALUEFROM_TIMOUTT VALUEFROM_FOO VALUEFROM_CONCURRENCY VALUEFROM_SSM_PATHZ" {
		t.Errorf("rows in order %s, want the environment's", got)
	}
	if rep.Worst() != Fail || rep.Summary != (Summary{Warning: 2, Fail: 3}) {
		t.Errorf("summary %+v", rep.Summary)
	}
	var table, js bytes.Buffer
	rep.WriteTable(&table)
	rep.WriteJSON(&js)
	for where, out := range map[string]string{"table": table.String(), "json": js.String()} {
		if strings.Contains(out, canary) {
			t.Errorf("%s: a setting's value leaked", where)
		}
	}
	for _, w := range []string{"VALUEFROM_TIMEOUT: fail: InvalidSetting: VALUEFROM_TIMEOUT (--timeout): not a valid duration",
		"VALUEFROM_SSM_PATHZ: fail: InvalidSetting: VALUEFROM_SSM_PATHZ is not a setting: did you mean VALUEFROM_SSM_PATH (--ssm-path)?",
		"0 references, 5 settings: 0 ok, 2 warning, 3 fail", "no references found"} {
		if !strings.Contains(table.String(), w) {
			t.Errorf("table lacks %q:\n%s", w, table.String())
		}
	}
	t.Run("json schema", func(t *testing.T) { checkSchema(t, js.Bytes()) })

	// Without Config.Settings, the settings are not examined.
	if rep := New(Config{AWS: aws.Config{Region: "us-east-1"}}).Check(context.Background(), environ, skip); len(rep.Rows) != 0 {
		t.Errorf("without Config.Settings: %d rows, want none", len(rep.Rows))
	}
}

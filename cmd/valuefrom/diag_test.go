package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

// The tests of what valuefrom says when something is wrong: the cause,
// where, once, in the format asked for (issue 11). In process, with no
// deadline to wait for; the binary's, against failing endpoints:
// test/entrypoint's diag_test.go.

// TestUnknownProfile: an unknown profile is a usage error naming the
// profile and the file.
func TestUnknownProfile(t *testing.T) {
	isolateAWS(t, "AWS_PROFILE=nosuch", "AWS_REGION=us-east-1")
	r := runIn(t, []string{"X=ssm:/x"}, "--", "true")
	if r.code != exitcode.Usage {
		t.Errorf("exit code %d, want %d; stderr:\n%s", r.code, exitcode.Usage, r.stderr)
	}
	for _, want := range []string{`valuefrom: hint: no profile "nosuch" in `, "(AWS_CONFIG_FILE)"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	// And through run's --profile.
	r = runIn(t, []string{"X=ssm:/x"}, "run", "--profile", "other", "true")
	if r.code != exitcode.Usage || !strings.Contains(r.stderr, `no profile "other"`) {
		t.Errorf("run --profile other: exit code %d; stderr:\n%s", r.code, r.stderr)
	}
}

// TestOneHintPerCause: fifty failures of one cause are fifty error lines
// and one hint, in text and in JSON.
func TestOneHintPerCause(t *testing.T) {
	addr := mototest.Closed(t)
	isolateAWS(t, "AWS_ENDPOINT_URL=http://"+addr, "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_REGION=us-east-1")
	env := []string{"VALUEFROM_MAX_ATTEMPTS=1"}
	for i := range 50 {
		env = append(env, fmt.Sprintf("V%02d=ssm:/app/v%02d", i, i))
	}
	r := runIn(t, env, "--", "true")
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	var errs, hints int
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "valuefrom: error: V"):
			errs++
		case strings.HasPrefix(l, "valuefrom: hint: "):
			hints++
		}
	}
	if r.code != exitcode.Resolve || errs != 50 || hints != 1 || lines[len(lines)-1] != "valuefrom: error: 50 references could not be resolved; the command was not started" {
		t.Errorf("exit %d, %d error lines, %d hints; want 50 and 1:\n%s", r.code, errs, hints, r.stderr)
	}

	r = runIn(t, append(env, "VALUEFROM_LOG_FORMAT=json", "VALUEFROM_LOG_LEVEL=warn"), "--", "true")
	errs, hints = 0, 0
	for _, obj := range vfbin.JSONLines(t, r.stderr) {
		switch obj["msg"] {
		case "reference failed":
			errs++
			if _, ok := obj["hint"]; ok {
				t.Errorf("a hint on an error object: %v", obj)
			}
			if _, ok := obj["request_id"]; ok {
				t.Errorf("a request_id where AWS never answered: %v", obj)
			}
		case "hint":
			hints++
			if vars, _ := obj["vars"].([]any); len(vars) != 50 {
				t.Errorf("the hint names %d variables, want 50", len(vars))
			}
		}
	}
	if errs != 50 || hints != 1 {
		t.Errorf("%d error objects, %d hints; want 50 and 1:\n%s", errs, hints, r.stderr)
	}
}

package entrypoint

// The faults of a start: the binary, with its default settings, against
// moto behind faultproxy: throttling, 5xx answers, connection resets,
// denials and KMS failures; and the API calls it makes.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/valuefrom/valuefrom/internal/testkit/faultproxy"
	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

const (
	nParams  = 60
	nSecrets = 40
)

// Canary values: every value holds "canary", and a failure message never
// prints one; it says "value leaked" or counts bytes instead.
func paramValue(i int) string  { return fmt.Sprintf("canary-ssm-%02d-4e1b", i) }
func secretValue(i int) string { return fmt.Sprintf("canary-sm-%02d-9c2d", i) }
func westValue(i int) string   { return fmt.Sprintf("canary-west-%d-11aa", i) }

// seedFaults creates, in moto directly (not through the proxy), nParams
// parameters and nSecrets secrets in us-east-1, two JSON secrets, and
// seven parameters and three secrets in us-west-2.
func seedFaults(t *testing.T, moto *mototest.Server) {
	t.Helper()
	east, west := moto.Seeder(t, "us-east-1"), moto.Seeder(t, "us-west-2")
	for i := range nParams {
		typ := ssmtypes.ParameterTypeString
		if i%2 == 0 {
			typ = ssmtypes.ParameterTypeSecureString
		}
		east.Parameter(fmt.Sprintf("/faults/p%02d", i), typ, paramValue(i))
	}
	// A second version of p00, so that /faults/p00:1 and /faults/p00 differ.
	east.Parameter("/faults/p00", ssmtypes.ParameterTypeSecureString, paramValue(100))
	for i := range nSecrets {
		east.Secret(fmt.Sprintf("faults/s%02d", i), secretValue(i))
	}
	for i := range 2 {
		east.Secret(fmt.Sprintf("faults/j%d", i), fmt.Sprintf(`{"user":"u%d","pass":"%s"}`, i, secretValue(50+i)))
	}
	for i := range 7 {
		west.Parameter(fmt.Sprintf("/faults/w%d", i), ssmtypes.ParameterTypeString, westValue(i))
	}
	for i := range 3 {
		west.Secret(fmt.Sprintf("faults/w%d", i), westValue(10+i))
	}
}

// hundred returns the 100 references of the fault tests (60 SSM, 40
// Secrets Manager) as environment entries, and the values they resolve to.
func hundred() (env []string, want map[string]string) {
	want = map[string]string{}
	for i := range nParams {
		k := fmt.Sprintf("P%02d", i)
		env = append(env, fmt.Sprintf("%s=ssm:/faults/p%02d", k, i))
		want[k] = paramValue(i)
	}
	want["P00"] = paramValue(100) // p00's latest version
	for i := range nSecrets {
		k := fmt.Sprintf("S%02d", i)
		env = append(env, fmt.Sprintf("%s=secretsmanager:faults/s%02d", k, i))
		want[k] = secretValue(i)
	}
	return env, want
}

// failures parses valuefrom's stderr into the code and hint of each failed
// variable.
func failures(stderr string) map[string][2]string {
	errLine := regexp.MustCompile(`^valuefrom: error: ([A-Z0-9_]+): \S+: (\S+?)(?: \(request id [^)]*\))?:`)
	out := map[string][2]string{}
	last := ""
	for line := range strings.SplitSeq(stderr, "\n") {
		if m := errLine.FindStringSubmatch(line); m != nil {
			last = m[1]
			out[last] = [2]string{m[2], ""}
			continue
		}
		if h, ok := strings.CutPrefix(line, "valuefrom: hint: "); ok && last != "" {
			f := out[last]
			f[1] = h
			out[last] = f
			last = ""
		}
	}
	return out
}

func TestFaults(t *testing.T) {
	vfbin.Need(t)
	moto := mototest.Start(t)
	seedFaults(t, moto)
	t.Run("ThrottlingErrorsAndResets", func(t *testing.T) { testThrottlingErrorsAndResets(t, moto) })
	t.Run("EveryCallFails", func(t *testing.T) { testEveryCallFails(t, moto) })
	t.Run("DeniedAndKMS", func(t *testing.T) { testDeniedAndKMS(t, moto) })
	t.Run("MinimumCalls", func(t *testing.T) { testMinimumCalls(t, moto) })
}

// 30% throttling, 5% 5xx and 2% connection resets on every operation: 50
// runs with the default settings all exec with the full environment.
func testThrottlingErrorsAndResets(t *testing.T, moto *mototest.Server) {
	p := faultproxy.Serve(t, moto.URL, faultproxy.Config{
		Seed:    3,
		Default: faultproxy.Rule{Throttle: 0.30, Internal: 0.025, Unavailable: 0.025, Reset: 0.02},
	})
	refs, want := hundred()
	env := append(mototest.EndpointEnv(p.URL()), refs...)

	const runs, parallel = 50, 10
	results := make([]vfbin.Result, runs)
	var wg sync.WaitGroup
	sem := make(chan struct{}, parallel)
	for i := range runs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = vfbin.RunEnv(t, env, "--", "env", "-0")
		})
	}
	wg.Wait()

	var slowest time.Duration
	for i, r := range results {
		label := fmt.Sprintf("run %d", i+1)
		vfbin.NoLeak(t, label, r, "canary")
		if r.Code != 0 {
			t.Errorf("%s: exit code %d, want 0; failures: %v", label, r.Code, failures(r.Stderr))
			continue
		}
		vfbin.CheckEnviron(t, label, r.Stdout, want)
		slowest = max(slowest, r.Took)
	}
	var total faultproxy.Stats
	for _, s := range p.Counts() {
		total.Requests += s.Requests
		total.Forwarded += s.Forwarded
		total.Throttled += s.Throttled
		total.Internal += s.Internal
		total.Unavailable += s.Unavailable
		total.Resets += s.Resets
	}
	t.Logf("%d runs, slowest %v; proxy: %+v", runs, slowest.Round(time.Millisecond), total)
	// The faults must really have happened, in every kind.
	if total.Throttled == 0 || total.Internal == 0 || total.Unavailable == 0 || total.Resets == 0 {
		t.Errorf("not every kind of fault was injected: %+v", total)
	}
	// Each run needs at least ceil(60/10) = 6 GetParameters and
	// ceil(40/20) = 2 BatchGetSecretValue.
	if total.Forwarded < runs*8 {
		t.Errorf("%d requests reached moto, fewer than the %d the runs need", total.Forwarded, runs*8)
	}
}

// Every call fails: valuefrom gives up within VALUEFROM_TIMEOUT plus one
// second, names every variable, and never starts the command.
func testEveryCallFails(t *testing.T, moto *mototest.Server) {
	p := faultproxy.Serve(t, moto.URL, faultproxy.Config{
		Seed:    5,
		Default: faultproxy.Rule{Throttle: 0.4, Internal: 0.2, Unavailable: 0.2, Reset: 0.2},
	})
	refs, want := hundred()
	const timeout = 3 * time.Second
	env := append(mototest.EndpointEnv(p.URL()), refs...)
	env = append(env, "VALUEFROM_TIMEOUT="+timeout.String())
	marker := filepath.Join(t.TempDir(), "child-ran")
	r := vfbin.RunEnv(t, env, "--", "/bin/sh", "-c", "touch "+marker)

	if r.Code != 4 {
		t.Errorf("exit code %d, want 4 (a reference could not be resolved)", r.Code)
	}
	if r.Took > timeout+time.Second {
		t.Errorf("took %v, more than VALUEFROM_TIMEOUT %v plus 1s", r.Took.Round(time.Millisecond), timeout)
	}
	if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the command ran (stat: %v)", err)
	}
	vfbin.NoLeak(t, "all failing", r, "canary")
	failed := failures(r.Stderr)
	for k := range want {
		if _, ok := failed[k]; !ok {
			t.Errorf("%s is not named among the failures", k)
		}
	}
	if len(failed) != len(want) {
		t.Errorf("%d variables named as failing, want %d", len(failed), len(want))
	}
	if !strings.Contains(r.Stderr, fmt.Sprintf("%d references could not be resolved; the command was not started", len(want))) {
		t.Errorf("no summary line saying the command was not started; stderr:\n%s", r.Stderr)
	}
	t.Logf("gave up after %v; proxy: %v", r.Took.Round(time.Millisecond), p.Counts())
}

// Denials and KMS failures, on secrets and on parameters: each names its
// variable, and the hint names the permission or the key's state.
func testDeniedAndKMS(t *testing.T, moto *mototest.Server) {
	p := faultproxy.Serve(t, moto.URL, faultproxy.Config{
		Seed: 7,
		Deny: map[string]faultproxy.Denial{
			"faults/s00":  faultproxy.AccessDenied,
			"faults/s01":  faultproxy.KMSAccessDenied,
			"faults/s02":  faultproxy.KMSInvalidState,
			"faults/s03":  faultproxy.DecryptionFailure,
			"/faults/p10": faultproxy.AccessDenied,
			"/faults/p11": faultproxy.KMSAccessDenied,
			"/faults/p12": faultproxy.KMSInvalidState,
		},
	})
	refs, _ := hundred()
	env := append(mototest.EndpointEnv(p.URL()), refs...)
	marker := filepath.Join(t.TempDir(), "child-ran")
	r := vfbin.RunEnv(t, env, "--", "/bin/sh", "-c", "touch "+marker)
	if r.Code != 4 {
		t.Errorf("exit code %d, want 4", r.Code)
	}
	if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the command ran (stat: %v)", err)
	}
	vfbin.NoLeak(t, "denials", r, "canary")

	tests := []struct {
		v, code string
		hint    []string // every one must be in the hint
	}{
		{"S00", "AccessDeniedException", []string{"secretsmanager:GetSecretValue", "faults/s00"}},
		{"S01", "AccessDeniedException", []string{"kms:Decrypt", "faults/s01"}},
		{"S02", "KMSInvalidStateException", []string{"disabled or pending deletion", "enable-key"}},
		{"S03", "DecryptionFailure", []string{"KMS key", "kms:Decrypt"}},
		{"P10", "AccessDeniedException", []string{"ssm:GetParameters", "faults/p10"}},
		{"P11", "AccessDeniedException", []string{"kms:Decrypt", "faults/p11"}},
		{"P12", "KMSInvalidStateException", []string{"disabled or pending deletion", "enable-key"}},
	}
	failed := failures(r.Stderr)
	for _, tt := range tests {
		f, ok := failed[tt.v]
		if !ok {
			t.Errorf("%s: not named among the failures", tt.v)
			continue
		}
		if f[0] != tt.code {
			t.Errorf("%s: code %s, want %s", tt.v, f[0], tt.code)
		}
		for _, h := range tt.hint {
			if !strings.Contains(f[1], h) {
				t.Errorf("%s: hint %q does not mention %q", tt.v, f[1], h)
			}
		}
	}
	var names []string
	for k := range failed {
		names = append(names, k)
	}
	slices.Sort(names)
	if len(failed) != len(tests) {
		t.Errorf("failing variables %v, want exactly the %d denied", names, len(tests))
	}
}

// The API calls are exactly the minimum: per region, ceil(distinct SSM
// names / 10) GetParameters and ceil(distinct current secrets / 20)
// BatchGetSecretValue, whatever the duplicates.
func testMinimumCalls(t *testing.T, moto *mototest.Server) {
	p := faultproxy.Serve(t, moto.URL, faultproxy.Config{Seed: 11})
	refs, want := hundred()
	// Every reference again under another name.
	for _, kv := range slices.Clone(refs) {
		k, v, _ := strings.Cut(kv, "=")
		refs = append(refs, k+"_AGAIN="+v)
		want[k+"_AGAIN"] = want[k]
	}
	// An older version of p00: a 61st distinct (name, selector) in
	// us-east-1, which cannot share a call with p00.
	refs = append(refs, "P00_V1=ssm:/faults/p00:1")
	want["P00_V1"] = paramValue(0)
	// Three keys of one JSON secret, and the whole of another: two secrets.
	refs = append(refs,
		"J0_USER=secretsmanager:faults/j0:user::", "J0_PASS=secretsmanager:faults/j0:pass::", "J0_PASS2=secretsmanager:faults/j0:pass::",
		"J1=secretsmanager:faults/j1")
	want["J0_USER"], want["J0_PASS"], want["J0_PASS2"] = "u0", secretValue(50), secretValue(50)
	want["J1"] = fmt.Sprintf(`{"user":"u1","pass":"%s"}`, secretValue(51))
	// us-west-2, by ARN, each twice: 7 names, 3 secrets.
	for i := range 7 {
		for _, sfx := range []string{"", "_AGAIN"} {
			k := fmt.Sprintf("WP%d%s", i, sfx)
			refs = append(refs, fmt.Sprintf("%s=arn:aws:ssm:us-west-2:%s:parameter/faults/w%d", k, mototest.Account, i))
			want[k] = westValue(i)
		}
	}
	for i := range 3 {
		for _, sfx := range []string{"", "_AGAIN"} {
			k := fmt.Sprintf("WS%d%s", i, sfx)
			refs = append(refs, fmt.Sprintf("%s=arn:aws:secretsmanager:us-west-2:%s:secret:faults/w%d", k, mototest.Account, i))
			want[k] = westValue(10 + i)
		}
	}

	r := vfbin.RunEnv(t, append(mototest.EndpointEnv(p.URL()), refs...), "--", "env", "-0")
	vfbin.NoLeak(t, "minimum calls", r, "canary")
	if r.Code != 0 {
		t.Fatalf("exit code %d, want 0; failures: %v", r.Code, failures(r.Stderr))
	}
	vfbin.CheckEnviron(t, "minimum calls", r.Stdout, want)

	ceil := func(n, per int) int { return (n + per - 1) / per }
	wantCalls := map[string]int{
		"AmazonSSM.GetParameters":            ceil(nParams+1, 10) + ceil(7, 10),  // 7 + 1
		"secretsmanager.BatchGetSecretValue": ceil(nSecrets+2, 20) + ceil(3, 20), // 3 + 1
	}
	got := p.Counts()
	for op, n := range wantCalls {
		if got[op].Requests != n {
			t.Errorf("%s: %d calls, want exactly %d", op, got[op].Requests, n)
		}
	}
	for op, s := range got {
		if _, ok := wantCalls[op]; !ok {
			t.Errorf("unexpected operation %s: %d calls", op, s.Requests)
		}
	}
	t.Logf("%d references, calls: %v", len(refs), got)
}

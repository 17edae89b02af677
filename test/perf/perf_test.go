// Package perf measures the valuefrom binary: startup time and API calls
// against the parallel stub and moto (TestStartup), startup, peak RSS,
// calls and connections against a floor program over HTTP and TLS
// (TestFloor), binary sizes
// (TestBinarySize), and fleet starts against an SSM token bucket
// (TestFleet). It prints tables and asserts nothing about speed, so it is
// off in the normal test run: set VALUEFROM_PERF=1 to run it. See
// BENCHMARKS.md for the commands and the figures. The one assertion,
// TestBinarySizeBudget, runs in the normal test run too.
package perf

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/valuefrom/valuefrom/internal/testkit/awsstub"
	"github.com/valuefrom/valuefrom/internal/testkit/faultproxy"
	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	if os.Getenv("VALUEFROM_PERF") == "" {
		fmt.Println("test/perf: benchmarks skipped; set VALUEFROM_PERF=1 to run them and the fleet simulation")
		flag.Set("test.run", "^TestBinarySizeBudget$")
	}
	vfbin.Main(m, &binary)
}

func awsEnv(endpoint string) []string {
	return append([]string{"PATH=/usr/bin:/bin"}, mototest.EndpointEnv(endpoint)...)
}

// A run is one valuefrom process that execs `date +%s%N`, which prints
// the moment the child started.
type run struct {
	code    int
	startup time.Duration // from just before fork to the child's first instruction, about
	childAt time.Time     // when the child started, by its own clock reading
	stderr  string
}

// runOnce runs valuefrom with env and flags, exec'ing date. (It reads no
// peak RSS: as a child of the test process, valuefrom would report at
// least the test's own peak; TestFloor measures it through launch.)
func runOnce(t *testing.T, env []string, flags ...string) (run, error) {
	args := append(slices.Clone(flags), "--", "date", "+%s%N")
	start := time.Now()
	res := vfbin.Run(t, binary, env, args...)
	if res.Code < 0 {
		return run{}, errors.New("valuefrom did not run")
	}
	r := run{code: res.Code, stderr: res.Stderr}
	if r.code == 0 {
		ns, err := strconv.ParseInt(strings.TrimSpace(res.Stdout), 10, 64)
		if err != nil {
			return r, fmt.Errorf("child's output is not a time: %v", err)
		}
		r.childAt = time.Unix(0, ns)
		r.startup = r.childAt.Sub(start)
	}
	return r, nil
}

// refs returns n references, two thirds SSM and one third Secrets Manager
// (10: 7+3, 50: 34+16, 150: 100+50).
func refs(n int) (env []string, nSSM, nSM int) {
	nSM = n / 3
	nSSM = n - nSM
	for i := range nSSM {
		env = append(env, fmt.Sprintf("P%03d=ssm:/bench/p%03d", i, i))
	}
	for i := range nSM {
		env = append(env, fmt.Sprintf("S%03d=secretsmanager:bench/s%03d", i, i))
	}
	return env, nSSM, nSM
}

func fillStub(s *awsstub.Server, nSSM, nSM int) {
	for i := range nSSM {
		s.PutParameter(fmt.Sprintf("/bench/p%03d", i), "SecureString", fmt.Sprintf("value-p%03d", i))
	}
	for i := range nSM {
		s.PutSecretString(fmt.Sprintf("bench/s%03d", i), fmt.Sprintf("value-s%03d", i))
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// backend is something that answers the three calls, counting them.
type backend struct {
	name  string
	url   string
	calls func() int
	reset func()
}

func stubBackend(t *testing.T, delay time.Duration) backend {
	t.Helper()
	s := awsstub.Serve(t, awsstub.Options{Delay: delay})
	fillStub(s, 100, 50)
	return backend{
		name: fmt.Sprintf("stub %v", delay),
		url:  s.URL(),
		calls: func() int {
			n := 0
			for _, c := range s.Counts() {
				n += c
			}
			return n
		},
		reset: s.ResetCounts,
	}
}

// proxied puts a faultproxy that adds latency in front of backend u.
func proxied(t *testing.T, name string, u string, latency time.Duration) backend {
	t.Helper()
	p := faultproxy.Serve(t, u, faultproxy.Config{Default: faultproxy.Rule{Latency: latency}})
	return backend{
		name: fmt.Sprintf("%s %v", name, latency),
		url:  p.URL(),
		calls: func() int {
			n := 0
			for _, c := range p.Counts() {
				n += c.Requests
			}
			return n
		},
		reset: p.Reset,
	}
}

// TestStartup prints startup time and API calls for 10, 50 and
// 150 references, against the parallel stub and moto at 0 and 20 ms,
// for valuefrom with defaults, valuefrom --concurrency 1, and a shell loop
// of aws CLI calls.
func TestStartup(t *testing.T) {
	vfbin.Need(t)
	reps := envInt("VALUEFROM_PERF_REPS", 7)
	var backends []backend
	for _, d := range []time.Duration{0, 20 * time.Millisecond} {
		backends = append(backends, stubBackend(t, d))
	}
	if os.Getenv("VALUEFROM_PERF_MOTO") != "" {
		moto := startMoto(t)
		for _, d := range []time.Duration{0, 20 * time.Millisecond} {
			backends = append(backends, proxied(t, "moto", moto, d))
		}
	}
	cli := os.Getenv("VALUEFROM_PERF_CLI") != ""

	tw := tabwriter.NewWriter(os.Stdout, 0, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "backend\trefs (ssm+sm)\tmode\tstartup p50\tmin\tmax\tAPI calls\t\n")
	for _, b := range backends {
		for _, n := range []int{10, 50, 150} {
			r, nSSM, nSM := refs(n)
			env := append(awsEnv(b.url), r...)
			for _, mode := range []struct {
				name  string
				flags []string
			}{{"defaults", nil}, {"--concurrency 1", []string{"--concurrency", "1"}}} {
				var times []time.Duration
				calls := 0
				for range reps {
					b.reset()
					res, err := runOnce(t, env, mode.flags...)
					if err != nil {
						t.Fatal(err)
					}
					if res.code != 0 {
						t.Fatalf("%s, %d refs, %s: exit %d\n%s", b.name, n, mode.name, res.code, res.stderr)
					}
					times = append(times, res.startup)
					calls = b.calls()
				}
				fmt.Fprintf(tw, "%s\t%d (%d+%d)\t%s\t%v\t%v\t%v\t%d\t\n", b.name, n, nSSM, nSM, mode.name,
					ms(median(times)), ms(slices.Min(times)), ms(slices.Max(times)), calls)
			}
			if cli {
				b.reset()
				took, err := cliLoop(b.url, n)
				if err != nil {
					t.Fatal(err)
				}
				fmt.Fprintf(tw, "%s\t%d (%d+%d)\t%s\t%v\t\t\t%d\t\n", b.name, n, nSSM, nSM, "aws CLI loop", ms(took), b.calls())
			}
		}
	}
	tw.Flush()
}

// cliLoop runs what people write without a tool: one aws CLI call per
// variable, then exec. It returns the time to the exec.
func cliLoop(endpoint string, n int) (time.Duration, error) {
	r, _, _ := refs(n)
	var sh strings.Builder
	sh.WriteString("set -e\n")
	for _, kv := range r {
		k, v, _ := strings.Cut(kv, "=")
		if name, ok := strings.CutPrefix(v, "ssm:"); ok {
			fmt.Fprintf(&sh, "%s=\"$(aws --endpoint-url \"$EP\" ssm get-parameters --names %s --with-decryption --query 'Parameters[0].Value' --output text)\"; export %s\n", k, name, k)
		} else {
			id := strings.TrimPrefix(v, "secretsmanager:")
			fmt.Fprintf(&sh, "%s=\"$(aws --endpoint-url \"$EP\" secretsmanager get-secret-value --secret-id %s --query SecretString --output text)\"; export %s\n", k, id, k)
		}
	}
	sh.WriteString("exec date +%s%N\n")
	cmd := exec.Command("/bin/sh", "-c", sh.String())
	// aws CLI v1 ignores AWS_ENDPOINT_URL; the assignment apart from the
	// export lets set -e see a failed call.
	// The CLI is a Python program (here behind pyenv's shims), which
	// needs the caller's PATH and HOME to start.
	cmd.Env = append(awsEnv(endpoint), "PATH="+os.Getenv("PATH"), "HOME="+os.Getenv("HOME"), "EP="+endpoint)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("aws CLI loop: %v\n%s", err, stderr.String())
	}
	ns, err := strconv.ParseInt(strings.TrimSpace(stdout.String()), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("aws CLI loop output: %v", err)
	}
	return time.Unix(0, ns).Sub(start), nil
}

// TestBinarySize prints the stripped size of the release build.
func TestBinarySize(t *testing.T) {
	vfbin.Need(t)
	for _, arch := range []string{"amd64", "arm64"} {
		bin, err := vfbin.BuildFor(t.TempDir(), "linux", arch)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(bin)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("linux/%s stripped (-trimpath -ldflags '-s -w'): %.2f MiB (%d bytes)\n", arch, float64(fi.Size())/(1<<20), fi.Size())
	}
}

// TestFleet starts N valuefrom processes at once, each with 30 SSM and 10
// Secrets Manager references, against faultproxy in front of the parallel
// stub: 20 ms latency on every call, and a token bucket of 40 requests/s
// (burst 40) shared by all SSM calls, as SSM's default GetParameters quota,
// and one of 100/s for BatchGetSecretValue, its quota.
// "unbatched" asks for 30 versions of one parameter, which no call may
// combine, so each costs a call of its own: what batching buys.
func TestFleet(t *testing.T) {
	sizes := []int{50, 200}
	if s := os.Getenv("VALUEFROM_FLEET_N"); s != "" {
		sizes = nil
		for f := range strings.SplitSeq(s, ",") {
			n, err := strconv.Atoi(f)
			if err != nil {
				t.Fatal(err)
			}
			sizes = append(sizes, n)
		}
	}
	modes := []string{"standard", "adaptive"}
	if s := os.Getenv("VALUEFROM_FLEET_MODES"); s != "" {
		modes = strings.Split(s, ",")
	}
	extra := strings.Fields(os.Getenv("VALUEFROM_FLEET_ENV")) // e.g. VALUEFROM_MAX_ATTEMPTS=20

	vfbin.Need(t)
	stub := awsstub.Serve(t, awsstub.Options{})
	for i := range 30 {
		stub.PutParameter(fmt.Sprintf("/fleet/p%02d", i), "SecureString", fmt.Sprintf("value-p%02d", i))
		stub.PutParameter("/fleet/versions", "SecureString", fmt.Sprintf("value-v%02d", i+1))
	}
	for i := range 10 {
		stub.PutSecretString(fmt.Sprintf("fleet/s%02d", i), fmt.Sprintf("value-s%02d", i))
	}
	var batched, unbatched []string
	for i := range 30 {
		batched = append(batched, fmt.Sprintf("P%02d=ssm:/fleet/p%02d", i, i))
		unbatched = append(unbatched, fmt.Sprintf("P%02d=ssm:/fleet/versions:%d", i, i+1))
	}
	for i := range 10 {
		s := fmt.Sprintf("S%02d=secretsmanager:fleet/s%02d", i, i)
		batched, unbatched = append(batched, s), append(unbatched, s)
	}

	tw := tabwriter.NewWriter(os.Stdout, 0, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "N\tSSM calls\tretry mode\texec'd\tfirst exec\tp50 exec\tlast exec\tthrottled\tSSM requests\tGetSecretValue\tBatchGetSecretValue (throttled)\tmin SSM time\t\n")
	for _, n := range sizes {
		for _, batch := range []bool{true, false} {
			for _, mode := range modes {
				r := fleet(t, stub, n, batch, mode, batched, unbatched, extra)
				calls := "batched"
				per := 3
				if !batch {
					calls, per = "one name each", 30
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%d/%d\t%v\t%v\t%v\t%d\t%d\t%d\t%d (%d)\t%v\t\n", n, calls, mode, r.ok, n,
					ms(r.first), ms(r.p50), ms(r.last), r.ssm.RateLimited, r.ssm.Requests, r.sm.Requests, r.batch.Requests, r.batch.RateLimited,
					time.Duration(float64(max(n*per-40, 0))/40*float64(time.Second)).Round(100*time.Millisecond))
				tw.Flush()
				if r.ok != n {
					t.Logf("N=%d %s %s: %d failed; first failure:\n%s", n, calls, mode, n-r.ok, r.firstErr)
				}
			}
		}
	}
}

type fleetResult struct {
	ok               int
	first, p50, last time.Duration
	ssm, sm, batch   faultproxy.Stats
	firstErr         string
}

func fleet(t *testing.T, stub *awsstub.Server, n int, batch bool, mode string, batched, unbatched, extra []string) fleetResult {
	t.Helper()
	p := faultproxy.Serve(t, stub.URL(), faultproxy.Config{
		Seed:    1,
		Default: faultproxy.Rule{Latency: 20 * time.Millisecond},
		Ops: map[string]faultproxy.Rule{
			"AmazonSSM.GetParameters": {Latency: 20 * time.Millisecond, Bucket: "ssm"},
			// BatchGetSecretValue's quota is 100 calls/s.
			faultproxy.OpBatchGetSecretValue: {Latency: 20 * time.Millisecond, Bucket: "batch"},
		},
		Buckets: map[string]faultproxy.Bucket{"ssm": {Rate: 40, Burst: 40}, "batch": {Rate: 100, Burst: 100}},
	})
	refs := batched
	if !batch {
		refs = unbatched
	}
	env := append(awsEnv(p.URL()), refs...)
	env = append(env, "AWS_RETRY_MODE="+mode)
	env = append(env, extra...)

	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		execAt  []time.Time
		res     fleetResult
		started = make(chan struct{})
	)
	for range n {
		wg.Go(func() {
			<-started
			r, err := runOnce(t, env)
			mu.Lock()
			defer mu.Unlock()
			if err != nil || r.code != 0 {
				if res.firstErr == "" {
					res.firstErr = fmt.Sprint(err, r.stderr)
				}
				return
			}
			execAt = append(execAt, r.childAt)
		})
	}
	start := time.Now()
	close(started)
	wg.Wait()
	var execs []time.Duration
	for _, at := range execAt {
		execs = append(execs, at.Sub(start))
	}
	res.ok = len(execs)
	if len(execs) > 0 {
		res.first, res.p50, res.last = slices.Min(execs), median(execs), slices.Max(execs)
	}
	c := p.Counts()
	res.ssm, res.sm, res.batch = c["AmazonSSM.GetParameters"], c["secretsmanager.GetSecretValue"], c[faultproxy.OpBatchGetSecretValue]
	return res
}

func ms(d time.Duration) string {
	if d >= 10*time.Second {
		return d.Round(100 * time.Millisecond).String()
	}
	return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// startMoto runs moto_server on a free loopback port, filled with the
// benchmark's 100 parameters and 50 secrets, and returns its URL.
func startMoto(t *testing.T) string {
	t.Helper()
	m := mototest.Start(t)
	east := m.Seeder(t, "us-east-1")
	for i := range 100 {
		east.Parameter(fmt.Sprintf("/bench/p%03d", i), "SecureString", fmt.Sprintf("value-p%03d", i))
	}
	for i := range 50 {
		east.Secret(fmt.Sprintf("bench/s%03d", i), fmt.Sprintf("value-s%03d", i))
	}
	return m.URL
}

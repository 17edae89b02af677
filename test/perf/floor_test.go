package perf

import (
	"crypto/tls"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/valuefrom/valuefrom/internal/testkit/awsstub"
)

// TestFloor runs valuefrom and the floor program (test/perf/floor: no
// SDK, every call at once on its own connection, then exec) against the
// parallel stub answering after 20 ms, at 0, 10, 50, 150 and 500
// references, alternating the programs run by run, in four cases:
//   - HTTP: plain HTTP;
//   - TLS: the system's CA bundle and the stub's certificate in one file,
//     SSL_CERT_FILE;
//   - TLS bundle, 1.0 CPU and 0.25 CPU: the same file, SSL_CERT_DIR an
//     empty directory (an image with the bundle alone, as scratch and
//     distroless images are), each run in a new cgroup with a CPU quota
//     of a whole core, and of a quarter of one (Fargate's smallest task),
//     made for the run and removed after it; where no cgroup can be made
//     (not root), these rows are skipped with a message.
//
// Each run goes through test/perf/launch, which reads the peak RSS and the
// CPU time (user+system) of its child from wait4 (see its doc comment),
// and execs date, whose clock reading ends the wall time. It prints, per
// row, the median wall and CPU time of a start and their ranges, their
// ratios to each floor's median, the median and largest peak RSS, and the
// API calls and TLS or TCP connections of one start.
//
//	VALUEFROM_PERF=1 go test -count=1 -v -run TestFloor ./test/perf
//
// VALUEFROM_BENCH_BINARIES=name=path,name=path compares other builds of
// valuefrom (a before and an after) in the same alternation;
// VALUEFROM_BENCH_REFS=0,150 narrows the sizes; VALUEFROM_BENCH_CASES
// narrows the cases (http, tls, tls-1.0, tls-0.25); VALUEFROM_PERF_REPS
// sets the runs per program and row (default 15); VALUEFROM_BENCH_ENV adds
// settings (comma-separated) to valuefrom's runs only.
func TestFloor(t *testing.T) {
	dir := t.TempDir()
	launch := buildTool(t, dir, "launch", true)
	programs := benchPrograms(t, dir, true, benchBinaries(t))
	sizes := benchSizes(t, []int{0, 10, 50, 150, 500})
	cases := benchCases(t, dir)
	reps := envInt("VALUEFROM_PERF_REPS", 15)

	base := launchRun(t, []string{launch, "true"}, nil)
	fmt.Printf("load average before: %s", loadavg())
	fmt.Printf("launch's own peak RSS (the least it can report): %.1f MiB\n", kib(base.maxRSS))
	tw := tabwriter.NewWriter(os.Stdout, 0, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "case\trefs (ssm+sm)\tprogram\twall p50\tmin-max\tCPU p50\tmin-max\twall/floor\twall/batch\tCPU/floor\tCPU/batch\tpeak RSS p50\tmax\tAPI calls\tconnections (resumed)\t\n")
	backends := map[string]*benchBackend{}
	for _, c := range cases {
		if c.skip != "" {
			fmt.Printf("case %s skipped: %s\n", c.name, c.skip)
			continue
		}
		b := backends[c.scheme]
		if b == nil {
			b = newBenchBackend(t, c.scheme, dir)
			backends[c.scheme] = b
		}
		for _, n := range sizes {
			r, nSSM, nSM := refs(n)
			env := append(awsEnv(b.url), r...)
			env = append(env, b.env...)
			env = append(env, c.env...)
			results := make([][]launched, len(programs))
			for rep := range reps {
				for i := range programs {
					// Alternate, and rotate who goes first.
					j := (i + rep) % len(programs)
					p := programs[j]
					b.reset()
					run := func(argv []string) {
						argv = append(append(argv, p.argv...), "date", "+%s%N")
						res := launchRun(t, argv, append(slices.Clone(env), p.env...))
						res.calls, res.conns, res.resumed = b.calls(), int(b.conns.Load()), int(b.resumed.Load())
						results[j] = append(results[j], res)
					}
					if c.quota == nil {
						run([]string{launch})
					} else {
						c.quota.in(t, func(cgroup string) { run([]string{launch, "-cgroup", cgroup}) })
					}
				}
			}
			wall := func(l launched) time.Duration { return l.startup }
			cpu := func(l launched) time.Duration { return l.cpu }
			floorWall, batchWall := medianOf(results[0], wall), medianOf(results[1], wall)
			floorCPU, batchCPU := medianOf(results[0], cpu), medianOf(results[1], cpu)
			for i, p := range programs {
				rs := results[i]
				walls, cpus := collect(rs, wall), collect(rs, cpu)
				rss := collect(rs, func(l launched) int64 { return l.maxRSS })
				w, u := median(walls), median(cpus)
				last := rs[len(rs)-1]
				fmt.Fprintf(tw, "%s\t%d (%d+%d)\t%s\t%s\t%s-%s\t%s\t%s-%s\t%.2fx\t%.2fx\t%.2fx\t%.2fx\t%.1f MiB\t%.1f MiB\t%d\t%d (%d)\t\n",
					c.name, n, nSSM, nSM, p.name,
					ms(w), ms(slices.Min(walls)), ms(slices.Max(walls)),
					ms(u), ms(slices.Min(cpus)), ms(slices.Max(cpus)),
					ratio(w, floorWall), ratio(w, batchWall), ratio(u, floorCPU), ratio(u, batchCPU),
					kib(medianInt(rss)), kib(slices.Max(rss)), last.calls, last.conns, last.resumed)
			}
			tw.Flush()
		}
	}
	fmt.Printf("load average after: %s", loadavg())
}

// A benchCase is a row group of TestFloor: a transport, the roots'
// settings and a CPU quota.
type benchCase struct {
	name   string
	key    string // for VALUEFROM_BENCH_CASES
	scheme string
	env    []string  // added to every program's run
	quota  *cpuQuota // each run in a cgroup of its own with this quota
	skip   string    // why the case cannot run here
}

// benchCases returns the cases VALUEFROM_BENCH_CASES asks for (all by
// default), with the CPU quotas this machine lets the test set.
func benchCases(t *testing.T, dir string) []benchCase {
	empty := filepath.Join(dir, "no-certs")
	if err := os.Mkdir(empty, 0o700); err != nil {
		t.Fatal(err)
	}
	bundleOnly := []string{"SSL_CERT_DIR=" + empty}
	all := []struct {
		benchCase
		cores float64
	}{
		{benchCase{name: "HTTP", key: "http", scheme: "http"}, 0},
		{benchCase{name: "TLS", key: "tls", scheme: "https"}, 0},
		{benchCase{name: "TLS bundle, 1.0 CPU", key: "tls-1.0", scheme: "https", env: bundleOnly}, 1},
		{benchCase{name: "TLS bundle, 0.25 CPU", key: "tls-0.25", scheme: "https", env: bundleOnly}, 0.25},
	}
	want := list(os.Getenv("VALUEFROM_BENCH_CASES"))
	var cases []benchCase
	for _, c := range all {
		if len(want) > 0 && !slices.Contains(want, c.key) {
			continue
		}
		if c.cores > 0 {
			q, err := newCPUQuota(c.cores)
			if err != nil {
				c.skip = fmt.Sprintf("no cgroup for a CPU quota of %.2f core: %v", c.cores, err)
			}
			c.quota = q
		}
		cases = append(cases, c.benchCase)
	}
	if len(cases) == 0 {
		t.Fatalf("VALUEFROM_BENCH_CASES=%q names none of http, tls, tls-1.0, tls-0.25", os.Getenv("VALUEFROM_BENCH_CASES"))
	}
	return cases
}

// list splits a comma-separated setting.
func list(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' })
}

func ratio(d, of time.Duration) float64 { return float64(d) / float64(of) }

// benchPrograms returns the contenders: the floor program (built
// stripped or not), as it makes calls and as it batches secrets, and each
// valuefrom of binaries.
func benchPrograms(t *testing.T, dir string, strip bool, binaries []struct{ name, path string }) []program {
	floor := buildTool(t, dir, "floor", strip)
	programs := []program{
		{name: "floor", argv: []string{floor}},
		{name: "floor batch", argv: []string{floor}, env: []string{"FLOOR_SECRET_BATCH=20"}},
	}
	for _, b := range binaries {
		programs = append(programs, program{name: b.name, argv: []string{b.path, "--"}, env: list(os.Getenv("VALUEFROM_BENCH_ENV"))})
	}
	return programs
}

// benchSizes returns the numbers of references VALUEFROM_BENCH_REFS
// names, or def.
func benchSizes(t *testing.T, def []int) []int {
	s := os.Getenv("VALUEFROM_BENCH_REFS")
	if s == "" {
		return def
	}
	var sizes []int
	for _, f := range list(s) {
		n, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("VALUEFROM_BENCH_REFS: %v", err)
		}
		sizes = append(sizes, n)
	}
	return sizes
}

// A program is one contender: argv runs it, with env added to the run's.
type program struct {
	name string
	argv []string
	env  []string
}

// launched is one run through launch.
type launched struct {
	startup      time.Duration // from launch's fork to date's clock reading
	cpu          time.Duration // user+system, of the program and date
	maxRSS       int64         // KiB
	calls, conns int
	resumed      int // of the TLS connections, those that resumed a session
}

var launchLine = regexp.MustCompile(`launch: start_ns=(\d+) maxrss_kib=(\d+) utime_us=(\d+) stime_us=(\d+) code=(\d+)\n$`)

func launchRun(t *testing.T, argv, env []string) launched {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, stderr.String())
	}
	m := launchLine.FindStringSubmatch(stderr.String())
	if m == nil || m[5] != "0" {
		t.Fatalf("%s failed:\n%s", strings.Join(argv, " "), stderr.String())
	}
	start, _ := strconv.ParseInt(m[1], 10, 64)
	rss, _ := strconv.ParseInt(m[2], 10, 64)
	user, _ := strconv.ParseInt(m[3], 10, 64)
	sys, _ := strconv.ParseInt(m[4], 10, 64)
	l := launched{maxRSS: rss, cpu: time.Duration(user+sys) * time.Microsecond}
	if out := strings.TrimSpace(stdout.String()); out != "" {
		ns, err := strconv.ParseInt(out, 10, 64)
		if err != nil {
			t.Fatalf("date's output is not a time: %q", out)
		}
		l.startup = time.Duration(ns - start)
	}
	return l
}

// systemBundle is Debian's CA bundle (package ca-certificates).
const systemBundle = "/etc/ssl/certs/ca-certificates.crt"

// benchBackend is the stub over HTTP or TLS, counting the connections it
// accepts.
type benchBackend struct {
	url     string
	env     []string // SSL_CERT_FILE for TLS
	stub    *awsstub.Server
	conns   atomic.Int64
	resumed atomic.Int64 // TLS connections that resumed a session
}

func newBenchBackend(t *testing.T, scheme, dir string) *benchBackend {
	b := &benchBackend{stub: awsstub.New(awsstub.Options{Delay: 20 * time.Millisecond})}
	fillStub(b.stub, 334, 166)
	srv := httptest.NewUnstartedServer(b.stub)
	var active sync.Map // the connections seen active: a TLS one has its handshake done
	srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			b.conns.Add(1)
		case http.StateActive:
			if tc, ok := c.(*tls.Conn); ok && tc.ConnectionState().DidResume {
				if _, seen := active.LoadOrStore(c, true); !seen {
					b.resumed.Add(1)
				}
			}
		case http.StateClosed, http.StateHijacked:
			active.Delete(c)
		}
	}
	if scheme == "https" {
		srv.StartTLS()
		// The system's CA bundle and the stub's certificate: as on a
		// host or image with CA certificates, the roots to load are the
		// system's, and both programs load this one file.
		system, err := os.ReadFile(systemBundle)
		if err != nil {
			t.Fatalf("TLS runs need the system's CA bundle: %v", err)
		}
		ca := filepath.Join(dir, "ca.pem")
		block := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
		if err := os.WriteFile(ca, append(system, block...), 0o600); err != nil {
			t.Fatal(err)
		}
		b.env = []string{"SSL_CERT_FILE=" + ca}
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	b.url = srv.URL
	return b
}

func (b *benchBackend) reset() {
	b.stub.ResetCounts()
	b.conns.Store(0)
	b.resumed.Store(0)
}

func (b *benchBackend) calls() int {
	n := 0
	for _, c := range b.stub.Counts() {
		n += c
	}
	return n
}

// benchBinaries returns the valuefrom builds to measure: the one vfbin
// built, or those VALUEFROM_BENCH_BINARIES names.
func benchBinaries(t *testing.T) []struct{ name, path string } {
	var out []struct{ name, path string }
	for _, f := range list(os.Getenv("VALUEFROM_BENCH_BINARIES")) {
		name, path, ok := strings.Cut(f, "=")
		if !ok {
			t.Fatalf("VALUEFROM_BENCH_BINARIES: %q is not name=path", f)
		}
		out = append(out, struct{ name, path string }{name, path})
	}
	if out == nil {
		out = append(out, struct{ name, path string }{"valuefrom", binary})
	}
	return out
}

// buildTool builds test/perf/NAME (or, with a path, that package) as the
// release build is built: static, trimmed, stripped (unless strip is
// false: valgrind needs the symbols), without net/http's HTTP/2.
func buildTool(t *testing.T, dir, name string, strip bool) string {
	t.Helper()
	bin := filepath.Join(dir, filepath.Base(name))
	ldflags := "-s -w"
	if !strip {
		ldflags = ""
	}
	cmd := exec.Command("go", "build", "-trimpath", "-tags", "nethttpomithttp2", "-ldflags", ldflags, "-o", bin, "./"+name)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v\n%s", name, err, out)
	}
	return bin
}

func collect[T any](ls []launched, f func(launched) T) []T {
	var out []T
	for _, l := range ls {
		out = append(out, f(l))
	}
	return out
}

func medianOf(ls []launched, f func(launched) time.Duration) time.Duration {
	return median(collect(ls, f))
}

func medianInt(xs []int64) int64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func kib(k int64) float64 { return float64(k) / 1024 }

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown\n"
	}
	return string(b)
}

package perf

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"
)

// TestInstructions counts the instructions a start executes, up to its
// exec, with valgrind's callgrind (every thread, user space only): the
// floor programs and valuefrom, in TestFloor's realistic case (the system
// bundle and the stub's certificate, SSL_CERT_DIR empty; no CPU quota,
// which does not change a count) at 0 and 150 references. Unlike times,
// counts hardly move with the machine's load (a few tenths of a percent,
// from the scheduling of goroutines), so before and after of a change
// compare on a shared machine:
//
//	VALUEFROM_PERF=1 go test -count=1 -v -run TestInstructions ./test/perf
//	VALUEFROM_BENCH_INSTRUCTIONS=1 scripts/bench REV [REV...]
//
// It needs valgrind, and binaries with their symbol table (callgrind
// stops counting at syscall.Exec by its name): it builds the floor and this
// checkout's valuefrom so; scripts/bench builds each REV so when
// VALUEFROM_BENCH_INSTRUCTIONS is set. VALUEFROM_BENCH_REFS and
// VALUEFROM_PERF_REPS (default 3) apply.
func TestInstructions(t *testing.T) {
	if _, err := exec.LookPath("valgrind"); err != nil {
		t.Skip("valgrind is not installed (apt-get install valgrind)")
	}
	dir := t.TempDir()
	binaries := benchBinaries(t)
	if os.Getenv("VALUEFROM_BENCH_BINARIES") == "" {
		binaries = []struct{ name, path string }{{"valuefrom", buildTool(t, dir, "../../cmd/valuefrom", false)}}
	}
	programs := benchPrograms(t, dir, false, binaries)
	sizes := benchSizes(t, []int{0, 150})
	reps := envInt("VALUEFROM_PERF_REPS", 3)
	b := newBenchBackend(t, "https", dir)
	var realistic benchCase
	for _, c := range benchCases(t, dir) {
		if c.key == "tls-1.0" {
			realistic = c
		}
	}

	fmt.Printf("load average before: %s", loadavg())
	tw := tabwriter.NewWriter(os.Stdout, 0, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "refs (ssm+sm)\tprogram\tinstructions p50\tmin-max\t/floor\t/floor batch\t\n")
	for _, n := range sizes {
		r, nSSM, nSM := refs(n)
		env := slices.Concat(awsEnv(b.url), r, b.env, realistic.env, []string{"GODEBUG=asyncpreemptoff=1"}) // valgrind and Go's preemption signals do not mix
		counts := make([][]int64, len(programs))
		for range reps {
			for i, p := range programs {
				counts[i] = append(counts[i], instructions(t, dir, p, env))
			}
		}
		floor, batch := medianInt(counts[0]), medianInt(counts[1])
		for i, p := range programs {
			c := medianInt(counts[i])
			fmt.Fprintf(tw, "%d (%d+%d)\t%s\t%.1fM\t%.1fM-%.1fM\t%.3fx\t%.3fx\t\n", n, nSSM, nSM, p.name,
				mega(c), mega(slices.Min(counts[i])), mega(slices.Max(counts[i])), float64(c)/float64(floor), float64(c)/float64(batch))
		}
		tw.Flush()
	}
	fmt.Printf("load average after: %s", loadavg())
}

// instructions runs p once under callgrind, exec'ing true, and returns
// the instructions it counted up to the exec.
func instructions(t *testing.T, dir string, p program, env []string) int64 {
	t.Helper()
	out := filepath.Join(dir, "callgrind.out")
	argv := append([]string{"--tool=callgrind", "--dump-before=syscall.Exec", "--callgrind-out-file=" + out}, p.argv...)
	cmd := exec.Command("valgrind", append(argv, "true")...)
	cmd.Env = append(slices.Clone(env), p.env...)
	if o, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s under callgrind: %v\n%s", p.name, err, o)
	}
	defer func() {
		files, _ := filepath.Glob(out + "*")
		for _, f := range files {
			os.Remove(f)
		}
	}()
	// The dump made at syscall.Exec: its summary line is every
	// thread's total.
	files, _ := filepath.Glob(out + "*")
	var total int64
	for _, f := range files {
		total += summary(t, f)
	}
	if total == 0 {
		t.Fatalf("%s: callgrind counted nothing before exec (is the binary stripped?)", p.name)
	}
	return total
}

func summary(t *testing.T, file string) int64 {
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "summary: "); ok {
			n, err := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			return n
		}
	}
	return 0
}

func mega(n int64) float64 { return float64(n) / 1e6 }

package lambda

import (
	"flag"
	"os"
	"slices"
	"testing"
	"time"
)

var coldStartRuns = flag.Int("coldstart.runs", 5, "TestColdStart: cold starts with valuefrom and without, alternating; set, it runs the test")

// TestColdStart measures what valuefrom adds to a cold start: the first
// invoke of a new emulator, with valuefrom in front of the runtime (five
// references: three secrets in one BatchGetSecretValue call, two
// parameters in one GetParameters call, against moto on loopback) and
// with the runtime alone, alternating, and logs the medians of the
// invoke's round trip and of the init duration the emulator reports.
// Every invoke must answer with the runtime's answer. A measurement, it
// runs only when asked, with -coldstart.runs or VALUEFROM_PERF=1 (five
// runs), as docs/lambda.md runs it:
//
//	go test ./test/lambda -run TestColdStart -v -coldstart.runs 25
func TestColdStart(t *testing.T) {
	if os.Getenv("VALUEFROM_PERF") == "" && !flagSet("coldstart.runs") {
		t.Skip("a measurement: set -coldstart.runs N, or VALUEFROM_PERF=1, to run it")
	}
	l := newLab(t)
	refs := append(references, "SESSION_KEY=secretsmanager:prod/session", "QUEUE_URL=ssm:/prod/queue-url")
	type sample struct{ invoke, init []time.Duration }
	var with, without sample
	for range *coldStartRuns {
		for _, v := range []bool{true, false} {
			bootstrap, s := []string{l.runtime}, &without
			if v {
				bootstrap, s = []string{l.valuefrom, "--", l.runtime}, &with
			}
			em := startEmulator(t, l.tools, l.env(t, l.moto.URL, refs...), nil, bootstrap...)
			inv := em.invoke(t, event{Env: []string{"SESSION_KEY"}})
			a := inv.decode(t, em)
			if _, ok := a.Env["SESSION_KEY"]; !ok {
				t.Fatalf("SESSION_KEY did not reach the runtime")
			}
			s.invoke = append(s.invoke, inv.took)
			s.init = append(s.init, em.initDuration(t))
			em.proc.Kill()
		}
	}
	t.Logf("%d cold starts each, medians: first invoke %v with valuefrom, %v without (+%v); init %v with, %v without (+%v)",
		*coldStartRuns, median(with.invoke), median(without.invoke), median(with.invoke)-median(without.invoke),
		median(with.init), median(without.init), median(with.init)-median(without.init))
}

// flagSet reports whether the flag name was given on the command line.
func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2].Round(100 * time.Microsecond)
	}
	return ((s[len(s)/2-1] + s[len(s)/2]) / 2).Round(100 * time.Microsecond)
}

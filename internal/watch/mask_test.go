package watch

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// Failure messages here name values by their place, never show them.

// fakeRun is a start of the program whose group the test ends.
type fakeRun struct{ gone bool }

func (r *fakeRun) Gone() bool { return r.gone }

// maskedLine writes line through the first output of m, flushes, and
// returns what came out.
func maskedLine(m *masking, out *bytes.Buffer, line string) string {
	out.Reset()
	m.writers[0].Write([]byte(line))
	m.writers[0].Flush()
	return out.String()
}

// hide replaces each of values in s with VALUE<i>, for a failure message.
func hide(s string, values ...string) string {
	for i, v := range values {
		s = strings.ReplaceAll(s, v, fmt.Sprintf("VALUE%d", i))
	}
	return s
}

func newTestMasking(t *testing.T, values map[string]string) (*masking, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	var out, log bytes.Buffer
	m := newMasking(slog.New(slog.NewTextHandler(&log, nil)), result(values), &out)
	m.started(&fakeRun{})
	return m, &out, &log
}

// TestMaskingHandsHeldBytesOver: a value split across writes is masked
// even when the values change between its halves, and the new value is
// masked.
func TestMaskingHandsHeldBytesOver(t *testing.T) {
	const old, next = "canary-old-value-1", "canary-new-value-2"
	m, out, _ := newTestMasking(t, map[string]string{"VAL": old})
	w := m.writers[0]
	w.Write([]byte("a=" + old[:7]))
	m.give(result(map[string]string{"VAL": next}), false)
	w.Write([]byte(old[7:] + " b=" + next[:3]))
	w.Write([]byte(next[3:] + "\n"))
	w.Flush()
	if got, want := out.String(), "a=[valuefrom:VAL:previous] b=[valuefrom:VAL]\n"; got != want {
		t.Errorf("output %q, want %q", hide(got, old, next), want)
	}
}

// TestMaskingSignalModeKeepsEveryValue (issue 20): a running program keeps
// the environment it started with and may have read every file written
// since: after two changes its first value is still masked, as is the
// value of a variable that went away.
func TestMaskingSignalModeKeepsEveryValue(t *testing.T) {
	a, b, c, g := "canary-rot-aaaa", "canary-rot-bbbb", "canary-rot-cccc", "canary-gone-gggg"
	m, out, _ := newTestMasking(t, map[string]string{"ROT": a, "GONE": g})
	m.give(result(map[string]string{"ROT": b}), false)
	m.give(result(map[string]string{"ROT": c}), false)
	m.prune()
	line := "ROT=" + a + " " + b + " " + c + " GONE=" + g + "\n"
	want := "ROT=[valuefrom:ROT:previous] [valuefrom:ROT:previous] [valuefrom:ROT] GONE=[valuefrom:GONE:previous]\n"
	if got := maskedLine(m, out, line); got != want {
		t.Errorf("output %q, want %q", hide(got, a, b, c, g), want)
	}
}

// TestMaskingRestartUntilGroupGone (issue 20): after a restart the old
// program's values stay masked until its process group is gone, and are
// then forgotten; the new program's are masked throughout.
func TestMaskingRestartUntilGroupGone(t *testing.T) {
	a, b := "canary-first-aaaa", "canary-second-bbbb"
	var out, log bytes.Buffer
	m := newMasking(slog.New(slog.NewTextHandler(&log, nil)), result(map[string]string{"V": a}), &out)
	first := &fakeRun{}
	m.started(first)
	next := result(map[string]string{"V": b})
	m.give(next, false) // the files are rewritten while the first stops
	m.give(next, true)
	m.started(&fakeRun{})
	m.prune()
	if got, want := maskedLine(m, &out, a+" "+b), "[valuefrom:V:previous] [valuefrom:V]"; got != want {
		t.Errorf("with the first program's group alive: %q, want %q", hide(got, a, b), want)
	}
	first.gone = true
	m.prune()
	if got, want := maskedLine(m, &out, a+" "+b), a+" [valuefrom:V]"; got != want {
		t.Errorf("with the first program's group gone: %q, want %q", hide(got, a, b), hide(want, a, b))
	}
}

// TestMaskingBound: with an old program's group that never ends, changes
// are given until what masking remembers would pass its bound; then a
// change does not fit, a warning says so once, and every value given is
// still masked.
func TestMaskingBound(t *testing.T) {
	value := func(i int) string { return fmt.Sprintf("canary-%06d-", i) + strings.Repeat("x", 64<<10-14) }
	m, out, log := newTestMasking(t, map[string]string{"V": value(0)})
	given := 1
	for ; given < 100; given++ {
		next := result(map[string]string{"V": value(given)})
		if !m.fits(next) {
			break
		}
		m.give(next, false)
		m.give(next, true)
		m.started(&fakeRun{}) // never gone
		m.prune()
	}
	// 64 KiB values; 1 MiB remembered besides the current one: 16 old.
	if given != 17 {
		t.Errorf("%d values given before the bound, want 17", given)
	}
	for range 3 {
		if m.fits(result(map[string]string{"V": value(given)})) {
			t.Fatal("a change past the bound fits")
		}
	}
	if n := strings.Count(log.String(), "level=WARN"); n != 1 {
		t.Errorf("%d warnings, want one:\n%s", n, log.String())
	}
	for i := range given {
		if got := maskedLine(m, out, value(i)); !strings.HasPrefix(got, "[valuefrom:V") {
			t.Errorf("value %d is not masked", i)
		}
	}
}

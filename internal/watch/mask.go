package watch

import (
	"io"
	"log/slog"
	"maps"
	"slices"
	"sync"

	"github.com/valuefrom/valuefrom/internal/mask"
	"github.com/valuefrom/valuefrom/internal/pipeline"
)

// MaskMemory is the least that masking may remember of values that are no
// longer current, in bytes of the values: it remembers up to MaskMemory,
// or four times the current values' bytes when that is more, so that a
// large set of values can still rotate while an old program's group
// lingers.
const MaskMemory = 1 << 20

// masking masks the program's output with every value that a process
// still alive was given: the program's current values, the values a
// running program was given before (signal mode keeps its environment,
// and it may have read every _FILE value written since it started), and
// in restart mode the values of an old program until it and every process
// of its process group are gone. It remembers them up to a bound (see
// fits), and never forgets a value a live process holds: a change that
// would pass the bound is not acted on.
type masking struct {
	log     *slog.Logger
	writers []*maskedWriter
	gens    []*generation // oldest first; the last is the current program's
	current map[string]string
	warned  bool // that a change passed the bound
}

// A generation is one start of the program and what it was given.
type generation struct {
	run   liveness                       // nil until the program started
	given map[string]map[string]struct{} // variable -> every value it was given
}

// liveness tells whether a start of the program, and the processes of its
// process group, are all gone (exec.Run).
type liveness interface{ Gone() bool }

func newMasking(log *slog.Logger, res *pipeline.Result, outputs ...io.Writer) *masking {
	m := &masking{log: log}
	m.give(res, true)
	for _, w := range outputs {
		mw := &maskedWriter{w: w}
		mw.to = &redirect{w: w}
		mw.m = mask.NewValues(mw.to, m.values())
		m.writers = append(m.writers, mw)
	}
	return m
}

// give makes res's values the current ones, given to a new start of the
// program (a new generation) or to the running one, and masks them from
// now on.
func (m *masking) give(res *pipeline.Result, start bool) {
	if start || len(m.gens) == 0 {
		m.gens = append(m.gens, &generation{given: make(map[string]map[string]struct{})})
	}
	g := m.gens[len(m.gens)-1]
	m.current = res.Set()
	for name, v := range m.current {
		if g.given[name] == nil {
			g.given[name] = make(map[string]struct{})
		}
		g.given[name][v] = struct{}{}
	}
	m.update()
}

// started attaches run, the start of the program just made, to the
// newest generation: until then, that generation never counts as gone.
func (m *masking) started(run liveness) {
	m.gens[len(m.gens)-1].run = run
}

// prune forgets the generations, but the current one, whose program and
// process group are gone, and masks with what is left.
func (m *masking) prune() {
	live := m.gens[:0:0]
	for i, g := range m.gens {
		if i == len(m.gens)-1 || g.run == nil || !g.run.Gone() {
			live = append(live, g)
		}
	}
	if len(live) == len(m.gens) {
		return
	}
	m.gens = live
	m.update()
}

// fits reports whether res can be given: whether what masking remembers
// besides res's values stays within the bound, MaskMemory or four times
// res's values, whichever is more. The first time it does not, it warns.
func (m *masking) fits(res *pipeline.Result) bool {
	next := res.Set()
	current, bound := make(map[string]bool, len(next)), 0
	for _, v := range next {
		current[v] = true
		bound += len(v)
	}
	bound = max(MaskMemory, 4*bound)
	remembered := make(map[string]bool)
	size := 0
	for _, g := range m.gens {
		for _, vs := range g.given {
			for v := range vs {
				if !current[v] && !remembered[v] {
					remembered[v] = true
					size += len(v)
				}
			}
		}
	}
	if size <= bound {
		return true
	}
	if !m.warned {
		m.warned = true
		m.log.Warn("watch: masking would remember more than its bound of the values that running processes were given; the change is not acted on: the program keeps its values, every value stays masked, and the change is tried again at the next interval",
			"remembered_bytes", size, "bound_bytes", bound, "generations", len(m.gens))
	}
	return false
}

// values returns what to mask with: the current values under their
// variables' names, and every other value a live generation was given
// under NAME:previous.
func (m *masking) values() []mask.Value {
	var vs []mask.Value
	current := make(map[string]bool, len(m.current))
	for _, name := range slices.Sorted(maps.Keys(m.current)) {
		vs = append(vs, mask.Value{Name: name, Value: m.current[name]})
		current[m.current[name]] = true
	}
	seen := make(map[string]bool)
	for i := len(m.gens) - 1; i >= 0; i-- { // the newest first
		g := m.gens[i]
		for _, name := range slices.Sorted(maps.Keys(g.given)) {
			for _, v := range slices.Sorted(maps.Keys(g.given[name])) {
				if !current[v] && !seen[v] {
					seen[v] = true
					vs = append(vs, mask.Value{Name: name + ":previous", Value: v})
				}
			}
		}
	}
	return vs
}

// update masks each output with values from now on. What the old mask
// held back, the start of a value split over writes, goes through the new
// one, so that the value is still replaced when the rest of it comes.
func (m *masking) update() {
	values := m.values()
	for _, w := range m.writers {
		w.update(values)
	}
}

// flush writes what each output's mask holds back.
func (m *masking) flush() {
	for _, w := range m.writers {
		w.Flush()
	}
}

// A maskedWriter is one output of the program, masked. It is safe for
// concurrent use.
type maskedWriter struct {
	mu sync.Mutex
	w  io.Writer
	to *redirect // where m writes
	m  *mask.Writer
}

// A redirect is a writer whose destination can change: a mask.Writer's
// held-back bytes go to the next mask.Writer when the values change.
type redirect struct{ w io.Writer }

func (r *redirect) Write(p []byte) (int, error) { return r.w.Write(p) }

func (m *maskedWriter) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.m.Write(p)
}

// Flush writes what is held back.
func (m *maskedWriter) Flush() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.m.Flush()
}

// update masks with values from now on, handing what the old mask holds
// back to the new one.
func (m *maskedWriter) update(values []mask.Value) {
	m.mu.Lock()
	defer m.mu.Unlock()
	next := &redirect{w: m.w}
	nm := mask.NewValues(next, values)
	m.to.w = nm
	m.m.Flush()
	m.m, m.to = nm, next
}

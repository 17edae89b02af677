package watch

import (
	"io"
	"sync"

	"github.com/valuefrom/valuefrom/internal/mask"
	"github.com/valuefrom/valuefrom/internal/pipeline"
)

// A maskedWriter masks the program's output with the values it was given
// and, after a change, with the new ones and the ones they replaced. It is
// safe for concurrent use.
type maskedWriter struct {
	mu     sync.Mutex
	w      io.Writer
	to     *redirect // where m writes
	m      *mask.Writer
	values map[string]string
}

// A redirect is a writer whose destination can change: a mask.Writer's
// held-back bytes go to the next mask.Writer when the values change.
type redirect struct{ w io.Writer }

func (r *redirect) Write(p []byte) (int, error) { return r.w.Write(p) }

func newMaskedWriter(w io.Writer, res *pipeline.Result) *maskedWriter {
	m := &maskedWriter{w: w, values: res.Set()}
	m.to = &redirect{w: w}
	m.m = mask.New(m.to, m.values)
	return m
}

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

// update masks res's values from now on, and the values they replace as
// NAME:previous. What the old mask held back, the start of a value split
// over writes, goes through the new one, so that the value is still
// replaced when the rest of it comes.
func (m *maskedWriter) update(res *pipeline.Result) {
	m.mu.Lock()
	defer m.mu.Unlock()
	values := res.Set()
	all := make(map[string]string, 2*len(values))
	for name, v := range values {
		all[name] = v
		if old, ok := m.values[name]; ok && old != v {
			all[name+":previous"] = old
		}
	}
	next := &redirect{w: m.w}
	nm := mask.New(next, all)
	m.to.w = nm
	m.m.Flush()
	m.m, m.to, m.values = nm, next, values
}

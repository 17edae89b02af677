// Package watch is valuefrom's supervise mode and render --watch: after
// the first resolve it resolves the same references again on an interval
// and acts when a value changes.
//
// A cycle makes as many API calls as the start did: each resolves with a
// resolver of its own, so no memo hides a change. A change is a value that
// differs, byte for byte, from the one the program was given; the values
// are held in memory only, and only their variables, references and
// version ids are logged. A reference with no stage reads AWSCURRENT, so a
// version that rotation stages as AWSPENDING is no change until it becomes
// AWSCURRENT. A failed cycle changes nothing: it is logged once per
// distinct problem, with its hint, and tried again at the next interval.
package watch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/valuefrom/valuefrom/exec"
	"github.com/valuefrom/valuefrom/internal/awsapi"
	"github.com/valuefrom/valuefrom/internal/gc"
	"github.com/valuefrom/valuefrom/internal/pipeline"
	"github.com/valuefrom/valuefrom/resolver"
)

// Jitter is how far, as a fraction of the interval, each wait may be
// shorter or longer, so that a fleet does not poll in step.
const Jitter = 0.1

// next returns the wait before the next cycle: interval ±10%.
func next(interval time.Duration) time.Duration {
	return time.Duration(float64(interval) * (1 - Jitter + 2*Jitter*rand.Float64()))
}

// splay returns a random delay from 0 to max.
func splay(max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(max) + 1))
}

// A tracker holds the values last acted on and tells what a cycle changed.
type tracker struct {
	log     *slog.Logger
	current map[string]resolver.Value // by variable
	warned  map[string]bool           // the problems logged since the last good cycle
	// writeWarned are the write failures logged since the last good write.
	writeWarned map[string]bool
}

func newTracker(log *slog.Logger, res *pipeline.Result) *tracker {
	t := &tracker{log: log, warned: make(map[string]bool), writeWarned: make(map[string]bool)}
	t.accept(res)
	return t
}

// accept makes res's values the current ones.
func (t *tracker) accept(res *pipeline.Result) {
	t.current = make(map[string]resolver.Value, len(res.Values))
	for _, v := range res.Values {
		t.current[v.Var] = v
	}
}

// changed returns the variables whose values in res differ from the
// current ones, and those res no longer has, and logs each with its reference and versions.
func (t *tracker) changed(res *pipeline.Result) []string {
	if len(t.warned) > 0 {
		t.log.Info("watch: resolving works again")
		clear(t.warned)
	}
	var names []string
	for _, v := range res.Values {
		old := t.current[v.Var]
		if bytes.Equal(old.Value, v.Value) {
			continue
		}
		names = append(names, v.Var)
		t.log.Info("watch: value changed", "var", v.Var, "ref", v.Ref.String(), "old_version", old.VersionID, "new_version", v.VersionID)
	}
	// A variable gone from res (a parameter deleted under a path, a key
	// removed from a JSON secret) is a change too.
	in := make(map[string]bool, len(res.Values))
	for _, v := range res.Values {
		in[v.Var] = true
	}
	var gone []string
	for name := range t.current {
		if !in[name] {
			gone = append(gone, name)
		}
	}
	slices.Sort(gone)
	for _, name := range gone {
		old := t.current[name]
		t.log.Info("watch: variable removed", "var", name, "ref", old.Ref.String(), "old_version", old.VersionID)
	}
	return append(names, gone...)
}

// failed logs a failed cycle, once per distinct problem: per variable and
// error code, or per class of a failure before any call.
func (t *tracker) failed(err error) {
	const keep = "; the program keeps its values; retrying at the next interval"
	var errs resolver.Errors
	if errors.As(err, &errs) {
		for _, e := range errs {
			key := e.Var + "\x00" + e.Code
			if t.warned[key] {
				continue
			}
			t.warned[key] = true
			t.log.Warn("watch: a reference could not be resolved"+keep, "var", e.Var, "ref", e.Ref.String(),
				"code", e.Code, "error", e.Error(), "hint", e.Hint)
		}
		return
	}
	key := fmt.Sprint(awsapi.Classify(err))
	if t.warned[key] {
		return
	}
	t.warned[key] = true
	t.log.Warn("watch: the references could not be resolved"+keep, "error", err)
}

// writeFailed logs msg for a failed write, once per distinct problem
// (see writeProblem) until a write succeeds.
func (t *tracker) writeFailed(msg string, err error) {
	key := writeProblem(err)
	if t.writeWarned[key] {
		return
	}
	t.writeWarned[key] = true
	t.log.Warn(msg, "error", err)
}

// wrote notes a good write, and logs the recovery after failed ones.
func (t *tracker) wrote() {
	if len(t.writeWarned) > 0 {
		t.log.Info("watch: writing works again")
		clear(t.writeWarned)
	}
}

// writeProblem returns what tells one write failure from another: the
// variable it names and the kind of error, the errno, or else its text.
// A path is left out, as a temporary file's name differs every time.
func writeProblem(err error) string {
	var name, kind string
	if fe := (*exec.FileError)(nil); errors.As(err, &fe) {
		name = fe.Var
	}
	if errno := syscall.Errno(0); errors.As(err, &errno) {
		kind = "errno " + strconv.Itoa(int(errno))
	} else {
		kind = err.Error()
	}
	return name + "\x00" + kind
}

// Poll resolves sess's references every interval (±10%) until ctx is
// done, and calls write with each result that changes a value of first,
// the result that was acted on last. A failed write is logged as a
// warning, once per distinct problem, and the change tried again at the
// next cycle. Poll returns nil
// when ctx is done. A nil sess, no references, just waits for ctx.
func Poll(ctx context.Context, log *slog.Logger, sess *pipeline.Session, first *pipeline.Result, interval time.Duration, write func(*pipeline.Result) error) error {
	gc.Release() // from here on a long-running process
	if sess == nil {
		log.Info("watch: no references to watch")
		<-ctx.Done()
		return nil
	}
	t := newTracker(log, first)
	timer := time.NewTimer(next(interval))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
		res, err := sess.Resolve(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			t.failed(err)
		case len(t.changed(res)) > 0:
			if err := write(res); err != nil {
				t.writeFailed("watch: the change could not be written; retrying at the next interval", err)
				break
			}
			t.wrote()
			t.accept(res)
			log.Info("watch: changes written")
		}
		timer.Reset(next(interval))
	}
}

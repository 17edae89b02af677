package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/valuefrom/valuefrom/internal/awsapi"
	"github.com/valuefrom/valuefrom/resolver"
)

// A slow start says why it is slow: when resolving takes longer than
// progressDelay, a progress line is logged at info level, then one every
// progressEvery, until it ends. Five seconds is long past a normal start
// (tens of milliseconds a call), and short enough that an operator
// watching the task's log learns within seconds why it is not up yet.
// Tests shorten both.
var (
	progressDelay = 5 * time.Second
	progressEvery = 5 * time.Second
)

// reportProgress logs, at level, a progress line of r's pending
// references, from progressDelay on, every progressEvery, until stop is
// called: how many references wait, in which services and regions, the
// attempts this resolve made, where the last went, and the last error an
// attempt met. A tracker serves a session's every resolve, so what it had
// seen before this one is left out. stop returns once no more lines will
// be logged.
func reportProgress(log *slog.Logger, level slog.Level, r *resolver.Resolver, tracker *awsapi.Tracker, total int, start time.Time) (stop func()) {
	base := tracker.Progress()
	return tick(func() {
		p := tracker.Progress()
		p.Attempts -= base.Attempts
		if p.Attempts == 0 {
			p.LastError, p.Endpoint = "", ""
		}
		logProgress(log, level, r.Pending(), p, total, start)
	})
}

// tick calls fn from progressDelay on, every progressEvery, until stop is
// called; stop returns once fn will not be called again.
func tick(fn func()) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTimer(progressDelay)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fn()
				t.Reset(progressEvery)
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}

func logProgress(log *slog.Logger, level slog.Level, pending []resolver.Pending, p awsapi.Progress, total int, start time.Time) {
	n := 0
	where := make([]string, len(pending))
	for i, w := range pending {
		n += w.Vars
		where[i] = fmt.Sprintf("%s %s: %d", w.Service, w.Region, w.Vars)
	}
	attrs := []any{"pending", n, "references", total, "waiting_on", strings.Join(where, ", "),
		"attempts", p.Attempts, "elapsed_ms", time.Since(start).Milliseconds()}
	if p.Endpoint != "" {
		attrs = append(attrs, "endpoint", p.Endpoint)
	}
	if p.LastError != "" {
		attrs = append(attrs, "last_error", p.LastError)
	}
	log.Log(context.Background(), level, "still resolving", attrs...)
}

// waiting logs msg at info level from progressDelay on, every
// progressEvery, with the time elapsed, until stop is called: for a step
// before any API call, such as loading credentials, that can hang.
func waiting(log *slog.Logger, msg string) (stop func()) {
	start := time.Now()
	return tick(func() { log.Info(msg, "elapsed_ms", time.Since(start).Milliseconds()) })
}

package watch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/valuefrom/valuefrom/exec"
	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/gc"
	"github.com/valuefrom/valuefrom/internal/pipeline"
	"github.com/valuefrom/valuefrom/internal/secretfile"
	"github.com/valuefrom/valuefrom/internal/settings"
	"github.com/valuefrom/valuefrom/resolver/reference"
)

// ErrChanged is what Supervise returns when a value changed and
// VALUEFROM_ON_CHANGE is exit, once the program has stopped.
var ErrChanged error = &exitcode.Error{Code: exitcode.Changed,
	Err: errors.New("a value changed and VALUEFROM_ON_CHANGE is exit: the program was stopped")}

// A ProgramError is the exit of a supervised program that did not exit 0.
type ProgramError struct{ Exit exec.Exit }

func (e *ProgramError) Error() string { return "the program ended: " + e.Exit.String() }

// ExitCode is the program's: valuefrom exits as its program did.
func (e *ProgramError) ExitCode() int { return e.Exit.ExitCode() }

// Quiet: the program's exit is its own to report.
func (e *ProgramError) Quiet() {}

// Stdio is the supervised program's standard input and output.
type Stdio struct {
	Stdin          *os.File
	Stdout, Stderr io.Writer
}

// closeTimeout bounds how long, after the program has exited, its
// descendants may hold the output pipes of masking open: short enough that
// valuefrom exits within VALUEFROM_STOP_TIMEOUT and a second of a stop
// signal.
const closeTimeout = 500 * time.Millisecond

// Supervise is supervise mode: it starts the program of plan, which
// pipeline.Start made (failing closed), as its child under an
// exec.Supervisor, and re-resolves with sess, whose first result is res,
// every o.Settings.Watch. On a change it waits a random splay, then does what
// o.Settings.OnChange says. It forwards signals to the program and
// returns when the program exits: nil for exit status 0, else a
// *ProgramError; ErrChanged for the exit action. A stop signal (SIGTERM,
// SIGINT, or the stop signal), which the program gets, ends the watching,
// as does ctx's end (a SIGTERM or SIGINT cancels it): Supervise waits up
// to the stop timeout for the program, then kills its process group. A
// stop signal that comes while no program runs (during a restart, before
// the first start) is never lost: no program is started after it, and
// Supervise returns the last program's exit, or a *exec.StopError when
// none ran. The _FILE directory it made is removed before it returns, and
// so are the files it wrote for a program that never started.
func Supervise(ctx context.Context, o pipeline.Options, plan *exec.Plan, sess *pipeline.Session, res *pipeline.Result, stdio Stdio) error {
	set := o.Settings
	change, err := settings.ParseOnChange(set.OnChange)
	if err != nil {
		return &exitcode.UsageError{Err: err}
	}
	stopSignal, err := settings.ParseSignal(set.StopSignal)
	if err != nil {
		return &exitcode.UsageError{Err: err}
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if sess != nil {
		// Credentials refreshed by a credential_process are an os/exec
		// child, which the reaper must not collect.
		sess.WrapCredentials(func(p aws.CredentialsProvider) aws.CredentialsProvider { return heldCredentials{p} })
	}
	s := &supervision{o: o, log: log, change: change, sess: sess, plan: plan}
	if err := s.filesDir(res); err != nil {
		return err
	}
	defer s.removeFiles()
	env, files, err := plan.Build()
	if err != nil {
		return err
	}
	// The files are the program's once it has started; until then they
	// are removed on the way out, in VALUEFROM_FILES_DIR too, as a start
	// without supervision removes them (exec.Plan.Run).
	started := false
	defer func() {
		if !started {
			o.RemoveFiles(files)
		}
	}()
	path, err := plan.Program(env)
	if err != nil {
		return err
	}
	s.sup = &exec.Supervisor{Path: path, Args: plan.Args, Name: plan.Name(), Stdin: stdio.Stdin, Stdout: stdio.Stdout, Stderr: stdio.Stderr,
		StopSignal: stopSignal, StopTimeout: set.StopTimeout, Logger: log}
	if set.Mask {
		s.masks = newMasking(log, res, stdio.Stdout, stdio.Stderr)
		s.sup.Stdout, s.sup.Stderr = s.masks.writers[0], s.masks.writers[1]
	}
	// Forwarding outlives ctx, which the first SIGTERM cancels: a second
	// signal still reaches the program.
	fwd, stopForwarding := context.WithCancel(context.WithoutCancel(ctx))
	defer stopForwarding()
	s.sup.Forward(fwd)
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.start(env); err != nil {
		return err
	}
	started = true
	defer s.closeOutput()
	if ctx.Err() != nil {
		// The signal may have come before the program could get it.
		s.sup.Stop(context.WithoutCancel(ctx))
	}
	gc.Release() // started: from here on a long-running parent
	log.Info("watch: supervising the program", "path", plan.Name(), "watch", set.Watch.String(), "on_change", set.OnChange,
		"splay", set.SplayOrDefault().String(), "mask", set.Mask)
	return s.loop(ctx, res)
}

// supervision is one run of Supervise.
type supervision struct {
	o       pipeline.Options
	log     *slog.Logger
	change  settings.OnChange
	sess    *pipeline.Session
	plan    *exec.Plan // its Templates are rendered again on a change
	sup     *exec.Supervisor
	masks   *masking // nil without VALUEFROM_MASK
	ownDir  bool     // plan.FilesDir was made here, to be removed
	warnEnv map[string]bool
}

// filesDir picks the plan's directory for _FILE values: VALUEFROM_FILES_DIR
// (as Start gave it), or a new one made here, under the plan's FilesBase,
// kept across restarts, so that the files' paths in the program's
// environment stay the same.
func (s *supervision) filesDir(res *pipeline.Result) error {
	if s.plan.FilesDir != "" {
		return nil
	}
	for _, v := range res.Values {
		if strings.HasSuffix(v.Var, reference.FileSuffix) {
			dir, err := secretfile.TempDir(s.plan.FilesBase)
			if err != nil {
				return &exec.FileError{Var: v.Var, Err: fmt.Errorf("%w (VALUEFROM_FILES_DIR)", err)}
			}
			s.plan.FilesDir, s.ownDir = dir, true
			return nil
		}
	}
	return nil
}

func (s *supervision) removeFiles() {
	if s.ownDir {
		if err := os.RemoveAll(s.plan.FilesDir); err != nil {
			s.log.Warn("watch: cannot remove the directory of _FILE values", "dir", s.plan.FilesDir, "error", err)
		}
	}
}

// closeOutput waits, briefly, for the program's output to be copied, then
// writes what masking held back.
func (s *supervision) closeOutput() {
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	if err := s.sup.Close(ctx); err != nil {
		s.log.Debug("watch: the program's output was not all copied", "error", err)
	}
	if s.masks != nil {
		s.masks.flush()
	}
}

// start starts the program with env, and masks with what it is given.
// A stop signal that came before is a *exec.StopError; a program that
// cannot be started, a *exec.Error with the exit code a start without
// --watch has for it.
func (s *supervision) start(env []string) error {
	if err := s.sup.Start(env); err != nil {
		if errors.As(err, new(*exec.StopError)) || errors.As(err, new(*exec.Error)) {
			return err
		}
		return &exec.Error{Name: s.sup.Path, Err: fmt.Errorf("%w: %v", exec.ErrNotExecutable, err)}
	}
	if run, ok := s.sup.Current(); ok && s.masks != nil {
		s.masks.started(run)
	}
	return nil
}

// stopping reports whether valuefrom was asked to stop: a stop signal
// came, or ctx is done.
func (s *supervision) stopping(ctx context.Context) bool {
	select {
	case <-s.sup.Stopping():
		return true
	default:
		return ctx.Err() != nil
	}
}

// stop ends the supervision when valuefrom is asked to stop: it waits for
// the program, which got the stop signal, up to the stop timeout, then
// kills its process group, and returns how it ended.
func (s *supervision) stop() error {
	s.log.Debug("watch: stopped watching; waiting for the program to exit")
	if err := s.sup.AwaitStop(context.Background()); err != nil {
		s.log.Warn("watch: the program could not be stopped", "error", err)
	}
	return s.exited()
}

type cycle struct {
	res *pipeline.Result
	err error
}

// loop watches until the program exits, or ctx is done and then the
// program has exited, and returns how it ended.
func (s *supervision) loop(ctx context.Context, first *pipeline.Result) error {
	interval := s.o.Settings.Watch
	t := newTracker(s.log, first)
	timer := time.NewTimer(next(interval))
	defer timer.Stop()
	if s.sess == nil {
		timer.Stop() // nothing to watch
	}
	cycleCtx, cancelCycle := context.WithCancel(ctx)
	defer cancelCycle()
	var (
		cycles  chan cycle // while a cycle runs
		pending *pipeline.Result
		changed []string
		acting  <-chan time.Time // the splay before acting on pending
	)
	for {
		select {
		case <-s.sup.Done():
			return s.exited()
		case <-ctx.Done():
			cancelCycle()
			return s.stop()
		case <-s.sup.Stopping():
			cancelCycle()
			return s.stop()
		case <-timer.C:
			cycles = make(chan cycle, 1)
			go func(ch chan<- cycle) {
				res, err := s.sess.Resolve(cycleCtx)
				ch <- cycle{res, err}
			}(cycles)
		case c := <-cycles:
			cycles = nil
			if s.masks != nil {
				s.masks.prune()
			}
			if c.err != nil {
				if ctx.Err() == nil {
					t.failed(c.err)
				}
				timer.Reset(next(interval))
				break
			}
			if changed = t.changed(c.res); len(changed) == 0 {
				timer.Reset(next(interval))
				break
			}
			pending = c.res
			delay := splay(s.o.Settings.SplayOrDefault())
			s.log.Info("watch: acting on the change after the splay", "action", s.o.Settings.OnChange, "splay", delay.String())
			acting = time.After(delay)
		case <-acting:
			acting = nil
			done, err := s.act(ctx, t, pending, changed)
			if done {
				return err
			}
			timer.Reset(next(interval))
		}
	}
}

// notWritten is the warning for a change whose files could not be written,
// or whose templates do not render.
const notWritten = "watch: the new values could not be written; every file, templates' included, is as it was, and the program keeps running"

// act does what VALUEFROM_ON_CHANGE says with the values of res. It
// reports done when Supervise is to return err.
func (s *supervision) act(ctx context.Context, t *tracker, res *pipeline.Result, changed []string) (done bool, err error) {
	if s.plan.FilesDir == "" {
		// A _FILE variable that the first result did not have.
		if err := s.filesDir(res); err != nil {
			t.writeFailed(notWritten, err)
			return false, nil
		}
	}
	if s.masks != nil {
		// Masked before any process can read them: the running program
		// may read the rewritten files, even while it stops.
		if s.change.Action != settings.Exit && !s.masks.fits(res) {
			return false, nil
		}
		s.masks.give(res, false)
	}
	// The program's files, templates' included, stay as they were unless
	// all are rewritten: it keeps running, and the next cycle tries again.
	env, rendered, err := s.plan.Rewrite(res.Environ, res.Vars())
	if err != nil {
		t.writeFailed(notWritten, err)
		return false, nil
	}
	t.wrote()
	t.accept(res)
	stop := context.WithoutCancel(ctx)
	switch s.change.Action {
	case settings.Exit:
		s.log.Info("watch: stopping the program and exiting", "changed", changed)
		if err := s.sup.Stop(stop); err != nil {
			return true, err
		}
		if s.stopping(ctx) {
			// Asked to stop meanwhile: the program's status, as for a
			// stop at any other time.
			return true, s.exited()
		}
		return true, ErrChanged
	case settings.Signal:
		s.warnEnvironment(changed)
		if files := fileVars(changed); len(files) > 0 || len(rendered) > 0 {
			s.log.Info("watch: files rewritten; signalling the program", "changed", changed, "files", files, "templates", rendered, "signal", s.change.Signal.String())
		} else {
			s.log.Info("watch: signalling the program; no file changed", "changed", changed, "signal", s.change.Signal.String())
		}
		if err := s.sup.Signal(s.change.Signal); err != nil && !errors.Is(err, exec.ErrNotRunning) {
			s.log.Warn("watch: cannot signal the program", "error", err)
		}
		return false, nil
	}
	s.log.Info("watch: restarting the program", "changed", changed)
	if err := s.sup.Stop(stop); err != nil {
		return true, err
	}
	if s.stopping(ctx) {
		// Asked to stop while the program was stopping: stay stopped.
		return true, s.exited()
	}
	if s.masks != nil {
		s.masks.give(res, true)
	}
	if err := s.start(env); err != nil {
		if se := (*exec.StopError)(nil); errors.As(err, &se) {
			// A stop signal came after the program exited: the
			// restart is abandoned, and the signal not lost.
			s.log.Info("watch: a stop signal came during the restart; the program is not started again", "signal", se.Signal.String())
			return true, s.exited()
		}
		return true, err
	}
	if s.masks != nil {
		s.masks.prune()
	}
	return false, nil
}

// warnEnvironment warns, once per variable, that a changed value held in
// the environment cannot reach the running program.
func (s *supervision) warnEnvironment(changed []string) {
	if s.warnEnv == nil {
		s.warnEnv = make(map[string]bool)
	}
	for _, name := range changed {
		// A template's variable reaches the program in the template's file.
		if strings.HasSuffix(name, reference.FileSuffix) || s.plan.Renders(name) || s.warnEnv[name] {
			continue
		}
		s.warnEnv[name] = true
		s.log.Warn("watch: a changed value is an environment variable, which a running program cannot see: it keeps the old value until it restarts; use a _FILE variable, or VALUEFROM_ON_CHANGE=restart", "var", name)
	}
}

// exited returns how the program ended as Supervise reports it.
func (s *supervision) exited() error {
	e, ok := s.sup.Exit()
	if !ok || (e.Code == 0 && e.Signal == 0) {
		return nil
	}
	return &ProgramError{Exit: e}
}

// heldCredentials holds the reaper while credentials are retrieved: a
// credential_process is a child that os/exec waits for.
type heldCredentials struct{ aws.CredentialsProvider }

func (h heldCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	release := exec.HoldReaping()
	defer release()
	return h.CredentialsProvider.Retrieve(ctx)
}

// fileVars returns the _FILE variables among names: those whose values
// are in files.
func fileVars(names []string) []string {
	var files []string
	for _, n := range names {
		if strings.HasSuffix(n, reference.FileSuffix) {
			files = append(files, n)
		}
	}
	return files
}

package exec

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// Supervise mode keeps valuefrom as the parent of the program, PID 1 in a
// container, so that it can restart the program when a value changes. It
// then has the duties of an init such as tini: it forwards signals, reports
// the program's exit as a shell would, and reaps orphaned processes.

// ErrNotRunning is returned by Signal when no program is running.
var ErrNotRunning = errors.New("program not running")

// A StopError is what Start returns once Forward has passed on a stop
// signal (see Forward): the program is not started again, so that the
// signal, which may have come while no program ran, is not lost. Its exit
// code is 128+N, as for a program that signal N ended.
type StopError struct{ Signal syscall.Signal }

func (e *StopError) Error() string {
	return "the program was not started: a stop signal came first (" + e.Signal.String() + ")"
}

// ExitCode returns 128+N for signal N.
func (e *StopError) ExitCode() int { return Exit{Signal: e.Signal}.ExitCode() }

// An Exit is how a program ended.
type Exit struct {
	Code   int            // the exit status, when Signal is 0
	Signal syscall.Signal // the signal that killed the program, or 0
}

func exitOf(ws syscall.WaitStatus) Exit {
	if ws.Signaled() {
		return Exit{Code: -1, Signal: ws.Signal()}
	}
	return Exit{Code: ws.ExitStatus()}
}

// ExitCode returns the code a shell reports for e: the exit status, or
// 128+N when the program died of signal N.
func (e Exit) ExitCode() int {
	if e.Signal != 0 {
		return 128 + int(e.Signal)
	}
	return e.Code
}

func (e Exit) String() string {
	if e.Signal != 0 {
		return "signal: " + e.Signal.String()
	}
	return fmt.Sprintf("exit status %d", e.Code)
}

// A Supervisor runs a program as its child, one at a time, and stops it
// and starts it again when asked.
//
// The program runs in a process group of its own, which, when Stdin is the
// terminal that valuefrom is in the foreground of, becomes the terminal's
// foreground group, as tini does: a terminal's Ctrl-C then reaches the
// program once, not once from the terminal and once forwarded, and an
// interactive program can read the terminal. Signals, the stop signal
// included, go to the program alone, as they would if it were PID 1 itself;
// only the SIGKILL after StopTimeout goes to the whole group, so that the
// children of a program killed by force do not outlive it into the next
// start.
//
// A stop signal (SIGTERM, SIGINT or StopSignal) that Forward passes on is
// never lost, even when it comes while no program runs, between the exit
// of one and the start of the next: from then on Start starts no program
// (it returns a *StopError), and Stopping is closed. A signal that comes
// while a program is being started waits for the start, and goes to the
// new program.
//
// Start, Restart, Stop, AwaitStop and Close are to be called from one
// goroutine; Signal, Done, Exit, Stopping and Current from any.
type Supervisor struct {
	Path string   // the program, as for os.StartProcess
	Args []string // the arguments, Args[0] included; just Path when empty
	Name string   // the program as errors and logs name it; Path when ""

	// Stdin, Stdout and Stderr are the program's; nil is the null device.
	// An *os.File is passed on as it is. Any other writer gets the output
	// through a pipe that lasts from the first Start to Close, across
	// restarts, and is written by one goroutine (one for both when Stdout
	// and Stderr are the same writer).
	Stdin          *os.File
	Stdout, Stderr io.Writer

	StopSignal  syscall.Signal // what Stop sends first; SIGTERM when 0
	StopTimeout time.Duration  // how long Stop waits before SIGKILL; 10s when 0
	Logger      *slog.Logger   // nil logs nothing

	// mu guards run and the stop signal; Start holds it while it starts
	// the program, so that a signal is either seen by Start, or sent to
	// the program Start started.
	mu       sync.Mutex
	run      *supervisedRun
	io       *supervisedIO
	stopSig  syscall.Signal // the stop signal Forward passed on, or 0
	stopping chan struct{}  // closed when stopSig is set

	// startHook, when set, is called by Start once it has decided to
	// start the program and before it does: tests hold the window of a
	// restart open with it.
	startHook func()
}

// A supervisedRun is one start of the program.
type supervisedRun struct {
	pid  int
	done chan struct{} // closed by the reaper once exit is set
	exit Exit
}

func (r *supervisedRun) finished() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// signal sends sig to the program, or to its process group. It holds the
// reaper's lock so that the program cannot be reaped, and its pid reused,
// between the check and the kill.
func (r *supervisedRun) signal(sig syscall.Signal, group bool) error {
	reaper.mu.Lock()
	defer reaper.mu.Unlock()
	if r.finished() {
		return ErrNotRunning
	}
	if group {
		// The group is gone if the program left it (setsid): kill the
		// program alone then.
		if err := syscall.Kill(-r.pid, sig); !errors.Is(err, syscall.ESRCH) {
			return err
		}
	}
	return syscall.Kill(r.pid, sig)
}

func (s *Supervisor) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

func (s *Supervisor) current() *supervisedRun {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.run
}

// Start starts the program with the environment env. It fails if the
// program is running, and with a *StopError, starting nothing, once a stop
// signal has come (see Forward). A program the kernel will not start is
// an *Error, as a Plan's exec failure is: ErrNotFound (127) for a missing
// file, a script's interpreter included, else ErrNotExecutable (126).
func (s *Supervisor) Start(env []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopSig != 0 {
		return &StopError{Signal: s.stopSig}
	}
	if s.startHook != nil {
		s.startHook()
	}
	if r := s.run; r != nil && !r.finished() {
		return fmt.Errorf("start %s: %w", s.name(), errors.New("program already running"))
	}
	if s.io == nil {
		sio, err := newSupervisedIO(s.Stdin, s.Stdout, s.Stderr)
		if err != nil {
			return fmt.Errorf("start %s: %w", s.name(), err)
		}
		s.io = sio
	}
	args := s.Args
	if len(args) == 0 {
		args = []string{s.Path}
	}
	sys := &syscall.SysProcAttr{Setpgid: true}
	// After a restart the terminal is the exited program's group: it goes
	// on to the new one (the child, its signals blocked, may take it).
	last := 0
	if r := s.run; r != nil && s.io.foreground {
		last = r.pid
	}
	if stdin := s.io.files[0]; isForeground(stdin, last) {
		s.io.foreground = true
		sys.Foreground = true
		sys.Ctty = int(stdin.Fd()) // with Foreground, a descriptor of this process
	}
	attr := &os.ProcAttr{Env: env, Files: s.io.files[:], Sys: sys}
	log := s.logger()
	startReaper(log)
	r, err := reaper.start(s.Path, args, attr)
	if err != nil {
		return startError(s.name(), err)
	}
	s.run = r
	log.Debug("program started", "path", s.name(), "pid", r.pid)
	return nil
}

// name is the program as errors and logs name it.
func (s *Supervisor) name() string { return cmp.Or(s.Name, s.Path) }

// Stopping returns a channel that is closed once Forward has passed on a
// stop signal: the program got it, if one ran, and none is started again.
func (s *Supervisor) Stopping() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping == nil {
		s.stopping = make(chan struct{})
	}
	return s.stopping
}

// isStopSignal reports whether sig asks valuefrom to stop: SIGTERM,
// SIGINT, or StopSignal.
func (s *Supervisor) isStopSignal(sig syscall.Signal) bool {
	return sig == syscall.SIGTERM || sig == syscall.SIGINT || sig == s.StopSignal
}

// forward passes sig on to the program that runs, or that Start is
// starting; a stop signal is noted first (see Stopping).
func (s *Supervisor) forward(sig syscall.Signal) error {
	s.mu.Lock()
	if s.isStopSignal(sig) && s.stopSig == 0 {
		s.stopSig = sig
		if s.stopping == nil {
			s.stopping = make(chan struct{})
		}
		close(s.stopping)
	}
	r := s.run
	s.mu.Unlock()
	if r == nil {
		return ErrNotRunning
	}
	return r.signal(sig, false)
}

// A Run is one start of the program, from Current.
type Run struct{ r *supervisedRun }

// Gone reports whether the program of this start has exited and no
// process is left in its process group: none of the processes that it
// started, and that got its environment, still runs, unless it left the
// group (setsid, a daemon). Once Gone reports true it stays so.
func (r Run) Gone() bool {
	if r.r == nil || !r.r.finished() {
		return false
	}
	// The group's id is the program's pid, which no new process group
	// can take while a process of this one is left.
	return errors.Is(syscall.Kill(-r.r.pid, 0), syscall.ESRCH)
}

// Current returns the start of the program that Start made last, and
// false before the first.
func (s *Supervisor) Current() (Run, bool) {
	r := s.current()
	return Run{r}, r != nil
}

// Signal sends sig to the program. It returns ErrNotRunning when no
// program is running.
func (s *Supervisor) Signal(sig os.Signal) error {
	ss, ok := sig.(syscall.Signal)
	if !ok {
		return fmt.Errorf("signal %v: not a syscall.Signal", sig)
	}
	r := s.current()
	if r == nil {
		return ErrNotRunning
	}
	return r.signal(ss, false)
}

// Stop stops the program: it sends StopSignal, waits up to StopTimeout for
// the program to exit, then sends SIGKILL to its process group and waits
// for it to exit. When ctx is done first, Stop sends SIGKILL at once and
// returns ctx.Err() without waiting. Stop returns nil when no program is
// running.
func (s *Supervisor) Stop(ctx context.Context) error {
	r := s.current()
	if r == nil {
		return nil
	}
	stopSignal := s.StopSignal
	if stopSignal == 0 {
		stopSignal = syscall.SIGTERM
	}
	if err := r.signal(stopSignal, false); errors.Is(err, ErrNotRunning) {
		return nil
	} else if err != nil {
		return fmt.Errorf("stop %s: %w", s.name(), err)
	}
	s.logger().Debug("stopping the program", "pid", r.pid, "signal", stopSignal.String())
	return s.await(ctx, r)
}

// AwaitStop waits for the program, which a stop signal was passed on to
// (see Forward), to exit as Stop does, without sending it one more: up to
// StopTimeout, then it sends SIGKILL to its process group. It returns nil
// when no program is running.
func (s *Supervisor) AwaitStop(ctx context.Context) error {
	r := s.current()
	if r == nil || r.finished() {
		return nil
	}
	return s.await(ctx, r)
}

// await waits up to StopTimeout for r to exit, then sends SIGKILL to its
// process group and waits for it, or until ctx is done.
func (s *Supervisor) await(ctx context.Context, r *supervisedRun) error {
	timeout := s.StopTimeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	log := s.logger()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-r.done:
		return nil
	case <-timer.C:
		log.Warn("the program did not stop in time; killing it", "pid", r.pid, "stop_timeout", timeout.String())
	case <-ctx.Done():
	}
	if err := r.signal(syscall.SIGKILL, true); err != nil && !errors.Is(err, ErrNotRunning) {
		return fmt.Errorf("stop %s: %w", s.name(), err)
	}
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Restart stops the program as Stop does and, once it is gone, starts it
// again with the environment env; a program that has exited already is
// just started. It does not start it when ctx is done.
func (s *Supervisor) Restart(ctx context.Context, env []string) error {
	if err := s.Stop(ctx); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.Start(env)
}

// Done returns a channel that is closed when the program started last has
// exited; Exit then says how. Before the first Start it returns nil, a
// channel that is never closed. Call Done again after a Restart.
func (s *Supervisor) Done() <-chan struct{} {
	if r := s.current(); r != nil {
		return r.done
	}
	return nil
}

// Exit returns how the program started last exited, and false while it
// runs or before the first Start.
func (s *Supervisor) Exit() (Exit, bool) {
	r := s.current()
	if r == nil || !r.finished() {
		return Exit{}, false
	}
	return r.exit, true
}

// forwardedSignals are what Forward passes on. Never SIGCHLD, which is the
// reaper's, nor SIGURG, which the Go runtime uses to preempt goroutines.
var forwardedSignals = []os.Signal{
	syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT,
	syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH,
}

// Forward passes SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and
// SIGWINCH on to the program until ctx is done. It starts catching them
// before it returns. A stop signal (SIGTERM, SIGINT or StopSignal) also
// stops the Supervisor: Stopping is closed, and Start starts nothing
// more, so that a stop signal that comes while no program runs (between a
// restart's stop and start) still ends the supervision. Any other signal
// that comes while no program runs is dropped, with a log line: the next
// program starts afresh.
func (s *Supervisor) Forward(ctx context.Context) {
	ch := make(chan os.Signal, 16)
	signal.Notify(ch, forwardedSignals...)
	go func() {
		defer signal.Stop(ch)
		for {
			select {
			case <-ctx.Done():
				return
			case sig := <-ch:
				err := s.forward(sig.(syscall.Signal))
				switch {
				case errors.Is(err, ErrNotRunning) && s.isStopSignal(sig.(syscall.Signal)):
					s.logger().Info("stop signal: no program running; none is started again", "signal", sig.String())
				case errors.Is(err, ErrNotRunning):
					s.logger().Info("signal not forwarded: no program running", "signal", sig.String())
				case err != nil:
					s.logger().Warn("signal not forwarded", "signal", sig.String(), "error", err)
				default:
					s.logger().Debug("signal forwarded", "signal", sig.String())
				}
			}
		}
	}()
}

// Close releases what Start set up for the program's input and output:
// it closes valuefrom's ends of the output pipes and waits until the
// output is copied, that is until every process holding the pipes (the
// program's own children too) has closed them or exited, or until ctx is
// done, when it drops the rest. It returns the first error writing the
// output. Call it once the program has exited.
func (s *Supervisor) Close(ctx context.Context) error {
	if s.io == nil {
		return nil
	}
	sio := s.io
	s.io = nil
	return sio.close(ctx)
}

// supervisedIO is the program's stdin, stdout and stderr, and the pipes and
// goroutines that copy its output to writers that are not files.
type supervisedIO struct {
	files      [3]*os.File
	foreground bool       // the terminal on files[0] was handed to the program
	ours       []*os.File // what to close: our pipe ends and the null device
	readers    []*os.File // the pipes' read ends
	copies     sync.WaitGroup
	errMu      sync.Mutex
	err        error
}

func newSupervisedIO(stdin *os.File, stdout, stderr io.Writer) (_ *supervisedIO, err error) {
	sio := &supervisedIO{}
	defer func() {
		if err != nil {
			sio.close(context.Background())
		}
	}()
	null := func() (*os.File, error) {
		f, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
		if err == nil {
			sio.ours = append(sio.ours, f)
		}
		return f, err
	}
	if stdin == nil {
		if stdin, err = null(); err != nil {
			return nil, err
		}
	}
	sio.files[0] = stdin
	for i, w := range []io.Writer{stdout, stderr} {
		switch f, isFile := w.(*os.File); {
		case isFile && f != nil:
			sio.files[i+1] = f
		case w == nil || isFile:
			if sio.files[i+1], err = null(); err != nil {
				return nil, err
			}
		case i == 1 && sameWriter(stdout, stderr):
			sio.files[2] = sio.files[1]
		default:
			pr, pw, err := os.Pipe()
			if err != nil {
				return nil, err
			}
			sio.files[i+1] = pw
			sio.ours = append(sio.ours, pw)
			sio.readers = append(sio.readers, pr)
			sio.copies.Add(1)
			go sio.copy(w, pr)
		}
	}
	return sio, nil
}

func (sio *supervisedIO) copy(w io.Writer, r *os.File) {
	defer sio.copies.Done()
	_, err := io.Copy(w, r)
	if err != nil && !errors.Is(err, os.ErrClosed) {
		sio.errMu.Lock()
		if sio.err == nil {
			sio.err = err
		}
		sio.errMu.Unlock()
	}
}

func (sio *supervisedIO) close(ctx context.Context) error {
	for _, f := range sio.ours {
		f.Close()
	}
	copied := make(chan struct{})
	go func() {
		sio.copies.Wait()
		close(copied)
	}()
	select {
	case <-copied:
	case <-ctx.Done():
		// A process still holds a pipe open: stop copying.
		for _, r := range sio.readers {
			r.Close()
		}
		<-copied
		return ctx.Err()
	}
	for _, r := range sio.readers {
		r.Close()
	}
	sio.errMu.Lock()
	defer sio.errMu.Unlock()
	return sio.err
}

// sameWriter reports whether a and b are the same writer, as os/exec does
// for Stdout and Stderr: comparing interfaces panics for values that are
// not comparable, which are then not the same.
func sameWriter(a, b io.Writer) (same bool) {
	defer func() { _ = recover() }()
	return a == b
}

package exec

import (
	"errors"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
)

// The reaper waits for every child of this process, the orphans that the
// kernel hands to it as PID 1 or as a child subreaper included.
//
// It is the only code that waits, and it tells the supervised program's
// exit from an orphan's by its pid. The classic bug of a reaper next to
// os/exec is a wait4(-1) that collects the program's status before
// cmd.Wait does, which then fails with ECHILD, so the program's exit code
// is lost. Here the program is started with os.StartProcess and never
// waited for with os.Process.Wait: the reaper's wait4(-1) collects every
// status and hands the program's to its supervisedRun. Starting the
// program and registering its pid happen under the reaper's lock, and the
// reaper only waits under that lock, so even a program that exits at once
// is recognised. (waitid with WNOWAIT on the program's pid first would
// leave os/exec in charge of the program but still race with its Wait for
// the orphans' statuses; one loop that owns all waiting is simpler.)
//
// The catch: once the reaper runs, nothing else in the process may wait
// for a child of its own (os/exec's Cmd.Wait, hence Cmd.Run, and so an
// AWS credential_process) unless it holds the reaper with HoldReaping
// from before it starts the child until it has waited for it: the reaper
// would otherwise collect that child first.
var reaper reaperState

type reaperState struct {
	once   sync.Once
	hold   sync.RWMutex // read-locked by HoldReaping; reapAll write-locks it
	mu     sync.Mutex
	runs   map[int]*supervisedRun // by pid, until reaped
	logger atomic.Pointer[slog.Logger]
}

// startReaper starts the reaper once per process and makes log the one
// that reports the orphans it reaps.
func startReaper(log *slog.Logger) {
	reaper.logger.Store(log)
	reaper.once.Do(func() {
		reaper.runs = make(map[int]*supervisedRun)
		if os.Getpid() != 1 {
			// Orphans of the program's descendants then come to us
			// rather than to the real PID 1, which may not reap them.
			if err := setSubreaper(); err != nil {
				log.Warn("cannot become a child subreaper; orphans go to PID 1", "error", err)
			}
		}
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGCHLD)
		go func() {
			for {
				reaper.reapAll()
				<-ch // one pending notice is enough: reapAll collects all
			}
		}()
	})
}

// start starts a program and registers it, under the lock, for its exit.
func (rs *reaperState) start(path string, args []string, attr *os.ProcAttr) (*supervisedRun, error) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	// os.StartProcess waits for a child that fails to exec: holding the
	// lock keeps reapAll from collecting it first.
	p, err := os.StartProcess(path, args, attr)
	if err != nil {
		return nil, err
	}
	r := &supervisedRun{pid: p.Pid, done: make(chan struct{})}
	rs.runs[p.Pid] = r
	p.Release() // the reaper waits; signals go by pid under the lock
	return r, nil
}

// HoldReaping keeps the reaper from collecting any child until release is
// called, so that code that starts a child of its own and waits for it,
// such as os/exec's Cmd.Run, can run next to a Supervisor: call it before
// the child starts and release after the wait. Holds may overlap. While
// any is held, orphans stay zombies and a supervised program's exit is
// seen only at the release; keep holds short. Before a Supervisor first
// starts, no reaper runs and a hold costs nothing.
func HoldReaping() (release func()) {
	reaper.hold.RLock()
	return sync.OnceFunc(reaper.hold.RUnlock)
}

// reapAll collects every child that has exited.
func (rs *reaperState) reapAll() {
	rs.hold.Lock()
	defer rs.hold.Unlock()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil || pid <= 0 {
			return // ECHILD: no children; 0: none has exited
		}
		if r := rs.runs[pid]; r != nil {
			delete(rs.runs, pid)
			r.exit = exitOf(ws)
			close(r.done)
			rs.logger.Load().Debug("program exited", "pid", pid, "exit", r.exit.String())
			continue
		}
		rs.logger.Load().Debug("reaped an orphan", "pid", pid, "exit", exitOf(ws).String())
	}
}

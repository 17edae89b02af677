package exec

// SetStartHook makes s call hook in each Start once it has decided to
// start the program, and before it does: a test sends a signal into the
// window of a restart with it, after one program has exited and before
// the next has started.
func SetStartHook(s *Supervisor, hook func()) { s.startHook = hook }

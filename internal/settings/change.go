package settings

import (
	"fmt"
	"strings"
	"syscall"
)

// An OnChange is what VALUEFROM_ON_CHANGE asks for when a value changes.
type OnChange struct {
	Action string         // Restart, Signal or Exit
	Signal syscall.Signal // with Signal: the signal to send
}

// The actions of VALUEFROM_ON_CHANGE.
const (
	Restart = "restart"
	Signal  = "signal"
	Exit    = "exit"
)

// ParseOnChange parses restart, signal:NAME or exit.
func ParseOnChange(s string) (OnChange, error) {
	switch action, name, _ := strings.Cut(s, ":"); action {
	case Restart, Exit:
		if name != "" || strings.Contains(s, ":") {
			return OnChange{}, fmt.Errorf("%s takes no signal, in %q", action, s)
		}
		return OnChange{Action: action}, nil
	case Signal:
		sig, err := ParseSignal(name)
		if err != nil {
			return OnChange{}, err
		}
		return OnChange{Action: Signal, Signal: sig}, nil
	}
	return OnChange{}, fmt.Errorf("unknown action %q", s)
}

// signals are the signals a setting may name: those a program is commonly
// told to stop or reload with.
var signals = map[string]syscall.Signal{
	"SIGHUP": syscall.SIGHUP, "SIGINT": syscall.SIGINT, "SIGQUIT": syscall.SIGQUIT,
	"SIGTERM": syscall.SIGTERM, "SIGUSR1": syscall.SIGUSR1, "SIGUSR2": syscall.SIGUSR2,
	"SIGWINCH": syscall.SIGWINCH, "SIGALRM": syscall.SIGALRM,
}

// ParseSignal parses a signal's name, such as SIGHUP; the SIG prefix and
// case are optional.
func ParseSignal(name string) (syscall.Signal, error) {
	n := strings.ToUpper(name)
	if !strings.HasPrefix(n, "SIG") {
		n = "SIG" + n
	}
	if sig, ok := signals[n]; ok {
		return sig, nil
	}
	return 0, fmt.Errorf("unknown signal %q: use SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH or SIGALRM", name)
}

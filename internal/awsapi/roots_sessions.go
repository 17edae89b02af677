package awsapi

import (
	"context"
	"crypto/tls"
	"sync"
	"time"
)

// sessions keeps the TLS sessions of one transport's direct connections,
// so that a connection to a host that already gave one resumes it: no
// certificate, no chain to verify, no signature for the server to make.
// A start opens its connections to a host all at once (13 for 150
// references), where none has a session yet; so the first to a host makes
// a full handshake and the others wait for its session (the server sends
// its ticket right after the handshake), then resume it: one full
// handshake per host instead of one per connection.
//
// A waiting connection gives up waiting when the first one fails, or when
// no ticket came within the time the first handshake took (a server that
// sends none, or sends it late): it then makes a full handshake, and so do
// the host's later connections, without waiting again.
//
// The connections are made with InsecureSkipVerify and verify the chain
// themselves (dialer), so crypto/tls does not check a session before it
// offers it, as it otherwise does: that the chain of the connection that
// got it was verified, for the server name, and that its leaf has not
// expired. sessions does: a session is kept under the name its
// connection verified its chain for (a connSessions knows that chain's
// leaf), and offered until that leaf expires.
type sessions struct {
	now func() time.Time
	// patience is how long a good full handshake's ticket may take to
	// come, after the handshake took took: as long again. Tests set it.
	patience func(took time.Duration) time.Duration

	mu    sync.Mutex
	hosts map[string]*hostSessions
}

// hostSessions is what sessions knows of one server name.
type hostSessions struct {
	session  *tls.ClientSessionState // the latest, or nil
	notAfter time.Time               // its chain's leaf's

	lead     bool          // a full handshake is on, that the others wait for
	ready    chan struct{} // closed when they stop waiting
	noTicket bool          // a ticket did not come in time: do not wait again
}

func newSessions(now func() time.Time) *sessions {
	return &sessions{
		now:      now,
		patience: func(took time.Duration) time.Duration { return took },
		hosts:    make(map[string]*hostSessions),
	}
}

func (s *sessions) host(name string) *hostSessions {
	h := s.hosts[name]
	if h == nil {
		h = &hostSessions{}
		s.hosts[name] = h
	}
	return h
}

// get returns the session kept for name and its leaf's expiry, unless
// that has passed.
func (s *sessions) get(name string) (*tls.ClientSessionState, time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.hosts[name]
	if h == nil || h.session == nil || s.now().After(h.notAfter) {
		return nil, time.Time{}, false
	}
	return h.session, h.notAfter, true
}

// put keeps a session for name, whose chain's leaf expires at notAfter,
// or drops name's (cs nil); a session ends the wait of name's
// connections.
func (s *sessions) put(name string, cs *tls.ClientSessionState, notAfter time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.host(name)
	h.session, h.notAfter = cs, notAfter
	if cs != nil && h.ready != nil {
		close(h.ready)
		h.ready = nil
	}
}

// conn returns the tls.ClientSessionCache of one connection.
func (s *sessions) conn() *connSessions { return &connSessions{s: s} }

// connSessions is the tls.ClientSessionCache of one connection: it knows
// the leaf of the chain the connection verified, or of the session it
// resumed, which a session the server gives it carries.
type connSessions struct {
	s        *sessions
	mu       sync.Mutex
	notAfter time.Time // zero until verified
}

func (c *connSessions) Get(name string) (*tls.ClientSessionState, bool) {
	cs, notAfter, ok := c.s.get(name)
	if ok {
		c.verified(notAfter)
	}
	return cs, ok
}

func (c *connSessions) Put(name string, cs *tls.ClientSessionState) {
	c.mu.Lock()
	notAfter := c.notAfter
	c.mu.Unlock()
	if cs != nil && notAfter.IsZero() {
		return // not verified: not for resuming
	}
	c.s.put(name, cs, notAfter)
}

// verified records the expiry of the leaf the connection verified, or of
// the session it offers.
func (c *connSessions) verified(notAfter time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.notAfter = notAfter
}

// wait is called before a handshake with name. It returns at once when
// there is a session to resume, or when no other connection makes a full
// handshake with name, which this one is then to make: it then reports
// its end with done. Otherwise it waits for that handshake's session, its
// failure, or ctx.
func (s *sessions) wait(ctx context.Context, name string) (done func(ok bool, took time.Duration)) {
	nothing := func(bool, time.Duration) {}
	if _, _, ok := s.get(name); ok {
		return nothing
	}
	s.mu.Lock()
	h := s.host(name)
	if h.noTicket {
		s.mu.Unlock()
		return nothing
	}
	if !h.lead {
		h.lead = true
		ready := make(chan struct{})
		h.ready = ready
		s.mu.Unlock()
		return func(ok bool, took time.Duration) { s.led(name, ready, ok, took) }
	}
	ready := h.ready
	s.mu.Unlock()
	if ready != nil {
		select {
		case <-ready:
		case <-ctx.Done():
		}
	}
	return nothing
}

// led ends the full handshake the others wait for: a failed one releases
// them at once, so that another can lead; a good one gives its ticket
// patience(took) to come.
func (s *sessions) led(name string, ready chan struct{}, ok bool, took time.Duration) {
	release := func(noTicket bool) {
		s.mu.Lock()
		defer s.mu.Unlock()
		h := s.hosts[name]
		h.lead = false
		if h.ready == ready { // no session came
			close(ready)
			h.ready = nil
			h.noTicket = h.noTicket || noTicket
		}
	}
	if !ok {
		release(false)
		return
	}
	time.AfterFunc(s.patience(took), func() { release(true) })
}

package vfbin

import (
	"fmt"
	"strings"
	"testing"
)

// recorder is a testing.TB that records its failures instead of failing.
type recorder struct {
	testing.TB
	msgs   []string
	failed bool // FailNow or Fatalf was called
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	r.failed = true
}

func (r *recorder) FailNow() { r.failed = true }

func TestNoValue(t *testing.T) {
	const secret, other = "canary-secret-1f2e", "canary-other-9a0b"
	tests := []struct {
		name   string
		s      string
		values []string
		want   []string // a piece of each failure message, in order; none: no failure
	}{
		{"clean", "nothing to see", []string{secret, other}, nil},
		{"first leaked", "x=" + secret + " y", []string{secret, other}, []string{"stderr: a value leaked: value 1 of 2, 18 bytes (not shown)"}},
		{"both leaked", secret + other, []string{secret, other}, []string{"value 1 of 2", "value 2 of 2"}},
		{"a mark", "a canary-ish line", []string{"canary"}, []string{"value 1 of 1, 6 bytes"}},
		{"no values", secret, nil, []string{"no values to look for"}},
		{"an empty value", "anything", []string{""}, []string{"value 1 of 1 is empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{TB: t}
			NoValue(r, "stderr", tt.s, tt.values...)
			// NoValue's messages are checked for the values before any
			// is shown.
			for i, m := range r.msgs {
				if strings.Contains(m, secret) || strings.Contains(m, other) || strings.Contains(m, tt.s) {
					t.Fatalf("message %d of %d shows a value or the text looked in", i+1, len(r.msgs))
				}
			}
			if r.failed != (tt.want != nil) {
				t.Fatalf("failed now: %v, want %v; messages %q", r.failed, tt.want != nil, r.msgs)
			}
			if len(r.msgs) < len(tt.want) {
				t.Fatalf("messages %q, want %d", r.msgs, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(r.msgs[i], w) {
					t.Errorf("message %d is %q, want it to say %q", i, r.msgs[i], w)
				}
			}
		})
	}
}

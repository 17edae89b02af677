package pipeline

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/valuefrom/valuefrom/resolver"
	"github.com/valuefrom/valuefrom/resolver/reference"
)

// TestSessionWarnsFallbackOnce: over a long outage a session's cycles warn
// once per variable and fallback region, log once when the own region
// gives the value again, and warn again when a later outage comes.
func TestSessionWarnsFallbackOnce(t *testing.T) {
	var buf bytes.Buffer
	s := &Session{o: Options{Logger: slog.New(slog.NewTextHandler(&buf, nil))}, fellBack: make(map[string]string)}
	ref, err := reference.Parse("ssm:/app/url")
	if err != nil {
		t.Fatal(err)
	}
	value := func(name, fallback string) resolver.Value {
		return resolver.Value{Var: name, Ref: ref, Value: []byte("canary-" + name), Fallback: fallback}
	}
	cycle := func(values ...resolver.Value) {
		for _, v := range values {
			if v.Fallback != "" {
				s.warnFallback(v, "us-east-1")
			}
		}
		s.noteOwnRegion(values)
	}
	count := func(s string) int { return strings.Count(buf.String(), s) }

	for range 3 {
		cycle(value("URL", "us-west-2"), value("DB", "us-west-2"))
	}
	if n := count("level=WARN"); n != 2 {
		t.Errorf("%d warnings for three cycles of two variables from us-west-2, want 2:\n%s", n, buf.String())
	}
	cycle(value("URL", "eu-west-1"), value("DB", "us-west-2"))
	if n := count("level=WARN msg=\"" + resolver.FallbackWarning + "\" var=URL"); n != 2 {
		t.Errorf("URL warned %d times, want again for another fallback region:\n%s", n, buf.String())
	}
	for range 2 {
		cycle(value("URL", ""), value("DB", "us-west-2"))
	}
	if n := count("own region again\" var=URL"); n != 1 {
		t.Errorf("%d lines for URL's own region again, want 1:\n%s", n, buf.String())
	}
	if n := count("own region again"); n != 1 {
		t.Errorf("%d lines for the own region again, want 1 (DB still falls back):\n%s", n, buf.String())
	}
	cycle(value("URL", "us-west-2"), value("DB", "us-west-2"))
	if n := count("level=WARN"); n != 4 {
		t.Errorf("%d warnings, want 4 after URL fell back again:\n%s", n, buf.String())
	}
	if strings.Contains(buf.String(), "canary") {
		t.Error("a value reached the log")
	}
}

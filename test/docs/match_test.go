package docs

import (
	"strings"
	"testing"
)

// TestMatch: what a page shows matches the output when the two differ only
// in what varies between runs, or where the page has …; nothing else.
func TestMatch(t *testing.T) {
	tests := []struct {
		name      string
		want, got string
		ok        bool
	}{
		{"same", "a\nb", "a\nb", true},
		{"a line more", "a", "a\nb", false},
		{"other text", "exit 4", "exit 2", false},
		{"timestamp", "time=2026-11-30T06:05:26.675Z level=INFO", "time=2027-01-02T03:04:05.6Z level=INFO", true},
		{"duration", "ok=true duration_ms=71.2", "ok=true duration_ms=4.1", true},
		{"duration's name", "duration_ms=71.2", "elapsed_ms=71.2", false},
		{"request id", "NotFound (request id 8a2f): x", "NotFound (request id uDCCRnGEY59): x", true},
		{"attempts", "after 7 attempts to 127.0.0.1:4566", "after 6 attempts to 127.0.0.1:4566", true},
		{"uuid", `"VersionId":"2620309c-6c27-488c-8741-77bd0f2df8c9"`, `"VersionId":"668b1379-6f8c-4e97-a76e-951cf2f1b65b"`, true},
		{"date", "PendingDeletion 2026-11-30 (customer)", "PendingDeletion 2026-12-14 (customer)", true},
		{"ellipsis", "valuefrom v… (commit …, go1.26…)", "valuefrom v0.1.0 (commit 699d9f4, go1.26.8)", true},
		{"ellipsis within a line only", "a…", "ab\nc", false},
		{"an address is no duration", "127.0.0.1:4566", "127.0.0.1:4567", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := match(lines(tt.want), lines(tt.got)); got != tt.ok {
				t.Errorf("match(%q, %q) = %v, want %v", tt.want, tt.got, got, tt.ok)
			}
		})
	}
}

// TestCommands: a console block's commands, continued lines included, each
// with the output after it.
func TestCommands(t *testing.T) {
	b := &block{page: "page.md", line: 1, first: 1, body: strings.Split("$ export A=1 \\\n    B=2\n$ valuefrom -- true\nout 1\nout 2\n$ echo $?\n0", "\n")}
	cmds := commands(t, b)
	if len(cmds) != 3 {
		t.Fatalf("%d commands, want 3", len(cmds))
	}
	if got := strings.Join(cmds[0].cmd, "|"); got != "export A=1 \\|    B=2" || len(cmds[0].out) != 0 {
		t.Errorf("first command %q with %d lines of output", got, len(cmds[0].out))
	}
	if got := strings.Join(cmds[1].out, "|"); got != "out 1|out 2" || cmds[1].at != 4 {
		t.Errorf("second command's output %q at line index %d, want out 1|out 2 at 4", got, cmds[1].at)
	}
}

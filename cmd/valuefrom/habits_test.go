package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestHelpAndVersionWords: valuefrom help [SUB] and valuefrom version do
// what they say when no program of that name is on PATH; when one is, it
// runs (issue 11, item 10).
func TestHelpAndVersionWords(t *testing.T) {
	version, commit = "v9.9.9-test", "abc123"
	t.Cleanup(func() { version, commit = "", "" })
	tests := []struct {
		args []string
		want string // the start of stdout
	}{
		{[]string{"help"}, "valuefrom resolves"},
		{[]string{"help", "render"}, "Usage:\n  valuefrom render --out PATH"},
		{[]string{"version"}, "valuefrom v9.9.9-test (commit abc123"},
	}
	for _, tt := range tests {
		r := runIn(t, nil, tt.args...)
		if r.code != 0 || !strings.HasPrefix(r.stdout, tt.want) || r.exec != nil || r.stderr != "" {
			t.Errorf("valuefrom %s: exit %d, exec %q, stdout starting %.40q, stderr %q; want exit 0 and stdout starting %q",
				strings.Join(tt.args, " "), r.code, r.exec, r.stdout, r.stderr, tt.want)
		}
	}
	if r := runIn(t, nil, "help", "render"); r.stdout != runIn(t, nil, "render", "-h").stdout {
		t.Error("valuefrom help render differs from valuefrom render -h")
	}

	// A program of that name on PATH wins.
	bin := t.TempDir()
	for _, name := range []string{"help", "version", "chekc"} {
		if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		r := runIn(t, []string{"PATH=" + bin}, name, "x")
		if r.code != 0 || !slices.Equal(r.exec, []string{name, "x"}) || r.stdout != "" {
			t.Errorf("valuefrom %s x with %s on PATH: exit %d, exec %q, stdout %.40q; want the program run", name, name, r.code, r.exec, r.stdout)
		}
	}
}

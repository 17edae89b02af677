package main

import (
	"flag"
	"io"
	"strings"
	"testing"

	"github.com/valuefrom/valuefrom/internal/settings"
)

func TestFlags(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.String("out", "", "`PATH` the file to write")
	fs.String("format", "dotenv", "`F` dotenv or json")
	fs.Bool("force", false, "print to a terminal too")
	fs.Duration("ttl", 0, "`D` how long")
	fs.Int("conns", 800, "`N` at once (VALUEFROM_MAX_CONNS)")
	fs.Int("n", 7, "`N` "+strings.Repeat("word ", 20)+"end")
	fs.String("hidden", "", "not shown")
	var b strings.Builder
	writeFlags(&b, fs, func(f *flag.Flag) bool { return f.Name != "hidden" })
	want := `  --conns N            at once (VALUEFROM_MAX_CONNS, default 800)
  --force              print to a terminal too
  --format F           dotenv or json (default dotenv)
  --n N                word word word word word word word word word word word word word
                       word word word word word word word end (default 7)
  --out PATH           the file to write
  --ttl D              how long
`
	if b.String() != want {
		t.Errorf("Flags wrote\n%s\nwant\n%s", b.String(), want)
	}
}

func TestFill(t *testing.T) {
	var b strings.Builder
	if err := fillHelp(&b, "{{x}}\na\n{{x}}\nb {{y}}\n{{y}}\n", map[string]string{"x": "X\n", "y": "Y1\nY2\n"}); err != nil {
		t.Fatal(err)
	}
	if want := "X\na\n{{x}}\nb {{y}}\nY1\nY2\n"; b.String() != want {
		t.Errorf("Fill wrote %q, want %q", b.String(), want)
	}
}

func TestFlagError(t *testing.T) {
	const canary = "canary-flag-value"
	newSet := func(name string) *flag.FlagSet {
		fs := flag.NewFlagSet(name, flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		new(settings.Settings).Flags(fs, settings.Common) // --timeout, --concurrency, ...
		fs.Bool("force", false, "print to a terminal too")
		fs.String("format", "", "`F` a format")
		return fs
	}
	run := newSet("valuefrom run")
	run.String("task-def", "", "`FILE` a task definition")
	serve := newSet("valuefrom serve")
	serve.Duration("ttl", 0, "`D` how long")
	subcommands := []*flag.FlagSet{run, serve}
	tests := []struct {
		name        string
		args        []string
		subcommands []*flag.FlagSet
		hint, err   string
	}{
		{"misspelt", []string{"--timout", "5s"}, subcommands, "did you mean --timeout? (valuefrom help settings lists the flags)", "flag provided but not defined: -timout"},
		{"a subcommand's", []string{"--task-def", "x"}, subcommands, "--task-def is a flag of run: put it after the subcommand, as in valuefrom run --task-def ...", "flag provided but not defined: -task-def"},
		{"no subcommands", []string{"--task-def", "x"}, nil, "", "flag provided but not defined: -task-def"},
		{"unknown", []string{"--frobnicate"}, subcommands, "", "flag provided but not defined: -frobnicate"},
		{"duration of a setting", []string{"--timeout", canary}, nil, "", "--timeout (VALUEFROM_TIMEOUT): not a valid duration: a number and a unit, such as 30s or 2m"},
		{"whole number", []string{"--concurrency=" + canary}, nil, "", "--concurrency (VALUEFROM_CONCURRENCY): not a valid whole number"},
		{"boolean", []string{"--force=" + canary}, nil, "", "--force: not a valid boolean: true or false"},
		{"missing value", []string{"--format"}, nil, "", "flag needs an argument: -format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := newSet("valuefrom")
			parseErr := fs.Parse(tt.args)
			if parseErr == nil {
				t.Fatal("Parse did not fail")
			}
			hint, err := explainFlagError(fs, parseErr, tt.subcommands)
			if strings.Contains(err.Error(), canary) {
				t.Fatal("the error shows the flag's value")
			}
			if hint != tt.hint || err.Error() != tt.err {
				t.Errorf("FlagError = %q, %q; want %q, %q", hint, err, tt.hint, tt.err)
			}
		})
	}
}

func TestSubcommand(t *testing.T) {
	shared := flag.NewFlagSet("", flag.ContinueOnError)
	shared.Duration("timeout", 0, "`D` deadline")
	shared.Int("concurrency", 1, "`N` at once")
	fs := flag.NewFlagSet("valuefrom env", flag.ContinueOnError)
	fs.Duration("timeout", 0, "`D` deadline")
	fs.Int("concurrency", 1, "`N` at once")
	fs.String("format", "shell", "`F` shell or json")
	var b strings.Builder
	if err := writeSubcommandHelp(&b, "Usage: valuefrom env\n\nFlags:\n{{flags}}\nEnd.\n", fs, shared); err != nil {
		t.Fatal(err)
	}
	want := `Usage: valuefrom env

Flags:
  --format F           shell or json (default shell)
  --concurrency, --timeout: as for valuefrom itself (see valuefrom help settings)
  -h, --help           print this help and exit
End.
`
	if b.String() != want {
		t.Errorf("Subcommand wrote\n%s\nwant\n%s", b.String(), want)
	}
}

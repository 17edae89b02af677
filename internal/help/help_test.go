package help_test

import (
	"flag"
	"strings"
	"testing"

	"github.com/valuefrom/valuefrom/internal/help"
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
	help.Flags(&b, fs, func(f *flag.Flag) bool { return f.Name != "hidden" })
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
	if err := help.Fill(&b, "{{x}}\na\n{{x}}\nb {{y}}\n{{y}}\n", map[string]string{"x": "X\n", "y": "Y1\nY2\n"}); err != nil {
		t.Fatal(err)
	}
	if want := "X\na\n{{x}}\nb {{y}}\nY1\nY2\n"; b.String() != want {
		t.Errorf("Fill wrote %q, want %q", b.String(), want)
	}
}

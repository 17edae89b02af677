// Help texts: prose with lines filled in from code, such as a flag
// set's flags, so that what the code defines is written once.

package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// fillHelp writes text with each line "{{NAME}}" replaced by fill[NAME], which
// should end in a newline.
func fillHelp(w io.Writer, text string, fill map[string]string) error {
	for name, s := range fill {
		text = strings.Replace("\n"+text, "\n{{"+name+"}}\n", "\n"+s, 1)[1:]
	}
	_, err := io.WriteString(w, text)
	return err
}

// writeFlags writes a line for each flag of fs that show accepts, in name
// order: --NAME VALUE, its usage, wrapped at 90 columns, and its default
// unless that is the zero value (inside the usage's closing parenthesis,
// if it ends with one). VALUE is taken from a usage that starts
// with it in backquotes: "`FILE` read this file".
func writeFlags(w io.Writer, fs *flag.FlagSet, show func(*flag.Flag) bool) {
	fs.VisitAll(func(f *flag.Flag) {
		if show != nil && !show(f) {
			return
		}
		value, text := "", f.Usage
		if rest, ok := strings.CutPrefix(text, "`"); ok {
			value, text, _ = strings.Cut(rest, "` ")
		}
		switch def := f.DefValue; {
		case def == "" || def == "false" || def == "0" || def == "0s":
		case strings.HasSuffix(text, ")"):
			text = strings.TrimSuffix(text, ")") + ", default " + def + ")"
		default:
			text += " (default " + def + ")"
		}
		wrap(w, fmt.Sprintf("  %-20s ", strings.TrimSpace("--"+f.Name+" "+value)), text)
	})
}

// wrap writes prefix and text, wrapped at 90 columns, each further line
// indented as far as text starts.
func wrap(w io.Writer, prefix, text string) {
	line, indent := prefix, strings.Repeat(" ", len(prefix))
	for i, word := range strings.Fields(text) {
		switch {
		case i == 0:
			line += word
		case len(line)+1+len(word) > 90:
			fmt.Fprintln(w, line)
			line = indent + word
		default:
			line += " " + word
		}
	}
	fmt.Fprintln(w, line)
}

// dashH is the line for -h, which package flag defines itself.
const dashH = "  -h, --help           print this help and exit\n"

// writeSubcommandHelp writes a subcommand's help: text with its line {{flags}}
// filled by fs's flags that shared, those of the command itself, does not
// define, then a line that names the shared ones, then -h.
func writeSubcommandHelp(w io.Writer, text string, fs, shared *flag.FlagSet) error {
	var flags strings.Builder
	var names []string
	writeFlags(&flags, fs, func(f *flag.Flag) bool {
		if shared.Lookup(f.Name) != nil {
			names = append(names, "--"+f.Name)
		}
		return shared.Lookup(f.Name) == nil
	})
	wrap(&flags, "  ", strings.Join(names, ", ")+": as for valuefrom itself (see valuefrom help settings)")
	return fillHelp(w, text, map[string]string{"flags": flags.String() + dashH})
}

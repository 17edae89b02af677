package main

import (
	"embed"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/valuefrom/valuefrom/internal/pipeline"
	"github.com/valuefrom/valuefrom/internal/settings"
)

// The help texts' prose is in help/NAME.txt; what the code defines, the
// commands, flags and settings, is filled in at {{commands}}, {{flags}}
// and {{settings}}, each on a line of its own.
//
//go:embed help/*.txt
var helpFiles embed.FS

func writeHelp(w io.Writer, name string, fill map[string]string) {
	text, _ := helpFiles.ReadFile("help/" + name + ".txt")
	for k, v := range fill {
		text = []byte(strings.Replace(string(text), "{{"+k+"}}\n", v, 1))
	}
	w.Write(text)
}

// usage writes valuefrom -h.
func usage(w io.Writer, fs *flag.FlagSet) {
	var cmds, flags, table strings.Builder
	for _, c := range commands {
		fmt.Fprintf(&cmds, "  %-8s %s\n", c.name, c.summary)
	}
	writeFlags(&flags, fs, func(*flag.Flag) bool { return true })
	settings.Usage(&table)
	flags.WriteString(helpFlag)
	writeHelp(w, "valuefrom", map[string]string{"commands": cmds.String(), "flags": flags.String(), "settings": table.String()})
}

// help writes valuefrom NAME -h: the command's own flags in full, then the
// settings' flags it shares with valuefrom itself in a line.
func (c *command) help(w io.Writer) {
	fs, _ := c.flagSet(&pipeline.Options{})
	var flags strings.Builder
	var shared []string
	writeFlags(&flags, fs, func(f *flag.Flag) bool {
		if isSettingsFlag(f.Name) {
			shared = append(shared, "--"+f.Name)
		}
		return !isSettingsFlag(f.Name)
	})
	wrap(&flags, "  ", strings.Join(shared, ", ")+": as for valuefrom itself (see valuefrom -h)")
	flags.WriteString(helpFlag)
	writeHelp(w, c.name, map[string]string{"flags": flags.String()})
}

// isSettingsFlag reports whether name is a flag of Settings.Flags.
func isSettingsFlag(name string) bool {
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	new(settings.Settings).Flags(fs)
	return fs.Lookup(name) != nil
}

var settingRE = regexp.MustCompile(`\((VALUEFROM_[A-Z_]+)\)`)

// writeFlags writes a line for each flag of fs that show accepts, in
// name order: the flag, its VALUE (from a usage that starts "`VALUE` "),
// its usage and its default (the setting's, for a flag that overrides
// one).
func writeFlags(w io.Writer, fs *flag.FlagSet, show func(*flag.Flag) bool) {
	fs.VisitAll(func(f *flag.Flag) {
		if !show(f) {
			return
		}
		value, text := "", f.Usage
		if rest, ok := strings.CutPrefix(text, "`"); ok {
			value, text, _ = strings.Cut(rest, "` ")
		}
		if m := settingRE.FindStringSubmatch(text); m != nil && settings.Default(m[1]) != "" {
			text = strings.Replace(text, m[0], "("+m[1]+", default "+settings.Default(m[1])+")", 1)
		} else if m == nil && f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0s" {
			text += " (default " + f.DefValue + ")"
		}
		wrap(w, fmt.Sprintf("  %-20s ", strings.TrimSpace("--"+f.Name+" "+value)), text)
	})
}

const helpFlag = "  -h, --help           print this help and exit\n"

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

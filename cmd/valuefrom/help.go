package main

import (
	"embed"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/valuefrom/valuefrom/internal/pipeline"
	"github.com/valuefrom/valuefrom/internal/platform"
	"github.com/valuefrom/valuefrom/internal/settings"
)

// The help texts' prose is in help/NAME.txt, for valuefrom and each
// subcommand, and in help/topics/TOPIC.txt for valuefrom help TOPIC, whose
// first line is "valuefrom help TOPIC: what it covers"; what the code
// defines, the commands, flags, settings and topics, fills the lines
// {{commands}}, {{flags}}, {{settings}} and {{topics}}.
//
//go:embed help/*.txt help/topics/*.txt
var helpFiles embed.FS

// mostUsed are the flags valuefrom -h shows; valuefrom help settings shows
// them all.
var mostUsed = []string{"timeout", "log-format", "log-level", "env-file", "watch", "profile", "region"}

// usage writes valuefrom -h: one screen, which says where the rest is.
func usage(w io.Writer, fs *flag.FlagSet) {
	var cmds, flags, list strings.Builder
	for _, c := range commands {
		fmt.Fprintf(&cmds, "  %-8s %s\n", c.name, c.summary)
	}
	writeFlags(&flags, fs, func(f *flag.Flag) bool { return slices.Contains(mostUsed, f.Name) })
	for _, t := range topics() {
		fmt.Fprintf(&list, "  %-12s %s\n", t.name, t.summary)
	}
	text, _ := helpFiles.ReadFile("help/valuefrom.txt")
	fillHelp(w, string(text), map[string]string{"commands": cmds.String(), "flags": flags.String() + dashH, "topics": list.String()})
}

// A topic is a page of valuefrom help TOPIC.
type topic struct{ name, summary string }

// topics lists the help topics, from their files.
func topics() []topic {
	entries, _ := helpFiles.ReadDir("help/topics")
	var out []topic
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".txt")
		text, _ := helpFiles.ReadFile("help/topics/" + e.Name())
		first, _, _ := strings.Cut(string(text), "\n")
		_, summary, _ := strings.Cut(first, ": ")
		out = append(out, topic{name, summary})
	}
	return out
}

// writeTopic writes valuefrom help name, and reports whether there is
// such a topic. fs is valuefrom's own flag set, for the settings topic.
func writeTopic(w io.Writer, name string, fs *flag.FlagSet) bool {
	text, err := helpFiles.ReadFile("help/topics/" + name + ".txt")
	if err != nil {
		return false
	}
	var flags, table strings.Builder
	writeFlags(&flags, fs, nil)
	settings.Usage(&table)
	fillHelp(w, string(text), map[string]string{"flags": flags.String() + dashH, "settings": table.String(), "lambda": lambdaRules()})
	return true
}

// lambdaRules writes, for valuefrom help lambda, the defaults that differ
// on Lambda, as the code that applies them says.
func lambdaRules() string {
	lambda := platform.Platform{Lambda: true}
	var b strings.Builder
	wrap(&b, fmt.Sprintf("  %-12s ", "deadline"), fmt.Sprintf("%s by default (VALUEFROM_TIMEOUT), to fit the %s init phase with time left to report a failure",
		settings.DefaultTimeout(lambda), platform.InitPhase))
	wrap(&b, fmt.Sprintf("  %-12s ", "_FILE files"), "in a new private directory under "+lambda.FilesBase()+", the one place a function may write (VALUEFROM_FILES_DIR)")
	return b.String()
}

// help writes valuefrom NAME -h: the command's own flags, then in a line
// those it shares with valuefrom itself.
func (c *command) help(w io.Writer) {
	fs, _ := c.flagSet(&pipeline.Options{})
	shared := flag.NewFlagSet("", flag.ContinueOnError)
	new(settings.Settings).Flags(shared, resolveGroups...)
	text, _ := helpFiles.ReadFile("help/" + c.name + ".txt")
	writeSubcommandHelp(w, string(text), fs, shared)
}

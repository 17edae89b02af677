package main

import (
	"embed"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/valuefrom/valuefrom/internal/pipeline"
	"github.com/valuefrom/valuefrom/internal/settings"
)

// The help texts' prose is in help/NAME.txt; what the code defines, the
// commands, flags and settings, fills the lines {{commands}}, {{flags}}
// and {{settings}}.
//
//go:embed help/*.txt
var helpFiles embed.FS

// usage writes valuefrom -h.
func usage(w io.Writer, fs *flag.FlagSet) {
	var cmds, flags, table strings.Builder
	for _, c := range commands {
		fmt.Fprintf(&cmds, "  %-8s %s\n", c.name, c.summary)
	}
	writeFlags(&flags, fs, nil)
	settings.Usage(&table)
	text, _ := helpFiles.ReadFile("help/valuefrom.txt")
	fillHelp(w, string(text), map[string]string{"commands": cmds.String(), "flags": flags.String() + dashH, "settings": table.String()})
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

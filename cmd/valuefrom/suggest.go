package main

import (
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/valuefrom/valuefrom/exec"
	"github.com/valuefrom/valuefrom/internal/pipeline"
	"github.com/valuefrom/valuefrom/internal/settings"
	"github.com/valuefrom/valuefrom/resolver/reference"
)

// This file turns the habits of other command-line tools into what was
// meant: valuefrom help and valuefrom version, a misspelt subcommand, a
// misspelt flag, a flag's value that does not parse.

// notProgram answers a first argument that is neither a subcommand nor a
// program on PATH but that says what was meant: help [SUB] writes the
// help, version the version, and a name close to a subcommand's is a
// usage error suggesting it. A program of that name on PATH always wins.
// done reports whether it answered.
func notProgram(rest, environ []string, stdout io.Writer, fs *flag.FlagSet) (done bool, err error) {
	name := rest[0]
	near := settings.Nearest(name, commandNames())
	if name != "help" && name != "version" && near == "" {
		return false, nil
	}
	if path := exec.Getenv(environ, "PATH"); reference.Is(path) {
		return false, nil
	} else if _, err := exec.LookPath(name, path); err == nil {
		return false, nil
	}
	switch {
	case name == "version":
		printVersion(stdout)
		return true, nil
	case name == "help" && len(rest) == 1:
		usage(stdout, fs)
		return true, nil
	case name == "help":
		if c := lookupCommand(rest[1]); c != nil {
			c.help(stdout)
			return true, nil
		}
		hint := "valuefrom -h lists the subcommands"
		if near := settings.Nearest(rest[1], commandNames()); near != "" {
			hint = "did you mean valuefrom help " + near + "?"
		}
		return true, &pipeline.UsageError{Err: fmt.Errorf("help: no subcommand %s", quote(rest[1])), Hint: hint}
	}
	return true, &pipeline.UsageError{
		Err:  fmt.Errorf("no subcommand %s, and no program of that name on PATH", quote(name)),
		Hint: fmt.Sprintf("did you mean valuefrom %s? For a program, give its path or put it on PATH: valuefrom -- %s always runs a program", near, quote(name)),
	}
}

func commandNames() []string {
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = c.name
	}
	return names
}

// quote returns s as it may be shown in an error: as it is when it is
// plain, else Go-quoted.
func quote(s string) string {
	if plain.MatchString(s) {
		return s
	}
	return fmt.Sprintf("%q", s)
}

var (
	plain         = regexp.MustCompile(`^[A-Za-z0-9._/+-]+$`)
	undefinedFlag = regexp.MustCompile(`^flag provided but not defined: -+(.*)$`)
	invalidValue  = regexp.MustCompile(`(?s)^invalid (?:boolean )?value ".*" for (?:flag )?-(\S+): `)
)

// flagError turns an error of fs.Parse into a usage error: an unknown flag
// gets the nearest one, or the subcommands that have it, as a hint; a
// value that does not parse names the flag and its setting, if it has
// one, and what it should be, but not the value.
func flagError(fs *flag.FlagSet, err error) error {
	msg := err.Error()
	if m := undefinedFlag.FindStringSubmatch(msg); m != nil {
		return &pipeline.UsageError{Err: err, Hint: unknownFlagHint(fs, m[1])}
	}
	if m := invalidValue.FindStringSubmatch(msg); m != nil {
		if f := fs.Lookup(m[1]); f != nil {
			if want := kindOf(f); want != "" {
				return usagef("%s: not a valid %s", flagName(f), want)
			}
		}
	}
	return usageErr(err)
}

// unknownFlagHint says what was probably meant by the flag name that fs
// does not define.
func unknownFlagHint(fs *flag.FlagSet, name string) string {
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	if near := settings.Nearest(name, names); near != "" {
		return fmt.Sprintf("did you mean --%s? (%s -h lists the flags)", near, fs.Name())
	}
	if fs.Name() != "valuefrom" {
		return ""
	}
	var has []string
	for _, c := range commands {
		if cfs, _ := c.flagSet(&pipeline.Options{}); cfs.Lookup(name) != nil {
			has = append(has, c.name)
		}
	}
	if len(has) == 0 {
		return ""
	}
	return fmt.Sprintf("--%s is a flag of %s: put it after the subcommand, as in valuefrom %s --%s ...",
		name, strings.Join(has, ", "), has[0], name)
}

// flagName names f as errors do: "--timeout (VALUEFROM_TIMEOUT)" for a
// flag that overrides a setting, else "--ttl".
func flagName(f *flag.Flag) string {
	if _, key, ok := strings.Cut(f.Usage, "("+settings.Prefix); ok && strings.HasSuffix(key, ")") {
		return "--" + f.Name + " (" + settings.Prefix + strings.TrimSuffix(key, ")") + ")"
	}
	return "--" + f.Name
}

// kindOf says what f's value must be, or "" when its type does not say.
func kindOf(f *flag.Flag) string {
	g, ok := f.Value.(flag.Getter)
	if !ok {
		return ""
	}
	switch g.Get().(type) {
	case time.Duration:
		return "duration: a number and a unit, such as 30s or 2m"
	case int, int64, uint, uint64:
		return "whole number"
	case bool:
		return "boolean: true or false"
	}
	return ""
}

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"github.com/valuefrom/valuefrom/exec"
	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/pipeline"
	"github.com/valuefrom/valuefrom/internal/settings"
	"github.com/valuefrom/valuefrom/resolver/reference"
)

// This file turns the habits of other command-line tools into what was
// meant: valuefrom help and valuefrom version, a misspelt subcommand; and
// with flagerror.go a misspelt flag, a flag's value that does not parse.

// notFound reports whether err says that the program name was not found
// (in PATH, as the start looked it up).
func notFound(err error, name string) bool {
	var e *exec.Error
	return errors.As(err, &e) && e.Name == name && errors.Is(err, exec.ErrNotFound)
}

// notProgram answers a first argument that is neither a subcommand nor a
// program on PATH (the start found none: see notFound) but that says what
// was meant: help [SUB] writes the help, version the version, and a name
// close to a subcommand's is a usage error suggesting it. A program of
// that name on PATH always wins. done reports whether it answered.
func notProgram(rest []string, stdout io.Writer, fs *flag.FlagSet) (done bool, err error) {
	name := rest[0]
	near := settings.Nearest(name, commandNames())
	if name != "help" && name != "version" && near == "" {
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
		if writeTopic(stdout, rest[1], fs) {
			return true, nil
		}
		hint := "valuefrom -h lists the subcommands and topics"
		if near := settings.Nearest(rest[1], helpNames()); near != "" {
			hint = "did you mean valuefrom help " + near + "?"
		}
		return true, &exitcode.UsageError{Err: fmt.Errorf("help: no subcommand or topic %s", quote(rest[1])), Hint: hint}
	}
	return true, &exitcode.UsageError{
		Err:  fmt.Errorf("no subcommand %s, and no program of that name on PATH", quote(name)),
		Hint: fmt.Sprintf("did you mean valuefrom %s? For a program, give its path or put it on PATH: valuefrom -- %s always runs a program", near, quote(name)),
	}
}

// helpNames are what valuefrom help takes: the subcommands and the topics.
func helpNames() []string {
	names := commandNames()
	for _, t := range topics() {
		names = append(names, t.name)
	}
	return names
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

var plain = regexp.MustCompile(`^[A-Za-z0-9._/+-]+$`)

// flagError turns an error of fs.Parse into a usage error that says what
// was probably meant (see explainFlagError); valuefrom's own flags may be
// meant for a subcommand.
func flagError(fs *flag.FlagSet, err error) error {
	var subcommands []*flag.FlagSet
	if fs.Name() == "valuefrom" {
		for _, c := range commands {
			cfs, _ := c.flagSet(&pipeline.Options{})
			subcommands = append(subcommands, cfs)
		}
	}
	hint, err := explainFlagError(fs, err, subcommands)
	return &exitcode.UsageError{Err: err, Hint: hint}
}

// subcommandHint says what to do about err, a program not found, when the
// program, program[0], is named like one of valuefrom's subcommands: the
// image's ENTRYPOINT ends in "--", after which every argument is a
// program, so the subcommand was never run. It shows the --entrypoint
// form that runs it. It returns "" for any other program.
func subcommandHint(err error, program []string) string {
	if len(program) == 0 || !notFound(err, program[0]) || lookupCommand(program[0]) == nil {
		return ""
	}
	self, serr := os.Executable()
	if serr != nil {
		self = "valuefrom"
	}
	args := make([]string, len(program))
	for i, a := range program {
		args[i] = reference.QuoteName(a)
	}
	return fmt.Sprintf("%s is a valuefrom subcommand, but after \"--\" (as in ENTRYPOINT [\"%s\", \"--\"]) every argument is "+
		"a program: to run the subcommand, make valuefrom alone the entrypoint: docker run --entrypoint %s IMAGE %s "+
		"(in an ECS task definition, \"entryPoint\": [\"%s\"])", program[0], self, self, strings.Join(args, " "), self)
}

package main

import (
	"flag"
	"fmt"
	"regexp"
	"strings"

	"github.com/valuefrom/valuefrom/internal/settings"
)

var (
	undefinedFlag = regexp.MustCompile(`^flag provided but not defined: -+(.*)$`)
	invalidValue  = regexp.MustCompile(`(?s)^invalid (?:boolean )?value ".*" for (?:flag )?-(\S+): `)
)

// explainFlagError explains err, an error of fs.Parse, and returns it with what
// to do about it. A flag fs does not define gets the nearest one as the
// hint, or else the subcommands, by their flag sets, that have it. A value
// that does not parse becomes an error that names the flag, its setting
// if it has one, and what the value must be, but not the value. Other
// errors come back as they are, with no hint.
func explainFlagError(fs *flag.FlagSet, err error, subcommands []*flag.FlagSet) (hint string, explained error) {
	msg := err.Error()
	if m := undefinedFlag.FindStringSubmatch(msg); m != nil {
		return unknownFlagHint(fs, m[1], subcommands), err
	}
	if m := invalidValue.FindStringSubmatch(msg); m != nil {
		if f := fs.Lookup(m[1]); f != nil {
			if want := kindOf(f); want != "" {
				return "", fmt.Errorf("%s: not a valid %s", flagName(f), want)
			}
		}
	}
	return "", err
}

// unknownFlagHint says what was probably meant by the flag name that fs
// does not define.
func unknownFlagHint(fs *flag.FlagSet, name string, subcommands []*flag.FlagSet) string {
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	if near := settings.Nearest(name, names); near != "" {
		lists := fs.Name() + " -h"
		if fs.Name() == "valuefrom" {
			lists = "valuefrom help settings" // -h shows the most used
		}
		return fmt.Sprintf("did you mean --%s? (%s lists the flags)", near, lists)
	}
	var has []string
	for _, sub := range subcommands {
		if sub.Lookup(name) != nil {
			has = append(has, strings.TrimPrefix(sub.Name(), fs.Name()+" "))
		}
	}
	if len(has) == 0 {
		return ""
	}
	return fmt.Sprintf("--%s is a flag of %s: put it after the subcommand, as in %s %s --%s ...",
		name, strings.Join(has, ", "), fs.Name(), has[0], name)
}

// flagName names f as errors do: "--timeout (VALUEFROM_TIMEOUT)" for a
// flag that overrides a setting, else "--ttl".
func flagName(f *flag.Flag) string {
	if s, ok := f.Value.(interface{ Setting() string }); ok {
		return "--" + f.Name + " (" + s.Setting() + ")"
	}
	return "--" + f.Name
}

// kindOf says what f's value must be, or "" when its type does not say:
// a setting's flag says it as the setting's errors do.
func kindOf(f *flag.Flag) string {
	if k, ok := f.Value.(interface{ Kind() string }); ok {
		return k.Kind()
	}
	if g, ok := f.Value.(flag.Getter); ok {
		return settings.KindOf(g.Get())
	}
	return ""
}

package settings

import (
	"errors"
	"flag"
	"reflect"
	"slices"
	"time"

	"github.com/valuefrom/valuefrom/internal/envlist"
)

// A Group is the flags that a set of modes shares.
type Group string

// The groups of flags.
const (
	Common    Group = "common"    // every mode
	Resolve   Group = "resolve"   // every mode that resolves an environment: all but serve
	Input     Group = "input"     // the bulk inputs: every mode that resolves a start's references
	Watch     Group = "watch"     // --watch: run, render and the entrypoint
	Supervise Group = "supervise" // supervise mode's: run and the entrypoint
	Serve     Group = "serve"     // serve's
	Template  Group = "template"  // templates: run, the entrypoint, render and check
)

// Flags defines on fs the flags of the settings of groups, each
// overriding its setting in s, with s's values (the environment's) as the
// flags' values and each flag's DefValue the setting's default: what help
// texts show. Each usage starts with the name of its value in backquotes,
// as package flag reads it, and ends with the setting's name in
// parentheses. A flag's Value has a method Setting that names its setting.
func (s *Settings) Flags(fs *flag.FlagSet, groups ...Group) {
	v := reflect.ValueOf(s).Elem()
	for i, set := range all() {
		if set.flag == "" || !slices.Contains(groups, set.group) {
			continue
		}
		usage := set.usage + " (" + set.key + ")"
		if set.value != "" {
			usage = "`" + set.value + "` " + usage
		}
		fs.Var(&flagValue{field: v.Field(i), key: set.key, kind: set.kind(), repeat: set.list == "repeat", off: set.off}, set.flag, usage)
		fs.Lookup(set.flag).DefValue = set.def
	}
}

// A flagValue is the flag of a setting: it parses its value as the
// setting's variable would be parsed, into the same field.
type flagValue struct {
	field  reflect.Value
	key    string
	kind   string // what its value must be
	repeat bool   // each use adds one item, and the first replaces the list
	off    bool   // a duration that may be off
	given  bool
}

func (f *flagValue) Set(v string) error {
	if f.off && v == "off" {
		f.field.SetInt(int64(Off))
		return nil
	}
	if !f.repeat {
		if err := parse(f.field, v); err != nil {
			return errors.New("not a valid " + f.kind)
		}
		return nil
	}
	if !f.given {
		f.field.SetZero()
		f.given = true
	}
	f.field.Set(reflect.Append(f.field, reflect.ValueOf(v)))
	return nil
}

// String is empty: help shows the setting's default (DefValue), not the
// value the environment gave.
func (f *flagValue) String() string { return "" }

// Get returns the setting's value, for flag.Getter: what the value of a
// flag must be is said from its type.
func (f *flagValue) Get() any {
	if d, ok := f.field.Interface().(*time.Duration); ok {
		if d == nil {
			return time.Duration(0)
		}
		return *d
	}
	return f.field.Interface()
}

// IsBoolFlag makes a boolean setting's flag a switch: --mask is
// --mask=true.
func (f *flagValue) IsBoolFlag() bool { return f.field.Kind() == reflect.Bool }

// Kind says what the flag's value must be, as the setting's errors say it.
func (f *flagValue) Kind() string { return f.kind }

// Setting returns the name of the setting the flag overrides.
func (f *flagValue) Setting() string { return f.key }

// Unused returns the settings that environ sets (under their names or
// their old ones) but that no group of groups holds: a mode with those
// groups does not read them.
func Unused(environ []string, groups ...Group) []string {
	var unused []string
	for _, set := range all() {
		if slices.Contains(groups, set.group) {
			continue
		}
		for _, key := range []string{set.key, set.alias} {
			if _, ok := envlist.Lookup(environ, key); ok && key != "" {
				unused = append(unused, key)
			}
		}
	}
	return unused
}

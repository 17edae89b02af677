package preflight

import (
	"github.com/valuefrom/valuefrom/internal/envlist"
	"github.com/valuefrom/valuefrom/internal/settings"
)

// Problem codes of the rows of valuefrom's own settings.
const (
	CodeInvalidSetting = "InvalidSetting"
	CodeUnknownSetting = "UnknownSetting"
)

// settingRows returns a row for each VALUEFROM_* variable of environ that
// the entrypoint would stop at or ignore, by name: it reads them as the
// entrypoint does, with no flags, so a value it refuses is a failure (the
// container would exit 2 before resolving anything), as is a name so near a
// setting's that it must be a misspelling, and another name that is no
// setting a warning.
func settingRows(environ []string) map[string]*row {
	rows := map[string]*row{}
	add := func(name string) *row {
		if rows[name] == nil {
			rows[name] = &row{Row: Row{Var: name, Setting: true, Exists: NotApplicable, Version: NotApplicable, JSONKey: NotApplicable}}
		}
		return rows[name]
	}
	for _, p := range settings.Check(environ) {
		add(p.Var).problem(Fail, CodeInvalidSetting, p.Error(),
			"the entrypoint would exit 2 at start, before resolving anything: fix the value in the container's environment (valuefrom help settings lists them)")
	}
	for _, name := range settings.Unknown(environ) {
		if rows[name] != nil {
			continue // misspelt: a failure already
		}
		hint := "valuefrom help settings lists them"
		if near := settings.Closest(name); near != "" {
			hint = "did you mean " + near + "?"
		}
		add(name).problem(Warning, CodeUnknownSetting, "no such setting: the entrypoint ignores it", hint)
	}
	return rows
}

// isSettingName reports whether kv's name is one of valuefrom's variables.
func isSettingName(kv string) (string, bool) {
	name := envlist.Name(kv)
	return name, settings.IsSetting(name)
}

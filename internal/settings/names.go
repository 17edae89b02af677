package settings

import (
	"fmt"
	"strings"

	"github.com/valuefrom/valuefrom/internal/envlist"
	"github.com/valuefrom/valuefrom/internal/spell"
)

// Unknown returns the VALUEFROM_* names in environ that are no setting
// (nor a setting's old name), in environ's order, each once.
func Unknown(environ []string) []string {
	known := make(map[string]bool)
	for _, k := range keys() {
		known[k] = true
	}
	var unknown []string
	for _, kv := range environ {
		if name := envlist.Name(kv); IsSetting(name) && !known[name] {
			known[name] = true // once
			unknown = append(unknown, name)
		}
	}
	return unknown
}

// Closest returns the setting whose name is nearest to name, for a hint
// about a misspelt one, or "" when none is close (see Nearest).
func Closest(name string) string {
	if !IsSetting(name) {
		return ""
	}
	var suffixes []string
	for _, s := range all() {
		suffixes = append(suffixes, strings.TrimPrefix(s.key, Prefix))
	}
	if s := Nearest(strings.TrimPrefix(name, Prefix), suffixes); s != "" {
		return Prefix + s
	}
	return ""
}

// Misspelt returns, for each VALUEFROM_* name in environ that is no
// setting but one edit, or a singular for a plural, away from one (or
// from a setting's old name), an error naming the setting meant: such a
// name is a setting the user believes set, and a start without it would
// run the program without what it asked for. Names further off are
// Unknown's, for a warning.
func Misspelt(environ []string) []*VarError {
	var errs []*VarError
	for _, name := range Unknown(environ) {
		if meant := misspeltFor(name); meant != "" {
			errs = append(errs, &VarError{Var: name, Err: fmt.Errorf("%s is not a setting: did you mean %s?", name, Name(meant))})
		}
	}
	return errs
}

// misspeltFor returns the setting that name is a misspelling of, or "".
func misspeltFor(name string) string {
	for _, s := range all() {
		for _, key := range []string{s.key, s.alias} {
			if key != "" && (spell.Distance(name, key) <= 1 || singular(name) == singular(key)) {
				return s.key
			}
		}
	}
	return ""
}

// singular is name with every word of it in the singular, as far as an
// English plural's final S tells: VALUEFROM_SSM_PATHS is VALUEFROM_SSM_PATH.
func singular(name string) string {
	words := strings.Split(name, "_")
	for i, w := range words {
		if len(w) > 3 && strings.HasSuffix(w, "S") && !strings.HasSuffix(w, "SS") {
			words[i] = strings.TrimSuffix(w, "S")
		}
	}
	return strings.Join(words, "_")
}

// Nearest returns the candidate nearest to name, ignoring case, for a
// did-you-mean hint, or "" when none is close: a typo is at most one
// edit (an insertion, a deletion, a substitution or two letters swapped)
// for every three letters of the candidate, so that VALUEFROM_FOO is no
// typo of VALUEFROM_TTL.
func Nearest(name string, candidates []string) string {
	best, bestDist := "", 0
	for _, c := range candidates {
		d := spell.DistanceFold(name, c)
		if d <= max(1, len(c)/3) && (best == "" || d < bestDist) {
			best, bestDist = c, d
		}
	}
	return best
}

// Package envlist is valuefrom's one library of environment lists: the
// NAME=VALUE entries that os.Environ returns and syscall.Exec takes. A
// name may be set more than once; as in the shell and os.Getenv, the last
// entry wins.
package envlist

import "strings"

// Split returns the name and value of the entry kv; ok is false when kv
// has no "=", and then name is all of kv.
func Split(kv string) (name, value string, ok bool) {
	return strings.Cut(kv, "=")
}

// Name returns the name of the entry kv.
func Name(kv string) string {
	name, _, _ := Split(kv)
	return name
}

// Lookup returns the value of the last entry of name in env, and whether
// there is one.
func Lookup(env []string, name string) (string, bool) {
	prefix := name + "="
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], prefix); ok {
			return v, true
		}
	}
	return "", false
}

// Get returns the value of name in env, "" when it is not set.
func Get(env []string, name string) string {
	v, _ := Lookup(env, name)
	return v
}

// Getenv returns a function that gets a name's value from env, as
// os.Getenv does from the process's.
func Getenv(env []string) func(name string) string {
	return func(name string) string { return Get(env, name) }
}

// Names returns the set of names env sets.
func Names(env []string) map[string]bool {
	names := make(map[string]bool, len(env))
	for _, kv := range env {
		names[Name(kv)] = true
	}
	return names
}

// Set returns env with the values in set replacing those of the same
// names and the entries whose names drop reports removed (drop may be
// nil). The order of env is kept, and so is every other entry, byte for
// byte. A name of set that env lacks is not added (see Merge).
func Set(env []string, set map[string]string, drop func(name string) bool) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		name, _, ok := Split(kv)
		if drop != nil && drop(name) {
			continue
		}
		if v, replace := set[name]; ok && replace {
			kv = name + "=" + v
		}
		out = append(out, kv)
	}
	return out
}

// Merge returns base with the entries of over laid on it: an entry of
// over replaces the one of the same name in base, in place, and the rest
// are added at the end in over's order.
func Merge(base, over []string) []string {
	set := make(map[string]string, len(over))
	var order []string
	for _, kv := range over {
		name, v, _ := Split(kv)
		if _, dup := set[name]; !dup {
			order = append(order, name)
		}
		set[name] = v
	}
	out := Set(base, set, nil)
	have := Names(out)
	for _, name := range order {
		if !have[name] {
			out = append(out, name+"="+set[name])
		}
	}
	return out
}

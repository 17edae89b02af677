package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/sync/errgroup"

	"github.com/valuefrom/valuefrom/internal/awsapi"
	"github.com/valuefrom/valuefrom/internal/envfmt"
	"github.com/valuefrom/valuefrom/internal/envlist"
	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/readfile"
	"github.com/valuefrom/valuefrom/internal/settings"
	"github.com/valuefrom/valuefrom/resolver"
	"github.com/valuefrom/valuefrom/resolver/reference"
)

// Stdin is the name that reads an env file from standard input.
const Stdin = "-"

// A Path is an SSM path of o.Settings.SsmPath.
type Path struct {
	Path      string // without the RecursiveSuffix
	Recursive bool   // it ended in settings.RecursiveSuffix
}

// Paths returns o's SSM paths.
func (o Options) Paths() []Path {
	var paths []Path
	for _, p := range settings.Items(o.Settings.SsmPath) {
		path, recursive := strings.CutSuffix(p, settings.RecursiveSuffix)
		if path != "/" {
			path = strings.TrimSuffix(path, "/")
		}
		if path == "" {
			path = "/"
		}
		paths = append(paths, Path{Path: path, Recursive: recursive})
	}
	return paths
}

// JSONSecrets returns o's JSON secrets as requests, each for the variable
// settings.SecretJSONVar. Settings.Validate has checked that they parse.
func (o Options) JSONSecrets() []reference.Request {
	var reqs []reference.Request
	for _, s := range settings.Items(o.Settings.SecretJson) {
		ref, err := reference.Parse(s)
		if err == nil {
			reqs = append(reqs, reference.Request{Var: settings.SecretJSONVar, Ref: ref})
		}
	}
	return reqs
}

// HasBulk reports whether o reads SSM paths or JSON secrets.
func (o Options) HasBulk() bool {
	return len(settings.Items(o.Settings.SsmPath)) > 0 || len(settings.Items(o.Settings.SecretJson)) > 0
}

// VarName is the variable that a parameter's name under a path, or a JSON
// secret's key, sets: rest in upper case, with every character outside
// [A-Z0-9_] turned into "_" ("db-password" and "db/password" are
// DB_PASSWORD).
func VarName(rest string) string {
	return strings.Map(func(r rune) rune {
		r = unicode.ToUpper(r)
		if r == '_' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' {
			return r
		}
		return '_'
	}, rest)
}

// ReadEnvFiles returns environ with the variables of the env files of
// o.Settings.EnvFile beneath it: the environment wins over every file,
// and a later file over an earlier one. It also returns the names the
// files set. "-" reads o.Stdin (os.Stdin when nil), once. Reading stops
// at o.Settings.Timeout or when ctx is done. Every error is a *exitcode.UsageError
// naming the file; a line that does not parse is named by file and line,
// never with its value.
func (o Options) ReadEnvFiles(ctx context.Context, environ []string) ([]string, map[string]bool, error) {
	files := settings.Items(o.Settings.EnvFile)
	if len(files) == 0 {
		return environ, nil, nil
	}
	switch n := strings.Count(strings.Join(files, "\x00")+"\x00", Stdin+"\x00"); {
	case n > 1:
		return nil, nil, &exitcode.UsageError{Err: fmt.Errorf("%s (--env-file): standard input (-) is named %d times; it can be read once", settings.EnvFileVar, n)}
	case n == 1 && o.TaskDef == Stdin:
		return nil, nil, &exitcode.UsageError{Err: fmt.Errorf("%s (--env-file) and --task-def both name standard input (-); it can be read once", settings.EnvFileVar),
			Hint: "give one of them a file, such as --task-def <(aws ecs describe-task-definition ...)"}
	}
	ctx, cancel := withTimeout(ctx, o.Settings.Timeout)
	defer cancel()
	var merged []string
	names := map[string]bool{}
	for _, name := range files {
		vars, err := o.readEnvFile(ctx, name)
		if err != nil {
			return nil, nil, &exitcode.UsageError{Err: fmt.Errorf("%s (--env-file): %w", settings.EnvFileVar, err),
				Hint: "see `valuefrom help bulk` for the env file's grammar (that of `valuefrom env --format dotenv`)"}
		}
		// valuefrom's settings come from the environment and the flags,
		// read before any file: one in a file would be ignored, and the
		// program started without what it asked for.
		for _, kv := range vars {
			if setting := envlist.Name(kv); settings.IsSetting(setting) {
				return nil, nil, &exitcode.UsageError{Err: fmt.Errorf("%s (--env-file): %s sets %s, a setting of valuefrom's: settings are read from the environment and flags, not from env files", settings.EnvFileVar, fileLabel(name), setting),
					Hint: "set " + setting + " in the environment, or pass its flag (valuefrom help settings)"}
			}
		}
		maps.Copy(names, envlist.Names(vars))
		merged = envlist.Merge(merged, vars)
	}
	return envlist.Merge(merged, environ), names, nil
}

// fileLabel names the env file name in messages.
func fileLabel(name string) string {
	if name == Stdin {
		return "standard input"
	}
	return name
}

// MaxEnvFileSize is the most valuefrom reads of an env file: more than an
// environment can hold (Linux allows 128 KiB per variable and about 2 MiB
// for all of them together).
const MaxEnvFileSize = 1 << 20

// readEnvFile reads and parses one env file through readfile, giving up
// when ctx is done.
func (o Options) readEnvFile(ctx context.Context, name string) ([]string, error) {
	var (
		data []byte
		err  error
	)
	label := fileLabel(name)
	if name == Stdin {
		in := o.Stdin
		if in == nil {
			in = os.Stdin
		}
		data, err = readfile.ReadFrom(ctx, in, label, MaxEnvFileSize)
	} else {
		data, err = readfile.Read(ctx, name, MaxEnvFileSize)
	}
	if err != nil {
		return nil, err
	}
	return envfmt.ParseDotenv(bytes.NewReader(data), label)
}

// fetch resolves reqs and reads o's SSM paths and JSON secrets, all at
// once, with r. It returns the values of reqs and, after them, those the
// paths and JSON secrets set, sorted by name. A name set in environ is
// set there explicitly and wins: no path or JSON secret sets it. Every
// failure comes back in one resolver.Errors, and no value with it.
func (o Options) fetch(ctx context.Context, r *resolver.Resolver, reqs []reference.Request, environ []string) ([]resolver.Value, error) {
	jsonReqs := o.JSONSecrets()
	paths := o.Paths()
	var (
		values   []resolver.Value
		refErr   error
		pathVals = make([][]resolver.Parameter, len(paths))
		pathErrs = make([]error, len(paths))
		g        errgroup.Group
		allReqs  = slices.Concat(reqs, jsonReqs)
	)
	g.Go(func() error {
		if len(allReqs) > 0 {
			values, refErr = r.Resolve(ctx, allReqs)
		}
		return nil
	})
	for i, p := range paths {
		g.Go(func() error {
			pathVals[i], pathErrs[i] = r.ParametersByPath(ctx, "", p.Path, p.Recursive, true)
			return nil
		})
	}
	g.Wait()

	var errs resolver.Errors
	if re := (resolver.Errors)(nil); errors.As(refErr, &re) {
		errs = append(errs, re...)
	} else if refErr != nil {
		return nil, refErr
	}
	for i, err := range pathErrs {
		var e *resolver.Error
		if errors.As(err, &e) {
			e.Var = settings.SSMPathVar
			errs = append(errs, e)
		} else if err != nil {
			return nil, err
		}
		if err == nil && len(pathVals[i]) == 0 {
			o.Log().Warn("no parameters under the SSM path", "path", paths[i].Path, "recursive", paths[i].Recursive)
			if o.Settings.RequirePaths {
				errs = append(errs, &resolver.Error{Var: settings.SSMPathVar, Ref: pathRef(paths[i].Path), Code: awsapi.CodeEmptyPath,
					Err: errors.New("no parameters under the path")})
			}
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}

	bulk := Bulk{Paths: paths, Params: pathVals, Secrets: values[len(reqs):]}
	vars, bulkErrs := bulk.Vars(envlist.Names(environ), o.ToFile)
	if len(bulkErrs) > 0 {
		return nil, bulkErrs
	}
	return slices.Concat(values[:len(reqs)], vars), nil
}

// Bulk is what the bulk inputs read: the parameters under each SSM path,
// and the value of each JSON secret.
type Bulk struct {
	Paths   []Path
	Params  [][]resolver.Parameter // under each of Paths, in order
	Secrets []resolver.Value       // the JSON secrets' whole values
}

// Vars returns the variables that b sets, sorted by name: one per
// parameter, named by the rest of its name under its path, and one per
// top-level key of each JSON secret, each named as VarName makes it. A name
// in explicit is set explicitly, and wins: b does not set it. toFile, when
// set, says which names go to files of their own, where NUL bytes are
// fine. Every name that cannot be set is in the Errors, with its code: one
// that maps to no name or to a setting's (BadName), two that map to one
// (NameCollision), NUL bytes for the environment (BinaryValue), a JSON
// secret that is no JSON object (NotJSONObject). It is the one place these
// rules are applied: a start and valuefrom check both call it.
func (b Bulk) Vars(explicit map[string]bool, toFile func(string) bool) ([]resolver.Value, resolver.Errors) {
	n := namer{explicit: explicit, set: map[string]*resolver.Value{}, source: map[string]string{}, toFile: toFile}
	for i, p := range b.Paths {
		prefix := strings.TrimSuffix(p.Path, "/") + "/"
		for _, param := range b.Params[i] {
			n.add(VarName(strings.TrimPrefix(param.Name, prefix)), "parameter "+param.Name, pathRef(param.Name), []byte(param.Value), fmt.Sprint(param.Version))
		}
	}
	for _, v := range b.Secrets {
		fields, err := resolver.JSONFields(v.Value)
		if err != nil {
			err.Var, err.Ref = settings.SecretJSONVar, v.Ref
			n.errs = append(n.errs, err)
			continue
		}
		for _, f := range fields {
			n.add(VarName(f.Key), fmt.Sprintf("key %q of %q", f.Key, v.Ref.String()), v.Ref, f.Value, v.VersionID)
		}
	}
	if len(n.errs) > 0 {
		return nil, n.errs
	}
	var out []resolver.Value
	for _, name := range slices.Sorted(maps.Keys(n.set)) {
		out = append(out, *n.set[name])
	}
	return out, nil
}

// A namer collects the variables that paths and JSON secrets set.
type namer struct {
	explicit map[string]bool
	set      map[string]*resolver.Value
	source   map[string]string // what set each name, for collisions
	toFile   func(string) bool
	errs     resolver.Errors
}

func (n *namer) add(name, source string, ref reference.Ref, value []byte, version string) {
	fail := func(code, format string, a ...any) {
		n.errs = append(n.errs, &resolver.Error{Var: name, Ref: ref, Code: code, Err: fmt.Errorf(format, a...)})
	}
	switch {
	case n.explicit[name]:
		return
	case name == "" || strings.Trim(name, "_") == "":
		fail(awsapi.CodeBadName, "%s maps to no variable name", source)
	case settings.IsSetting(name):
		fail(awsapi.CodeBadName, "%s maps to %s, a name valuefrom keeps for its settings", source, name)
	case n.source[name] != "":
		fail(awsapi.CodeNameCollision, "%s and %s both map to %s", n.source[name], source, name)
	case slices.Contains(value, 0) && (n.toFile == nil || !n.toFile(name)):
		fail(awsapi.CodeBinary, "%s: the value holds NUL bytes, which an environment variable cannot", source)
	default:
		n.source[name] = source
		n.set[name] = &resolver.Value{Var: name, Ref: ref, Value: value, VersionID: version}
	}
}

// pathRef is the reference ssm:NAME, for errors and logs.
func pathRef(name string) reference.Ref {
	ref, _ := reference.Parse("ssm:" + name)
	return ref
}

// withNames returns environ with an empty entry added for each value's
// variable that it lacks, those of paths and JSON secrets, for the values
// to be laid over: envlist.Set, which builds the program's environment,
// replaces entries and adds none.
func withNames(environ []string, values []resolver.Value) []string {
	have := envlist.Names(environ)
	out := slices.Clip(environ)
	for _, v := range values {
		if !have[v.Var] {
			out = append(out, v.Var+"=")
		}
	}
	return out
}

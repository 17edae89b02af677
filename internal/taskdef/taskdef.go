// Package taskdef owns reading ECS task definitions for use outside ECS:
// the three JSON shapes people have at hand, the choice of a container,
// and turning that container's environment and secrets into variables and
// references, with ECS's precedence (Overlay lays them over an
// environment). It knows nothing of AWS's SDK: it reads JSON as people
// keep it, and the pipeline, its one caller, decides what to resolve.
package taskdef

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/readfile"
	"github.com/valuefrom/valuefrom/internal/spell"
	"github.com/valuefrom/valuefrom/resolver/reference"
)

// A Container is the part of an ECS container definition valuefrom uses.
type Container struct {
	Name        string   `json:"name"`
	Environment []Pair   `json:"environment"`
	Secrets     []Secret `json:"secrets"`
	// EnvironmentFiles are read so that they can be named: valuefrom does
	// not fetch them from S3, so their variables are not applied.
	EnvironmentFiles []EnvironmentFile `json:"environmentFiles"`
}

// EnvironmentFile is an entry of a container's environmentFiles: an
// object in S3 holding VAR=VALUE lines.
type EnvironmentFile struct {
	Value string `json:"value"` // the object's ARN
	Type  string `json:"type"`  // s3
}

// Unapplied returns the ARNs of the container's environment files, which
// valuefrom does not read: what ECS would set from them is missing.
func (c *Container) Unapplied() []string {
	arns := make([]string, len(c.EnvironmentFiles))
	for i, f := range c.EnvironmentFiles {
		arns[i] = f.Value
	}
	return arns
}

// Pair is an entry of a container's environment.
type Pair struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Secret is an entry of a container's secrets.
type Secret struct {
	Name      string `json:"name"`
	ValueFrom string `json:"valueFrom"`
}

// MaxSize is the most Load reads. ECS registers task definitions of up to
// 64 KiB; the output of describe-task-definition adds the ARN, revision,
// status, registration details and tags, and the AWS CLI indents it, which
// can double a definition's size. 1 MiB leaves room for all of that and
// stops a wrong file (a log, a device) before it fills the memory.
const MaxSize = 1 << 20

// Stdin is the path that names standard input.
const Stdin = "-"

// Load reads a task definition from path, which may also be a FIFO such as
// <(aws ecs describe-task-definition ...), or standard input when path is
// Stdin (see Parse). It reads at most MaxSize bytes, else returns a
// *readfile.TooLargeError, and returns early with an error wrapping
// context.Cause(ctx) when ctx ends. With an Errors, as Parse, it returns
// the container's well-formed entries too.
func Load(ctx context.Context, path, container string) (*Container, error) {
	name := path
	if path == Stdin {
		name = "/dev/stdin" // opened anew, so a pipe is read as readfile reads a FIFO
	}
	data, err := readfile.Read(ctx, name, MaxSize)
	if err != nil {
		if path == Stdin {
			return nil, fmt.Errorf("reading the task definition from standard input: %w", err)
		}
		return nil, err
	}
	if path == Stdin {
		path = "standard input"
	}
	c, err := Parse(data, container)
	var bad Errors
	switch {
	case errors.As(err, &bad):
		for _, e := range bad {
			e.File = path
		}
		return c, bad
	case err != nil:
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Accepted says which shapes Parse reads, for errors.
const Accepted = "valuefrom reads the output of aws ecs describe-task-definition (or the taskDefinition in it), " +
	"a register-task-definition input, a container-definitions array (Terraform's container_definitions), " +
	"or one container definition"

// Parse reads a task definition in any of the shapes Accepted names, and
// returns the container named container; with an empty name, the only
// container, or an error listing the names when there are several. The
// keys of the JSON are matched as encoding/json (and so Terraform) does:
// without regard to case.
//
// An entry of the container's environment or secrets that ECS would
// refuse is an error, never dropped or read as something else: an
// environment entry with valueFrom (a secret put in the wrong list), an
// unknown key, a value that is no string, an entry with no name. Parse
// then returns the container with its well-formed entries and an Errors
// of all the others, so that check can report every one. Every other
// error is a sentence that names where in the document the problem is
// and, when the document is no task definition, what is accepted; none
// quotes a value.
func Parse(data []byte, container string) (*Container, error) {
	if !json.Valid(data) {
		var v any
		return nil, syntaxError(data, json.Unmarshal(data, &v))
	}
	list, at, err := definitions(bytes.TrimSpace(data))
	if err != nil {
		return nil, err
	}
	objs := make([]map[string]json.RawMessage, len(list))
	names := make([]string, len(list))
	shown := make([]string, len(list)) // escaped, for errors
	for i, raw := range list {
		if kindOf(raw) != object {
			return nil, fmt.Errorf("%s is %s, where a container definition is an object: %s", at(i), kindOf(raw), Accepted)
		}
		json.Unmarshal(raw, &objs[i])
		if name, ok := lookup(objs[i], "name"); ok {
			if kindOf(name) != str {
				return nil, fmt.Errorf("%s: its name is %s, where ECS takes a string", at(i), kindOf(name))
			}
			json.Unmarshal(name, &names[i])
		}
		shown[i] = reference.QuoteName(names[i])
	}
	i := 0
	if container == "" {
		if len(list) > 1 {
			return nil, fmt.Errorf("the task definition has %d containers (%s): choose one with --container", len(list), strings.Join(shown, ", "))
		}
	} else if i = slices.Index(names, container); i < 0 {
		return nil, fmt.Errorf("no container named %q: the task definition has %s", container, strings.Join(shown, ", "))
	}
	return decode(objs[i], names[i])
}

// JSON kinds, as errors name them.
const (
	object  = "an object"
	array   = "an array"
	str     = "a string"
	null    = "null"
	boolean = "true or false"
	number  = "a number"
)

// kindOf names the kind of a valid JSON value.
func kindOf(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return null
	}
	switch raw[0] {
	case '{':
		return object
	case '[':
		return array
	case '"':
		return str
	case 'n':
		return null
	case 't', 'f':
		return boolean
	}
	return number
}

// lookup returns the member of m named key, matched as encoding/json
// matches a struct field: the exact key, else one equal under case
// folding.
func lookup(m map[string]json.RawMessage, key string) (json.RawMessage, bool) {
	if v, ok := m[key]; ok {
		return v, true
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if strings.EqualFold(k, key) {
			return m[k], true
		}
	}
	return nil, false
}

// definitions returns the container definitions of a document and a
// function that says where the i-th is, for errors.
func definitions(doc json.RawMessage) ([]json.RawMessage, func(int) string, error) {
	var list []json.RawMessage
	var path string
	switch kindOf(doc) {
	case array:
		json.Unmarshal(doc, &list)
		if len(list) == 0 {
			return nil, nil, fmt.Errorf("no container definitions: the array is empty")
		}
		return list, func(i int) string { return fmt.Sprintf("container definition %d of the array", i) }, nil
	case object:
	default:
		return nil, nil, fmt.Errorf("the document is %s, not a task definition: %s", kindOf(doc), Accepted)
	}
	var m map[string]json.RawMessage
	json.Unmarshal(doc, &m)
	raw, ok := lookup(m, "containerDefinitions")
	path = "containerDefinitions"
	if td, wrapped := lookup(m, "taskDefinition"); wrapped {
		if kindOf(td) != object {
			return nil, nil, fmt.Errorf("taskDefinition is %s, where aws ecs describe-task-definition prints an object: %s", kindOf(td), Accepted)
		}
		var inner map[string]json.RawMessage
		json.Unmarshal(td, &inner)
		raw, ok = lookup(inner, "containerDefinitions")
		path = "taskDefinition.containerDefinitions"
		if !ok {
			return nil, nil, fmt.Errorf("taskDefinition has no containerDefinitions: %s", Accepted)
		}
	}
	if !ok {
		for _, k := range []string{"name", "image", "environment", "secrets", "environmentFiles"} {
			if _, one := lookup(m, k); one {
				return []json.RawMessage{doc}, func(int) string { return "the container definition" }, nil
			}
		}
		return nil, nil, fmt.Errorf("no container definitions: %s", Accepted)
	}
	if kindOf(raw) != array {
		return nil, nil, fmt.Errorf("%s is %s, where it is an array of container definitions: %s", path, kindOf(raw), Accepted)
	}
	json.Unmarshal(raw, &list)
	if len(list) == 0 {
		return nil, nil, fmt.Errorf("no container definitions: %s is empty", path)
	}
	return list, func(i int) string { return fmt.Sprintf("%s[%d]", path, i) }, nil
}

// The keys of the entries ECS takes in a container's lists, and of the
// lists themselves.
var (
	environmentKeys = []string{"name", "value"}
	secretKeys      = []string{"name", "valueFrom"}
	fileKeys        = []string{"value", "type"}
	listKeys        = []string{"environment", "secrets", "environmentFiles"}
)

// decode turns a container definition into a Container, with an Errors
// of every entry ECS would refuse.
func decode(m map[string]json.RawMessage, name string) (*Container, error) {
	c := &Container{Name: name}
	var errs Errors
	bad := func(list string, i int, v, format string, a ...any) {
		errs = append(errs, &EntryError{Container: name, List: list, Index: i, Var: v, Reason: fmt.Sprintf(format, a...)})
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		for _, want := range listKeys {
			if !strings.EqualFold(k, want) && spell.DistanceFold(k, want) <= 2 {
				bad(k, -1, "", "is no key of a container definition that ECS knows: did you mean %s? (as written, its entries are dropped)", want)
			}
		}
	}
	for _, x := range entries(m, "environment", bad) {
		i, e := x.i, x.e
		v, reason := entry(e, environmentKeys, "valueFrom")
		switch {
		case reason != "":
			bad("environment", i, v["name"], "%s", reason)
		case v["valueFrom"] != "" || hasKey(e, "valueFrom"):
			bad("environment", i, v["name"], "has valueFrom, which ECS reads only in secrets: move the entry to the container's secrets")
		default:
			c.Environment = append(c.Environment, Pair{Name: v["name"], Value: v["value"]})
		}
	}
	for _, x := range entries(m, "secrets", bad) {
		i, e := x.i, x.e
		v, reason := entry(e, secretKeys, "value")
		switch {
		case reason != "":
			bad("secrets", i, v["name"], "%s", reason)
		case v["valueFrom"] == "" && hasKey(e, "value"):
			bad("secrets", i, v["name"], "has value, which ECS reads only in environment: a secret has valueFrom, a reference")
		case v["valueFrom"] == "":
			bad("secrets", i, v["name"], "has no valueFrom: a secret has name and valueFrom, a reference")
		default:
			c.Secrets = append(c.Secrets, Secret{Name: v["name"], ValueFrom: v["valueFrom"]})
		}
	}
	for _, x := range entries(m, "environmentFiles", bad) {
		i, e := x.i, x.e
		v, reason := entry(e, fileKeys)
		if reason != "" {
			bad("environmentFiles", i, "", "%s", reason)
			continue
		}
		c.EnvironmentFiles = append(c.EnvironmentFiles, EnvironmentFile{Value: v["value"], Type: v["type"]})
	}
	if errs != nil {
		return c, errs
	}
	return c, nil
}

// entries returns the entries of the container's list called key, each a
// JSON object's members, reporting with bad a list or an entry that is
// not what ECS takes. An entry that is no object is left out.
func entries(m map[string]json.RawMessage, key string, bad func(list string, i int, v, format string, a ...any)) []indexed {
	raw, ok := lookup(m, key)
	if !ok || kindOf(raw) == null {
		return nil
	}
	if kindOf(raw) != array {
		bad(key, -1, "", "is %s, where ECS takes an array of objects", kindOf(raw))
		return nil
	}
	var list []json.RawMessage
	json.Unmarshal(raw, &list)
	var out []indexed
	for i, e := range list {
		if kindOf(e) != object {
			bad(key, i, "", "is %s, where ECS takes an object", kindOf(e))
			continue
		}
		var obj map[string]json.RawMessage
		json.Unmarshal(e, &obj)
		out = append(out, indexed{i, obj})
	}
	return out
}

// indexed is an entry of a list, and its index there.
type indexed struct {
	i int
	e map[string]json.RawMessage
}

// entry reads the string members of an entry whose keys are keys, and
// extra, keys of another list that the caller reports as an error of its
// own (valueFrom in environment). It returns them by their canonical key,
// and a reason when a key is unknown, given twice, or holds no string,
// and when keys start with name and there is none. The name is read
// first, so that a reason can be reported under it.
func entry(e map[string]json.RawMessage, keys []string, extra ...string) (map[string]string, string) {
	v := map[string]string{}
	if raw, ok := lookup(e, "name"); ok && kindOf(raw) == str {
		var s string
		json.Unmarshal(raw, &s)
		v["name"] = s
	}
	seen := map[string]string{}
	var unknown []string
	for _, k := range slices.Sorted(maps.Keys(e)) {
		canon := ""
		for _, want := range slices.Concat(keys, extra) {
			if strings.EqualFold(k, want) {
				canon = want
				break
			}
		}
		if canon == "" {
			unknown = append(unknown, k)
			continue
		}
		if prev, dup := seen[canon]; dup {
			return v, fmt.Sprintf("has the keys %q and %q, one key of ECS's in two spellings", prev, k)
		}
		seen[canon] = k
		if kindOf(e[k]) != str {
			return v, fmt.Sprintf("its %s is %s, where ECS takes a string", canon, kindOf(e[k]))
		}
		var s string
		json.Unmarshal(e[k], &s)
		v[canon] = s
	}
	if len(unknown) > 0 {
		msg := fmt.Sprintf("has the key %q, which ECS does not know: the entry has %s", unknown[0], strings.Join(keys, " and "))
		for _, want := range slices.Concat(keys, extra) {
			if spell.DistanceFold(unknown[0], want) <= 2 {
				msg += "; did you mean " + want + "?"
				break
			}
		}
		return v, msg
	}
	if keys[0] == "name" && v["name"] == "" {
		return v, "has no name"
	}
	return v, ""
}

// hasKey reports whether an entry has key, in any case.
func hasKey(e map[string]json.RawMessage, key string) bool {
	_, ok := lookup(e, key)
	return ok
}

// syntaxError turns a JSON syntax error into one that says where, by line
// and column, without quoting the document.
func syntaxError(data []byte, err error) error {
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return fmt.Errorf("not valid JSON: %w", err)
	}
	// Offset counts the bytes read, the offending one included.
	off := max(se.Offset-1, 0)
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := int(off) - bytes.LastIndexByte(data[:off], '\n')
	return fmt.Errorf("line %d, column %d: %s", line, col, se.Error())
}

// EntryError is an entry of a container's environment, secrets or
// environmentFiles that ECS would refuse, or a list that is not one.
// Like a malformed reference, it ends a run with exit code 3.
type EntryError struct {
	File      string // the task definition, as named; "" when not read from a file
	Container string
	List      string // environment, secrets, environmentFiles, or a misspelt key of the container
	Index     int    // the entry's index in List; -1 for the list itself
	Var       string // the entry's name, when it has one
	Reason    string
}

func (e *EntryError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File + ": ")
	}
	fmt.Fprintf(&b, "container %s: %s", reference.QuoteName(e.Container), e.Where())
	if e.Var != "" {
		b.WriteString(" " + reference.QuoteName(e.Var))
	}
	b.WriteString(": " + e.Reason)
	return b.String()
}

// Where says where the entry is in the container: environment[2],
// secrets, ...
func (e *EntryError) Where() string {
	if e.Index < 0 {
		return e.List
	}
	return fmt.Sprintf("%s[%d]", e.List, e.Index)
}

// ExitCode is that of a malformed reference, 3.
func (e *EntryError) ExitCode() int { return exitcode.Syntax }

// Errors is every entry of a container that ECS would refuse, in the
// order of the container's lists.
type Errors []*EntryError

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// ExitCode is that of a malformed reference, 3.
func (es Errors) ExitCode() int { return exitcode.Syntax }

// Reference returns the reference a secret's valueFrom stands for: itself
// when it is a reference, otherwise, as in ECS, the name of an SSM
// parameter in the default region.
func Reference(valueFrom string) string {
	if reference.Is(valueFrom) {
		return valueFrom
	}
	return "ssm:" + valueFrom
}

// Environ returns the container's variables as NAME=VALUE entries: its
// environment, then its secrets as references. As in ECS, a secret wins
// over an environment entry of the same name.
func (c *Container) Environ() []string {
	secret := make(map[string]bool, len(c.Secrets))
	for _, s := range c.Secrets {
		secret[s.Name] = true
	}
	var env []string
	for _, p := range c.Environment {
		if !secret[p.Name] {
			env = append(env, p.Name+"="+p.Value)
		}
	}
	for _, s := range c.Secrets {
		env = append(env, s.Name+"="+Reference(s.ValueFrom))
	}
	return env
}

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
	"slices"
	"strings"

	"github.com/valuefrom/valuefrom/internal/readfile"
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
// context.Cause(ctx) when ctx ends.
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
	c, err := Parse(data, container)
	if err != nil {
		if path == Stdin {
			path = "standard input"
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Parse reads a task definition in any of three shapes: the output of
// `aws ecs describe-task-definition` ({"taskDefinition": {...}}), the input
// of `aws ecs register-task-definition` ({"containerDefinitions": [...]}),
// or a single container definition ({"name": ..., "environment": ...}). It
// returns the container named container; with an empty name, the only
// container, or an error listing the names when there are several.
func Parse(data []byte, container string) (*Container, error) {
	var doc struct {
		TaskDefinition *struct {
			ContainerDefinitions []Container `json:"containerDefinitions"`
		} `json:"taskDefinition"`
		ContainerDefinitions []Container `json:"containerDefinitions"`
		Container
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, syntaxError(data, err)
	}
	var list []Container
	switch {
	case doc.TaskDefinition != nil:
		list = doc.TaskDefinition.ContainerDefinitions
	case doc.ContainerDefinitions != nil:
		list = doc.ContainerDefinitions
	case doc.Name != "" || doc.Environment != nil || doc.Secrets != nil || doc.EnvironmentFiles != nil:
		list = []Container{doc.Container}
	}
	if len(list) == 0 {
		return nil, errors.New("no container definitions: expected the output of aws ecs describe-task-definition, a register-task-definition input, or one container definition")
	}
	names := make([]string, len(list))
	shown := make([]string, len(list)) // escaped, for errors
	for i, c := range list {
		names[i] = c.Name
		shown[i] = reference.QuoteName(c.Name)
	}
	if container == "" {
		if len(list) > 1 {
			return nil, fmt.Errorf("the task definition has %d containers (%s): choose one with --container", len(list), strings.Join(shown, ", "))
		}
		return validate(&list[0])
	}
	i := slices.Index(names, container)
	if i < 0 {
		return nil, fmt.Errorf("no container named %q: the task definition has %s", container, strings.Join(shown, ", "))
	}
	return validate(&list[i])
}

func validate(c *Container) (*Container, error) {
	for i, s := range c.Secrets {
		if s.Name == "" || s.ValueFrom == "" {
			return nil, fmt.Errorf("container %q: secrets[%d] needs both name and valueFrom", c.Name, i)
		}
	}
	for i, p := range c.Environment {
		if p.Name == "" {
			return nil, fmt.Errorf("container %q: environment[%d] has no name", c.Name, i)
		}
	}
	return c, nil
}

// syntaxError turns a JSON error into one that says where, by line and
// column, without quoting the document.
func syntaxError(data []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var off int64
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
		err = fmt.Errorf("%s has the wrong type (want %s)", te.Field, te.Type)
	default:
		return fmt.Errorf("not valid JSON: %w", err)
	}
	// Offset counts the bytes read, the offending one included.
	off = max(off-1, 0)
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := int(off) - bytes.LastIndexByte(data[:off], '\n')
	if se != nil {
		err = errors.New(se.Error())
	}
	return fmt.Errorf("line %d, column %d: %w", line, col, err)
}

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

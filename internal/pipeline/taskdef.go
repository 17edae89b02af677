package pipeline

import (
	"errors"
	"strings"

	"github.com/valuefrom/valuefrom/exec"
	"github.com/valuefrom/valuefrom/internal/settings"
	"github.com/valuefrom/valuefrom/internal/taskdef"
)

// Overlay lays the variables of the container o.Container of the ECS task
// definition at o.TaskDef over environ, as ECS would set them (the
// container's win), and returns the result with the names the container
// set. Without o.TaskDef it returns environ as it is. The container's
// VALUEFROM_IGNORE is added to o.Settings.Ignore, so that what ECS would
// pass through untouched is passed through here too; its other settings
// are not applied. Every error is a *UsageError.
func (o *Options) Overlay(environ []string) ([]string, map[string]bool, error) {
	if o.TaskDef == "" {
		if o.Container != "" {
			return nil, nil, &UsageError{Err: errors.New("--container needs --task-def")}
		}
		return environ, nil, nil
	}
	c, err := taskdef.Load(o.TaskDef, o.Container)
	if err != nil {
		return nil, nil, &UsageError{Err: err}
	}
	if files := c.Unapplied(); len(files) > 0 {
		o.logger().Warn("the container's environmentFiles are not applied: valuefrom does not read S3; their variables are missing here",
			"container", c.Name, "environment_files", files)
	}
	vars := c.Environ()
	own := make(map[string]bool, len(vars))
	for _, kv := range vars {
		name, _, _ := strings.Cut(kv, "=")
		own[name] = true
	}
	if ignore := exec.Getenv(vars, settings.Prefix+"IGNORE"); ignore != "" {
		o.Settings.Ignore = append(o.Settings.Ignore, strings.Split(ignore, ",")...)
	}
	return exec.Merge(environ, vars), own, nil
}

// Vars returns the variables to look for references in: with o.TaskDef the
// container's alone (see Overlay), else environ.
func (o *Options) Vars(environ []string) ([]string, error) {
	if o.TaskDef != "" {
		environ = nil
	}
	vars, _, err := o.Overlay(environ)
	return vars, err
}

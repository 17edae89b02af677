package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/valuefrom/valuefrom/exec"
	"github.com/valuefrom/valuefrom/internal/readfile"
	"github.com/valuefrom/valuefrom/internal/settings"
	"github.com/valuefrom/valuefrom/internal/taskdef"
)

// Overlay lays the variables of the container o.Container of the ECS task
// definition at o.TaskDef over environ, as ECS would set them (the
// container's win), and returns the result with the names the container
// set. Without o.TaskDef it returns environ as it is. The container's
// VALUEFROM_IGNORE is added to o.Settings.Ignore, so that what ECS would
// pass through untouched is passed through here too; its other settings
// are not applied. Every error is a *UsageError, but that of ctx ending
// while the file is read (it may be a FIFO) and a taskdef.Errors, the
// container's entries that ECS would refuse (exit 3): with that error,
// the result holds the container's other variables, for check to
// examine.
func (o *Options) Overlay(ctx context.Context, environ []string) ([]string, map[string]bool, error) {
	if o.TaskDef == "" {
		if o.Container != "" {
			return nil, nil, &UsageError{Err: errors.New("--container needs --task-def")}
		}
		return environ, nil, nil
	}
	c, err := taskdef.Load(ctx, o.TaskDef, o.Container)
	var tooLarge *readfile.TooLargeError
	var refused taskdef.Errors
	switch {
	case ctx.Err() != nil:
		return nil, nil, err
	case errors.As(err, &refused):
		err = refused
	case errors.As(err, &tooLarge):
		return nil, nil, &UsageError{Err: fmt.Errorf("--task-def %s: larger than %s, the most valuefrom reads (ECS allows 64 KiB)", o.TaskDef, readfile.Size(tooLarge.Limit)),
			Hint: "give --task-def the JSON of a task definition, as aws ecs describe-task-definition prints it"}
	case err != nil:
		return nil, nil, &UsageError{Err: err}
	}
	if refused == nil {
		err = nil // not a nil Errors in an error
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
	return exec.Merge(environ, vars), own, err
}

// Vars returns the variables to look for references in: with o.TaskDef the
// container's alone (see Overlay, whose taskdef.Errors it returns with
// the container's other variables), else environ.
func (o *Options) Vars(ctx context.Context, environ []string) ([]string, error) {
	if o.TaskDef != "" {
		environ = nil
	}
	vars, _, err := o.Overlay(ctx, environ)
	return vars, err
}

package pipeline

import (
	"context"
	"errors"
	"strings"

	"github.com/valuefrom/valuefrom/internal/envlist"
	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/settings"
	"github.com/valuefrom/valuefrom/internal/taskdef"
)

// Overlay lays the variables of the container o.Container of the ECS task
// definition at o.TaskDef over environ (see taskdef.Overlay) and returns
// the result with the names the container set. Without o.TaskDef it
// returns environ as it is. The container's
// VALUEFROM_IGNORE is added to o.Settings.Ignore, so that what ECS would
// pass through untouched is passed through here too; its other settings
// are not applied. Every error is a *exitcode.UsageError, but that of ctx
// ending while the file is read (it may be a FIFO) and a taskdef.Errors,
// the container's entries that ECS would refuse (exit 3): with that
// error, the result holds the container's other variables, for check to
// examine.
func (o *Options) Overlay(ctx context.Context, environ []string) ([]string, map[string]bool, error) {
	if o.TaskDef == "" {
		if o.Container != "" {
			return nil, nil, &exitcode.UsageError{Err: errors.New("--container needs --task-def")}
		}
		return environ, nil, nil
	}
	environ, c, err := taskdef.Overlay(ctx, o.TaskDef, o.Container, environ, o.Log())
	var refused taskdef.Errors
	if err != nil && !errors.As(err, &refused) {
		return nil, nil, err
	}
	vars := c.Environ()
	own := envlist.Names(vars)
	if ignore := envlist.Get(vars, settings.VarOf("Ignore")); ignore != "" {
		o.Settings.Ignore = append(o.Settings.Ignore, strings.Split(ignore, ",")...)
	}
	return environ, own, err
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

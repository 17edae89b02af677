package taskdef

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/valuefrom/valuefrom/internal/envlist"
	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/readfile"
)

// Overlay lays the variables of the container named container (needed
// when there are several) of the task definition at path over environ, as
// ECS would set them: the container's win. It returns the result and the
// container. A container's environmentFiles, which live in S3, are not
// applied, and log is warned that their variables are missing. Every
// error is a *exitcode.UsageError, but that of ctx ending while the file
// is read (it may be a FIFO) and Errors, the container's entries that ECS
// would refuse: with it come the result and the container, without them.
func Overlay(ctx context.Context, path, container string, environ []string, log *slog.Logger) ([]string, *Container, error) {
	c, err := Load(ctx, path, container)
	var (
		tooLarge *readfile.TooLargeError
		refused  Errors
	)
	switch {
	case ctx.Err() != nil:
		// Ended, perhaps once the file was read: never no container and
		// no error.
		if err == nil {
			err = fmt.Errorf("reading %s: %w", path, context.Cause(ctx))
		}
		return nil, nil, err
	case errors.As(err, &refused):
		err = refused
	case errors.As(err, &tooLarge):
		return nil, nil, &exitcode.UsageError{Err: fmt.Errorf("--task-def %s: larger than %s, the most valuefrom reads (ECS allows 64 KiB)", path, readfile.Size(tooLarge.Limit)),
			Hint: "give --task-def the JSON of a task definition, as aws ecs describe-task-definition prints it"}
	case err != nil:
		return nil, nil, &exitcode.UsageError{Err: err}
	}
	if files := c.Unapplied(); len(files) > 0 {
		log.Warn("the container's environmentFiles are not applied: valuefrom does not read S3; their variables are missing here",
			"container", c.Name, "environment_files", files)
	}
	return envlist.Merge(environ, c.Environ()), c, err
}

package pipeline

import (
	"context"
	"fmt"

	"github.com/valuefrom/valuefrom/internal/awsapi"
	"github.com/valuefrom/valuefrom/internal/envlist"
	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/gc"
	"github.com/valuefrom/valuefrom/internal/server"
	"github.com/valuefrom/valuefrom/internal/settings"
)

// Serve runs the sidecar server of o.Settings until ctx is done, then
// shuts it down gracefully (see server.Serve). A missing token or region
// is a *exitcode.UsageError.
func Serve(ctx context.Context, o Options, environ []string) error {
	log, s := o.logger(), o.Settings
	WarnUnknown(log, environ)
	token, err := server.LoadToken(ctx, o.Settings.Token, o.Settings.TokenFile, envlist.Get(environ, "AWS_TOKEN"))
	if err != nil {
		if ctx.Err() == nil {
			err = &exitcode.UsageError{Err: err}
		}
		return err
	}
	cfg, err := AWSConfig(ctx, o, environ, true)
	if err != nil {
		return err
	}
	if cfg.Region == "" {
		return &exitcode.UsageError{Err: awsapi.ErrNoRegion}
	}
	srv, err := server.New(server.Config{AWS: cfg, Token: token, TTL: s.TTL, Stale: s.Stale,
		MaxEntries: s.MaxEntries, MaxConns: s.MaxConns, Timeout: s.Timeout, Logger: log,
		FallbackRegions: settings.Items(s.FallbackRegions), HedgeDelay: s.HedgeDelay})
	if err != nil {
		return &exitcode.UsageError{Err: err}
	}
	ln, err := server.Listen(s.Listen, log)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", s.Listen, err)
	}
	gc.Release() // from here on a long-running server
	err = server.Serve(ctx, ln, srv, server.ShutdownGrace, log)
	log.Info("served", "api_calls", srv.Calls())
	return err
}

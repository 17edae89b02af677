package server

import (
	"context"
	"fmt"

	"github.com/valuefrom/valuefrom/internal/awsapi"
	"github.com/valuefrom/valuefrom/internal/envlist"
	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/gc"
	"github.com/valuefrom/valuefrom/internal/pipeline"
	"github.com/valuefrom/valuefrom/internal/settings"
)

// Groups are the groups of settings serve reads; it refuses to start with
// any other setting set, rather than ignore it.
var Groups = []settings.Group{settings.Common, settings.Serve}

// Run runs the sidecar server of o.Settings until ctx is done, then
// shuts it down gracefully (see Serve). A missing token or region
// is a *exitcode.UsageError.
func Run(ctx context.Context, o pipeline.Options, environ []string) error {
	log, s := o.Log(), o.Settings
	pipeline.WarnUnknown(log, environ)
	if unused := settings.Unused(environ, Groups...); len(unused) > 0 {
		return &exitcode.UsageError{Err: fmt.Errorf("%s is set, but serve does not read it", unused[0]),
			Hint: "serve answers each request by itself: it has no inputs, files, ignore list or watching; unset it in the sidecar's environment"}
	}
	token, err := LoadToken(ctx, o.Settings.Token, o.Settings.TokenFile, envlist.Get(environ, "AWS_TOKEN"))
	if err != nil {
		if ctx.Err() == nil {
			err = &exitcode.UsageError{Err: err}
		}
		return err
	}
	cfg, err := pipeline.AWSConfig(ctx, o, environ, true)
	if err != nil {
		return err
	}
	if cfg.Region == "" {
		return awsapi.ErrNoRegion
	}
	srv, err := New(Config{AWS: cfg, Token: token, TTL: s.TTL, Stale: s.Stale,
		MaxEntries: s.MaxEntries, MaxConns: s.MaxConns, Timeout: s.Timeout, Logger: log,
		FallbackRegions: settings.Items(s.FallbackRegions), HedgeDelay: s.HedgeDelay})
	if err != nil {
		return &exitcode.UsageError{Err: err}
	}
	ln, err := Listen(s.Listen, log)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", s.Listen, err)
	}
	gc.Release() // from here on a long-running server
	err = Serve(ctx, ln, srv, ShutdownGrace, log)
	log.Info("served", "api_calls", srv.Calls())
	return err
}

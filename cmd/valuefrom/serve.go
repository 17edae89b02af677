package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/valuefrom/valuefrom/exec"
	"github.com/valuefrom/valuefrom/internal/awsapi"
	"github.com/valuefrom/valuefrom/internal/pipeline"
	"github.com/valuefrom/valuefrom/internal/server"
)

var serveCommand = &command{
	name:    "serve",
	summary: "answer the Secrets Manager Agent's HTTP API on 127.0.0.1:2773",
	outcome: "the server was not started",
	setup: func(fs *flag.FlagSet, o *pipeline.Options) func(context.Context, *call) error {
		s := &o.Settings
		s.ServeFlags(fs)
		return func(ctx context.Context, c *call) error {
			log := o.Logger
			pipeline.WarnUnknown(log, c.environ)
			token, err := server.LoadToken(s.Token, s.TokenFile, exec.Getenv(c.environ, "AWS_TOKEN"))
			if err != nil {
				return usageErr(err)
			}
			cfg, err := pipeline.AWSConfig(ctx, *o, c.environ, true)
			if err != nil {
				return err
			}
			if cfg.Region == "" {
				return awsapi.ErrNoRegion
			}
			srv, err := server.New(server.Config{AWS: cfg, Token: token, TTL: s.TTL, Stale: s.Stale,
				MaxEntries: s.MaxEntries, MaxConns: s.MaxConns, Timeout: s.Timeout, Logger: log})
			if err != nil {
				return usageErr(err)
			}
			ln, err := server.Listen(s.Listen, log)
			if err != nil {
				return fmt.Errorf("listening on %s: %w", s.Listen, err)
			}
			err = server.Serve(ctx, ln, srv, server.ShutdownGrace, log)
			log.Info("served", "api_calls", srv.Calls())
			return err
		}
	},
}

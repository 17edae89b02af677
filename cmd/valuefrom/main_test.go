package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// isolateAWS clears the process's AWS settings for the test, so that the
// SDK finds no region, profile or endpoint but those in env.
func isolateAWS(t *testing.T, env ...string) {
	t.Helper()
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "AWS_") || strings.HasPrefix(name, "ECS_") {
			t.Setenv(name, "")
			os.Unsetenv(name)
		}
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

// result is what one run of valuefrom did. exec is the command it would
// have replaced itself with, and env that command's environment.
type result struct {
	code           int
	stdout, stderr string
	exec, env      []string
}

// runIn runs valuefrom in this process with exactly env (plus PATH) and
// args, as main does but for the exec, which it records.
func runIn(t *testing.T, env []string, args ...string) result {
	t.Helper()
	return runCtx(t, context.Background(), env, args...)
}

func runCtx(t *testing.T, ctx context.Context, env []string, args ...string) result {
	t.Helper()
	var r result
	execCommand = func(_ string, args, env []string) error {
		r.exec, r.env = args, env
		return nil
	}
	t.Cleanup(func() { execCommand = nil })
	var stdout, stderr bytes.Buffer
	environ := append([]string{"PATH=/usr/bin:/bin"}, env...)
	err := run(ctx, args, environ, &stdout, &stderr)
	r.code = exit(&stderr, environ, err)
	r.stdout, r.stderr = stdout.String(), stderr.String()
	return r
}

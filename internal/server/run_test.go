package server_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/valuefrom/valuefrom/internal/awsapi"
	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/pipeline"
	"github.com/valuefrom/valuefrom/internal/server"
	"github.com/valuefrom/valuefrom/internal/settings"
	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
)

// TestRunRefuses: serve does not start without a token or a region.
func TestRunRefuses(t *testing.T) {
	mototest.Isolate(t)
	environ := []string{"AWS_EC2_METADATA_DISABLED=true"}
	s, err := settings.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	o := pipeline.Options{Settings: s}
	var usage *exitcode.UsageError
	if err := server.Run(context.Background(), o, environ); !errors.As(err, &usage) || !strings.Contains(err.Error(), "no token") {
		t.Errorf("Run without a token = %v, want a exitcode.UsageError", err)
	}
	o.Settings.Token = "a-token-long-enough-to-be-secret"
	if err := server.Run(context.Background(), o, environ); !errors.As(err, &usage) || !errors.Is(err, awsapi.ErrNoRegion) {
		t.Errorf("Run without a region = %v, want a exitcode.UsageError wrapping ErrNoRegion", err)
	}
}

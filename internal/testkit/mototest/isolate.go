package mototest

import (
	"path/filepath"
	"testing"

	"github.com/valuefrom/valuefrom/internal/envlist"
)

// Isolate clears, for the test, every variable through which the machine's
// own AWS set-up would reach the SDK (profile, endpoints, region, keys, the
// shared config files and instance metadata), then sets env's NAME=VALUE
// entries.
func Isolate(t *testing.T, env ...string) {
	t.Helper()
	for _, k := range []string{"AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SSM", "AWS_REGION", "AWS_DEFAULT_REGION",
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_EC2_METADATA_SERVICE_ENDPOINT",
		"AWS_ACCESS_KEY", "AWS_SECRET_KEY", "AWS_ENDPOINT_URL_STS", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	for _, kv := range env {
		k, v, _ := envlist.Split(kv)
		t.Setenv(k, v)
	}
}

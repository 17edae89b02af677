package main

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/valuefrom/valuefrom/internal/faultproxy"
	"github.com/valuefrom/valuefrom/internal/mototest"
)

// TestCheckExitCodes runs valuefrom check and policy as operators do and
// checks their exit codes and output.
func TestCheckExitCodes(t *testing.T) {
	moto := mototest.Start(t)
	sm := secretsmanager.NewFromConfig(moto.Config(t, "us-east-1"))
	if _, err := sm.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{
		Name: aws.String("app/db"), SecretString: aws.String(`{"password":"` + canaryJSON + `"}`)}); err != nil {
		t.Fatal(err)
	}
	// Every KMS call answers HTTP 500: DescribeKey cannot be checked.
	backend, _ := url.Parse(moto.URL)
	proxy := faultproxy.New(backend, faultproxy.Config{Ops: map[string]faultproxy.Rule{"TrentService.*": {Internal: 1}}})
	if err := proxy.Start(); err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	viaProxy := append(moto.Env(), "AWS_ENDPOINT_URL_KMS="+proxy.URL(), "VALUEFROM_MAX_ATTEMPTS=1")

	tests := []struct {
		name   string
		env    []string
		args   []string
		code   int
		stdout string // a piece of stdout
		stderr string // a piece of stderr
	}{
		{"ok", append(moto.Env(), "DB=secretsmanager:app/db:password::"), []string{"check"}, exitOK, "1 reference: 1 ok, 0 warning, 0 fail", ""},
		{"warning", append(viaProxy, "DB=secretsmanager:app/db:password::"), []string{"check"}, exitWarnings, "kms:DescribeKey (InternalServiceError", "valuefrom: warning: 1 reference with warnings"},
		{"fail", append(moto.Env(), "DB=secretsmanager:app/db:password::", "GONE=secretsmanager:gone"), []string{"check"}, exitFailures, "ResourceNotFoundException", "valuefrom: error: 1 reference would not resolve"},
		{"json", append(moto.Env(), "DB=secretsmanager:app/db:nokey::"), []string{"check", "--format", "json"}, exitFailures, `"json_key": "no"`, ""},
		{"bad format", moto.Env(), []string{"check", "--format", "yaml"}, exitUsage, "", "--format must be table or json"},
		{"container without task-def", moto.Env(), []string{"check", "--container", "app"}, exitUsage, "", "--container needs --task-def"},
		{"help", moto.Env(), []string{"check", "-h"}, exitOK, "Usage: valuefrom check", ""},
		{"policy", append(moto.Env(), "DB=secretsmanager:app/db:password::"), []string{"policy"}, exitOK,
			`"arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-`, ""}, // the ARN DescribeSecret returns
		{"policy json, missing parameter", append(moto.Env(), "DB=secretsmanager:app/db:password::", "URL=ssm:/app/url"), []string{"policy"}, exitWarnings,
			`"arn:aws:ssm:us-east-1:123456789012:parameter/app/url"`, "valuefrom: warning: URL: ssm:/app/url does not exist in us-east-1"},
		{"policy, bad account", moto.Env(), []string{"policy", "--account", "12"}, exitUsage, "", "12-digit"},
		{"policy, nothing", moto.Env(), []string{"policy"}, exitUsage, "", "no references"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runValuefrom(t, tt.env, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit code %d, want %d; stderr:\n%s", r.code, tt.code, r.stderr)
			}
			if !strings.Contains(r.stdout, tt.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.stdout, r.stdout)
			}
			if !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, r.stderr)
			}
			assertNoCanary(t, "stdout", r.stdout)
			assertNoCanary(t, "stderr", r.stderr)
			if strings.Contains(tt.name, "json") || tt.name == "policy" {
				var v any
				if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
					t.Errorf("stdout is not JSON: %v", err)
				}
			}
		})
	}
}

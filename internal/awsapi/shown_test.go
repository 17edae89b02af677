package awsapi

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
)

// TestCredentialProcessOutputNotShown: a credential_process whose output
// does not parse has that output, keys and all, in the SDK's error; the
// error valuefrom prints leaves it out, on one line.
func TestCredentialProcessOutputNotShown(t *testing.T) {
	const canary = "CANARY-SECRET-ACCESS-KEY-7c1d"
	script := filepath.Join(t.TempDir(), "creds")
	body := "#!/bin/sh\nprintf '{\"Version\":1,\"AccessKeyId\":\"AKIA\",\n\"SecretAccessKey\":\"" + canary + "\"'\n"
	if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	mototest.Isolate(t, "AWS_PROFILE=leaky", "AWS_REGION=us-east-1")
	writeConfig(t, "[profile leaky]\ncredential_process = "+script+"\n")
	cfg, err := LoadConfig(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = CheckCredentials(context.Background(), cfg, "")
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("CheckCredentials = %T, want a *ConfigError", err)
	}
	for name, text := range map[string]string{"Error": ce.Error(), "Hint": ce.Hint(), "Message": Message(ce.Err), "Cause": Cause(ce.Err)} {
		if strings.Contains(text, canary) {
			t.Errorf("%s shows the process's output (the canary)", name)
		}
		if strings.ContainsAny(text, "\n\r") {
			t.Errorf("%s spans lines", name)
		}
	}
	if !strings.Contains(ce.Error(), "credential_process printed output that is not valid credentials JSON") {
		t.Errorf("Error() = %q, want it to say what went wrong", ce.Error())
	}
}

func TestEscapeUnsafe(t *testing.T) {
	for in, want := range map[string]string{
		"plain":         "plain",
		"a\nb":          `a\nb`,
		"a\u202eb":      `a\u202eb`,
		"a\u2028b\x1bc": `a\u2028b\x1bc`,
	} {
		if got := escapeUnsafe(in); got != want {
			t.Errorf("escapeUnsafe(%q) = %q, want %q", in, got, want)
		}
	}
}

// Package hardening runs the valuefrom binary against the defects of
// issue 12 that live in the grammar and the output formats: near-miss
// references (item 2), output that a shell sources (item 3) and unsafe
// characters in errors (item 11).
package hardening

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

func TestMain(m *testing.M) { vfbin.Main(m, nil) }

const exitSyntax = 3

// command is valuefrom, the binary bin, with args and env, after a PATH
// and a region.
func command(bin string, env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true"}, env...)
	return cmd
}

// run runs valuefrom with env and args and returns its exit code, stdout
// and stderr.
func run(t *testing.T, env []string, dir string, args ...string) (int, string, string) {
	t.Helper()
	cmd := command(vfbin.Need(t), env, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, stdout.String(), stderr.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), stdout.String(), stderr.String()
	}
	t.Fatal(err)
	return 0, "", ""
}

// TestNearMissFailsClosed: a reference with white space, quotes or an
// invisible character around it stops the program from starting (exit 3),
// naming the variable; VALUEFROM_IGNORE passes it through (item 2).
func TestNearMissFailsClosed(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary")
	}
	for name, v := range map[string]string{
		"leading space": " ssm:/p", "quotes": `"ssm:/p"`, "tab": "\tssm:/p", "BOM": "\ufeffssm:/p",
		"no-break space": "\u00a0ssm:/p", "zero-width space": "\u200bssm:/p", "typographic quotes": "\u201cssm:/p\u201d",
	} {
		t.Run(name, func(t *testing.T) {
			code, stdout, stderr := run(t, []string{"V=" + v}, t.TempDir(), "--", "printenv", "V")
			if code != exitSyntax || stdout != "" {
				t.Errorf("exit %d, %d bytes of output; want exit %d and the program not run", code, len(stdout), exitSyntax)
			}
			if !strings.Contains(stderr, "V: ") || !strings.Contains(stderr, "surround the reference") {
				t.Errorf("stderr does not name V and the reason: %q", stderr)
			}
			code, stdout, _ = run(t, []string{"V=" + v, "VALUEFROM_IGNORE=V"}, t.TempDir(), "--", "printenv", "V")
			if code != 0 || stdout != v+"\n" {
				t.Errorf("with VALUEFROM_IGNORE=V: exit %d, output differs; want the value passed through", code)
			}
		})
	}
}

// TestErrorsHoldNoUnsafeCharacters: a malformed value with a line
// separator, NEL or a bidi control cannot split or reverse the error line
// (item 11).
func TestErrorsHoldNoUnsafeCharacters(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary")
	}
	for _, c := range []string{"\u2028", "\u2029", "\u0085", "\u202e", "\u2066", "\x1b"} {
		for _, v := range []string{"ssm:/p" + c + "x", c + "ssm:/p", "secretsmanager:db:k" + c + "::"} {
			// The variable's name is printed by resolver.Error as it is: that
			// is the lead's to escape (reference.QuoteName), not tested here.
			code, _, stderr := run(t, []string{"V=" + v}, t.TempDir(), "--", "true")
			if code != exitSyntax {
				t.Errorf("%U: exit %d, want %d", []rune(c)[0], code, exitSyntax)
			}
			if strings.Contains(stderr, c) {
				t.Errorf("%U: stderr holds it raw: %q", []rune(c)[0], stderr)
			}
		}
	}
}

// TestRenderedFilesAreInert renders a secret that holds shell syntax in
// every format and sources the file in sh, bash and dash: no command runs
// (item 3).
func TestRenderedFilesAreInert(t *testing.T) {
	if testing.Short() {
		t.Skip("needs moto")
	}
	moto := mototest.Start(t)
	const canary = "canary-4f1e"
	hostile := canary + "a`touch pwned`b$(touch pwned)\"; touch pwned; \"'; touch pwned; '\n`touch pwned`"
	sm := secretsmanager.NewFromConfig(moto.Config(t, "us-east-1"))
	if _, err := sm.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{Name: aws.String("hostile"), SecretString: aws.String(hostile)}); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"dotenv", "shell", "json"} {
		for _, sh := range []string{"sh", "bash", "dash"} {
			t.Run(format+"/"+sh, func(t *testing.T) {
				path, err := exec.LookPath(sh)
				if err != nil {
					t.Skipf("%s not installed", sh)
				}
				dir := t.TempDir()
				out := filepath.Join(dir, "app.env")
				code, _, stderr := run(t, append(moto.Env(), "S=secretsmanager:hostile"), dir, "render", "--out", out, "--format", format)
				if code != 0 {
					t.Fatalf("render: exit %d: %s", code, stderr)
				}
				cmd := exec.Command(path, "-c", `set -a; . ./app.env >/dev/null 2>&1; printf %s "$S" >got`)
				cmd.Dir = dir
				cmd.Env = []string{"PATH=/usr/bin:/bin"}
				cmd.Run() // sourcing json fails; what matters is what ran
				if _, err := os.Stat(filepath.Join(dir, "pwned")); !errors.Is(err, os.ErrNotExist) {
					t.Fatalf("sourcing the %s file ran a command", format)
				}
				got, _ := os.ReadFile(filepath.Join(dir, "got"))
				want := map[string]string{"shell": hostile, "dotenv": strings.ReplaceAll(hostile, "\n", `\n`), "json": ""}[format]
				if string(got) != want {
					t.Errorf("the shell read back %d bytes, want %d", len(got), len(want))
				}
			})
		}
	}
}

package pipeline_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/template"
)

// TestStartTemplates: a start loads its templates before any AWS call,
// renders them before the program starts, from the resolved values and,
// only when asked, the plain environment; a template that does not
// render stops the start with nothing written.
func TestStartTemplates(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "app.conf.tmpl")
	if err := os.WriteFile(src, []byte("home={{ HOME | shell }}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.tmpl")
	if err := os.WriteFile(bad, []byte("{{ HOME | jsno }}"), 0o600); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(dir, "app.conf")
	environ := append(noAWS(t), "PATH=/usr/bin:/bin", "HOME=/home/app")

	t.Run("does not parse: no AWS call", func(t *testing.T) {
		var log bytes.Buffer
		o := options(t, &log)
		o.Settings.Template = []string{bad + ":" + dest}
		o.Exec = func(string, []string, []string) error { t.Error("the program was started"); return nil }
		err := start(context.Background(), o, []string{"true"}, append(environ, "B=ssm:/b"))
		if exitcode.Of(err) != exitcode.Usage || !strings.Contains(err.Error(), bad+`:1:11: unknown filter "jsno"`) {
			t.Errorf("Exec = %v (exit %d), want the template's syntax error, exit 2", err, exitcode.Of(err))
		}
		if strings.Contains(log.String(), "resolved references") {
			t.Error("references were resolved before the template was parsed")
		}
	})

	t.Run("plain environment when asked", func(t *testing.T) {
		o := options(t, &bytes.Buffer{})
		o.Settings.Template, o.Settings.TemplateEnv = []string{src + ":" + dest}, true
		started := false
		o.Exec = func(string, []string, []string) error {
			started = true
			if got, err := os.ReadFile(dest); err != nil || string(got) != "home='/home/app'\n" {
				t.Errorf("the rendered file holds %q, %v when the program starts", got, err)
			}
			return nil
		}
		if err := start(context.Background(), o, []string{"true"}, environ); err != nil || !started {
			t.Fatalf("Exec = %v, started %v", err, started)
		}
		os.Remove(dest)
	})

	t.Run("no plain environment by default", func(t *testing.T) {
		o := options(t, &bytes.Buffer{})
		o.Settings.Template = []string{src + ":" + dest}
		o.Exec = func(string, []string, []string) error { t.Error("the program was started"); return nil }
		err := start(context.Background(), o, []string{"true"}, environ)
		var te *template.Error
		if !errors.As(err, &te) || te.Var != "HOME" || te.Code != template.CodeUnknownName || exitcode.Of(err) != exitcode.Output {
			t.Errorf("Exec = %v, want HOME unknown to the template, exit 5", err)
		}
		if _, err := os.Stat(dest); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("a file was written: %v", err)
		}
	})
}

// TestNoTemplates: with none, Options.Templates is nil, and rendering it
// writes nothing and is safe to commit and abort, as render does.
func TestNoTemplates(t *testing.T) {
	o := options(t, &bytes.Buffer{})
	templates, err := o.Templates(context.Background())
	if templates != nil || err != nil {
		t.Fatalf("Templates = %v, %v; want none", templates, err)
	}
	pending, err := templates.Render(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer pending.Abort()
	if written, err := pending.Commit(); written != nil || err != nil {
		t.Errorf("Commit = %q, %v; want nothing", written, err)
	}
	if templates.Uses("A") {
		t.Error("no templates use A")
	}
}

package pipeline

import (
	"context"
	"errors"
	"fmt"

	"github.com/valuefrom/valuefrom/exec"
	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/settings"
	"github.com/valuefrom/valuefrom/internal/template"
)

// templatesHint follows an error of a template that cannot be used.
const templatesHint = "docs/templates.md describes the templates' language and settings"

// Templates are the templates a start, render and the watching modes
// render to files (see package template), with the resolved values: an
// exec.Renderer. A nil *Templates has none.
type Templates struct {
	files *template.Files
	plain bool // the templates may read the plain environment too
}

// Templates loads the templates of o.Settings.Template, each read and
// parsed (template.Load) under o.Settings.Timeout, to be rendered to
// files owned by o.Settings.Group, and to read, with
// o.Settings.TemplateEnv, the plain environment too; nil when there are
// none. It makes no AWS call. Every error is a *exitcode.UsageError
// naming the setting, its lines one per template that cannot be used:
// one that cannot be read or does not parse (named by template, line and
// column), a DEST whose directory does not exist, a group that does not
// exist.
func (o Options) Templates(ctx context.Context) (*Templates, error) {
	targets := o.Settings.Templates()
	if len(targets) == 0 {
		return nil, nil
	}
	gid, err := o.Settings.GroupID()
	if err != nil {
		return nil, &exitcode.UsageError{Err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, o.Settings.Timeout)
	defer cancel()
	files, err := template.Load(ctx, targets)
	if err != nil {
		var errs []error
		for _, e := range template.Problems(err) {
			errs = append(errs, fmt.Errorf("%s: %w", settings.Name(settings.TemplateVar), e))
		}
		return nil, &exitcode.UsageError{Err: errors.Join(errs...), Hint: templatesHint}
	}
	return &Templates{files: template.NewFiles(files, gid), plain: o.Settings.TemplateEnv}, nil
}

// Render renders every template with the values of vars (see Lookup) and
// prepares the files that change (see template.Files.Prepare). Without an
// error its Pending is never a nil interface: for no templates, a nil
// *template.Pending, which commits nothing.
func (t *Templates) Render(environ []string, vars []exec.Var) (exec.Pending, error) {
	if t == nil {
		return (*template.Pending)(nil), nil
	}
	pending, err := t.files.Prepare(Lookup(vars, environ, t.plain))
	if err != nil {
		return nil, err
	}
	return pending, nil
}

// Uses reports whether a template uses the variable name.
func (t *Templates) Uses(name string) bool { return t != nil && t.files.Uses(name) }

// Lookup returns what a template may read (see template.Lookup): the
// values of vars, the resolved variables, and with plain set the other
// variables of environ; never a setting.
func Lookup(vars []exec.Var, environ []string, plain bool) func(string) ([]byte, bool) {
	values := make(map[string][]byte, len(vars))
	for _, v := range vars {
		values[v.Name] = v.Value
	}
	return template.Lookup(values, environ, plain, settings.IsSetting)
}

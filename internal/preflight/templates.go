package preflight

import (
	"context"
	"errors"
	"fmt"

	"github.com/valuefrom/valuefrom/internal/settings"
	"github.com/valuefrom/valuefrom/internal/template"
	"github.com/valuefrom/valuefrom/resolver"
	"github.com/valuefrom/valuefrom/resolver/reference"
)

// The problems of templates, in addition to the template package's codes
// (template.CodeSyntax, ...).
const (
	// CodeTemplateUnusable: the template cannot be read, or its file
	// cannot be written where it would be; a start exits 2.
	CodeTemplateUnusable = "TemplateUnusable"
	// CodeTemplateInput: the template uses a variable whose reference
	// would not resolve; a start fails before it renders.
	CodeTemplateInput = "TemplateInputFails"
)

// templateHint follows a template's problem.
const templateHint = "a start would not render the template and would not start the program: fix the template or the variable (docs/templates.md)"

// templateRows returns the rows of in's templates, each loaded and
// rendered as a start loads and renders it (template.LoadFile and
// template.Lookup, the same functions) with the values the rows read and
// the variables the bulk inputs set, bulk, and with in.TemplateEnv the
// plain variables of environ: those that hold no reference, as skip says.
// A template that renders gets an ok row, named by its SRC; one that does
// not, a failed row per problem, named by the template, line and column,
// and saying the variable, never a value. The values the rows kept are
// dropped.
func templateRows(ctx context.Context, in Inputs, rows []*row, bulk []resolver.Value, environ []string, skip func(string) bool) []*row {
	defer func() {
		for _, r := range rows {
			r.value = nil
		}
	}()
	if len(in.Templates) == 0 {
		return nil
	}
	values := make(map[string][]byte)
	failed := make(map[string]bool) // variables whose references would not resolve
	for _, r := range rows {
		switch {
		case r.Setting || r.Entry || r.path || r.jsonSecret || r.viaPath:
		case r.Verdict == Fail:
			failed[r.Var] = true
		case r.value != nil:
			values[r.Var] = r.value
		}
	}
	for _, v := range bulk {
		values[v.Var] = v.Value
	}
	var plain []string
	for _, kv := range environ {
		if !reference.Holds(kv, skip) {
			plain = append(plain, kv)
		}
	}
	lookup := template.Lookup(values, plain, in.TemplateEnv, settings.IsSetting)

	var out []*row
	for _, t := range in.Templates {
		newRow := func(place string) *row {
			return &row{Row: Row{Var: place, Template: t.String(), Parses: true, Exists: NotApplicable, Version: NotApplicable, JSONKey: NotApplicable}}
		}
		f, err := template.LoadFile(ctx, t)
		if err == nil {
			_, err = f.Render(lookup)
		}
		if err == nil {
			out = append(out, newRow(t.Src))
		}
		for _, e := range template.Problems(err) {
			r := newRow(t.Src)
			var te *template.Error
			if !errors.As(e, &te) {
				// A *template.LoadError: the template cannot be read, or
				// its file cannot be written.
				r.Parses = false
				r.problem(Fail, CodeTemplateUnusable, e.Error(), templateHint)
				out = append(out, r)
				continue
			}
			r.Var = fmt.Sprintf("%s:%d:%d", te.Template, te.Pos.Line, te.Pos.Column)
			r.Parses = te.Op != "parse"
			msg, code := te.Reason, te.Code
			if te.Var != "" {
				msg = te.Var + ": " + msg
			}
			if failed[te.Var] && te.Code == template.CodeUnknownName {
				msg, code = te.Var+": its reference would not resolve (see its row)", CodeTemplateInput
			}
			r.problem(Fail, code, msg, templateHint)
			out = append(out, r)
		}
	}
	return out
}

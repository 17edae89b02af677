package preflight

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/valuefrom/valuefrom/exec"
	"github.com/valuefrom/valuefrom/internal/awsapi"
	"github.com/valuefrom/valuefrom/internal/envlist"
	"github.com/valuefrom/valuefrom/internal/pipeline"
	"github.com/valuefrom/valuefrom/internal/settings"
	"github.com/valuefrom/valuefrom/internal/taskdef"
	"github.com/valuefrom/valuefrom/resolver"
	"github.com/valuefrom/valuefrom/resolver/reference"
)

// Inputs are what a check or a policy covers besides the references in
// the environment: SSM paths and JSON secrets (see pipeline.Options).
type Inputs struct {
	Paths        []pipeline.Path
	Secrets      []reference.Request // the JSON secrets, as pipeline.Options.JSONSecrets gives them
	RequirePaths bool                // an empty path fails rather than warns
	// Refused are the task definition's entries that ECS would refuse
	// (as Examine gives them): Check gives each a failed row,
	// before the others.
	Refused taskdef.Errors
	// Templates are rendered with the values the check reads, as a start
	// renders them, and may read, with TemplateEnv, the plain variables
	// too (see templateRows).
	Templates   []settings.Target
	TemplateEnv bool
}

// InputsOf returns o's inputs.
func InputsOf(o pipeline.Options) Inputs {
	return Inputs{Paths: o.Paths(), Secrets: o.JSONSecrets(), RequirePaths: o.Settings.RequirePaths,
		Templates: o.Settings.Templates(), TemplateEnv: o.Settings.TemplateEnv}
}

// refusedRows returns a failed row for each entry of refused: run, env
// and render would exit 3 on it, and ECS would refuse the task definition.
func refusedRows(refused taskdef.Errors) []*row {
	rows := make([]*row, len(refused))
	for i, e := range refused {
		name := e.Var
		if name == "" {
			name = e.Where()
		}
		rows[i] = &row{Row: Row{Var: reference.QuoteName(name), Entry: true, Exists: NotApplicable, Version: NotApplicable, JSONKey: NotApplicable}}
		rows[i].problem(Fail, CodeTaskDefinition, e.Error(),
			"fix the task definition: ECS would refuse it as it is, and valuefrom run, env and render exit 3 on it")
	}
	return rows
}

// inputRows returns the rows of in for Check: a JSON secret is checked as
// a reference to it is, its value kept for checkBulk; a path gets a row of
// its own, read as the task reads it (GetParametersByPath with decryption,
// every page), then a row per parameter under it, named by its variable,
// checked by its metadata and KMS key. It also returns what the paths
// read, for checkBulk.
func (c *Checker) inputRows(ctx context.Context, in Inputs) ([]*row, pipeline.Bulk) {
	var rows []*row
	var bulk pipeline.Bulk
	for _, req := range in.Secrets {
		region, _ := awsapi.RequestRegion(req.Ref.Region, c.cfg.AWS.Region)
		rows = append(rows, &row{ref: req.Ref, jsonSecret: true, Row: Row{Var: req.Var, Ref: req.Ref.String(), Parses: true,
			Service: string(req.Ref.Service), Region: region, Exists: Unknown, Version: versionStatus(req.Ref), JSONKey: NotApplicable}})
	}
	r := resolver.New(resolver.Config{AWS: c.cfg.AWS})
	for _, p := range in.Paths {
		ref := pathReference(p)
		pr := &row{path: true, Row: Row{Var: settings.SSMPathVar, Ref: ref, Parses: true, Service: string(reference.SSM),
			Region: c.cfg.AWS.Region, Exists: Unknown, Version: NotApplicable, JSONKey: NotApplicable}}
		rows = append(rows, pr)
		params, err := r.ParametersByPath(ctx, "", p.Path, p.Recursive, true)
		var e *resolver.Error
		switch {
		case errors.As(err, &e):
			e.Var = settings.SSMPathVar
			pr.problem(Fail, e.Code, "GetParametersByPath: "+awsapi.Message(e.Err), pipeline.Hint(hintsOn, e))
			continue
		case err != nil:
			pr.problem(Fail, awsapi.CodeInternal, err.Error(), "")
			continue
		case len(params) == 0:
			pr.Exists = No
			v := Warning
			if in.RequirePaths {
				v = Fail
			}
			pr.problem(v, awsapi.CodeEmptyPath, "no parameters under the path", awsapi.BulkHint(hintsOn, awsapi.Class{Code: awsapi.CodeEmptyPath}, awsapi.FromPath, ""))
			continue
		}
		pr.Exists = Yes
		pr.Type = fmt.Sprintf("path of %d", len(params))
		prefix := strings.TrimSuffix(p.Path, "/") + "/"
		for _, param := range params {
			name := pipeline.VarName(strings.TrimPrefix(param.Name, prefix))
			pref, _ := reference.Parse("ssm:" + param.Name)
			rows = append(rows, &row{ref: pref, viaPath: true, Row: Row{Var: name, Ref: pref.String(), Parses: true, Service: string(reference.SSM),
				Region: c.cfg.AWS.Region, ARN: param.ARN, Exists: Yes, Version: NotApplicable, JSONKey: NotApplicable}})
		}
		bulk.Paths, bulk.Params = append(bulk.Paths, p), append(bulk.Params, params)
	}
	return rows, bulk
}

// checkBulk applies to what the bulk inputs read the rules a start
// applies (pipeline.Bulk.Vars, the same function), failing the row of
// each name a start would refuse: the parameter's, or the JSON secret's
// for one of its keys. explicit are the names set explicitly, which win:
// the row of a parameter that one of them overrides says so. The JSON
// secrets' values kept for it are dropped. It returns the variables the
// bulk inputs set, as a start would set them, for the templates.
func checkBulk(rows []*row, bulk pipeline.Bulk, explicit map[string]bool) []resolver.Value {
	for _, r := range rows {
		if r.jsonSecret && r.value != nil {
			bulk.Secrets = append(bulk.Secrets, resolver.Value{Var: r.Var, Ref: r.ref, Value: r.value})
			r.value = nil
		}
	}
	if len(bulk.Paths) == 0 && len(bulk.Secrets) == 0 {
		return nil
	}
	vars, errs := bulk.Vars(explicit, nil)
	for _, e := range errs {
		// The row of the parameter, else of the JSON secret.
		i := slices.IndexFunc(rows, func(r *row) bool { return r.viaPath && r.Var == e.Var && r.ref.String() == e.Ref.String() })
		if i < 0 {
			i = slices.IndexFunc(rows, func(r *row) bool { return r.jsonSecret && r.ref.String() == e.Ref.String() })
		}
		if i >= 0 {
			rows[i].problem(Fail, e.Code, e.Err.Error(), pipeline.Hint(hintsOn, e))
		}
	}
	for _, r := range rows {
		if r.viaPath && explicit[r.Var] {
			r.problem(Warning, CodeOverridden, r.Var+" is also set by the environment or an env file, which wins: this parameter is not used",
				"remove one of them, or keep the explicit value deliberately")
		}
	}
	return vars
}

// pathRows returns, for a policy, a row per parameter under each of paths
// now, to find their KMS keys, and notes about paths it could not list.
func (c *Checker) pathRows(ctx context.Context, paths []pipeline.Path) ([]*row, []string, error) {
	var rows []*row
	var notes []string
	r := resolver.New(resolver.Config{AWS: c.cfg.AWS})
	for _, p := range paths {
		if c.cfg.AWS.Region == "" {
			return nil, nil, fmt.Errorf("%s: %s: %w", settings.SSMPathVar, pathReference(p), awsapi.ErrNoRegion)
		}
		params, err := r.ParametersByPath(ctx, "", p.Path, p.Recursive, false)
		if err != nil {
			notes = append(notes, fmt.Sprintf("%s: could not list %s (%v); if customer-managed KMS keys protect its parameters, add kms:Decrypt on them", settings.SSMPathVar, pathReference(p), err))
			continue
		}
		if len(params) == 0 {
			notes = append(notes, fmt.Sprintf("%s: %s holds no parameters now; if customer-managed KMS keys will protect them, add kms:Decrypt on them", settings.SSMPathVar, pathReference(p)))
		}
		for _, param := range params {
			ref, _ := reference.Parse("ssm:" + param.Name)
			rows = append(rows, &row{ref: ref, viaPath: true, Row: Row{Var: settings.SSMPathVar, Ref: ref.String(), Parses: true,
				Service: string(reference.SSM), Region: c.cfg.AWS.Region}})
		}
	}
	return rows, notes, nil
}

// pathReference is the path as the setting names it.
func pathReference(p pipeline.Path) string {
	if p.Recursive {
		return "ssm:" + strings.TrimSuffix(p.Path, "/") + "/**"
	}
	return "ssm:" + p.Path
}

// pathARN is the ARN that IAM authorizes GetParametersByPath against: the
// path's, whether or not the read is recursive.
func pathARN(partition, region, account, path string) string {
	if path != "/" {
		path = strings.TrimSuffix(path, "/")
	}
	return fmt.Sprintf("arn:%s:ssm:%s:%s:parameter%s", partition, region, account, path)
}

func versionStatus(ref reference.Ref) Status {
	if ref.VersionStage != "" || ref.VersionID != "" {
		return Unknown
	}
	return NotApplicable
}

// checkFileNames fails the row of the _FILE variable whose name a start
// refuses before any value is written (exec.CheckFiles, the same
// function: it exits 5): one that names no file, a file outside the
// directory, or the file of another. The names are environ's references
// and those the bulk inputs set.
func checkFileNames(rows []*row, environ []string, skip func(string) bool, bulk []resolver.Value) {
	var names []string
	for _, kv := range environ {
		if reference.Holds(kv, skip) {
			names = append(names, envlist.Name(kv))
		}
	}
	for _, v := range bulk {
		names = append(names, v.Var)
	}
	var fe *exec.FileError
	if err := exec.CheckFiles(names); errors.As(err, &fe) {
		if i := slices.IndexFunc(rows, func(r *row) bool { return r.Var == reference.QuoteName(fe.Var) }); i >= 0 {
			rows[i].problem(Fail, CodeFileName, fe.Error(),
				"a _FILE variable names the file its value goes to: rename it (a start exits 5 on it, before any value is written)")
		}
	}
}

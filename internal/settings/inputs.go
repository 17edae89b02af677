package settings

import (
	"fmt"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/valuefrom/valuefrom/resolver/reference"
)

// The bulk inputs' settings, which their errors name as their variable.
var (
	EnvFileVar    = VarOf("EnvFile")
	SSMPathVar    = VarOf("SsmPath")
	SecretJSONVar = VarOf("SecretJson")
)

// RecursiveSuffix ends an SSM path whose parameters are read at any depth
// below it, not only directly under it.
const RecursiveSuffix = "/**"

// Items returns the entries of a comma-separated list setting, trimmed of
// white space, without empty ones.
func Items(list []string) []string {
	var out []string
	for _, v := range list {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// validateInputs checks the bulk inputs: paths that SSM takes, and
// references to whole secrets.
func (s Settings) validateInputs() []error {
	var errs []error
	for _, p := range Items(s.SsmPath) {
		path := strings.TrimSuffix(p, RecursiveSuffix)
		if !strings.HasPrefix(p, "/") || strings.ContainsAny(path, " \t*") || strings.Contains(path, "//") {
			errs = append(errs, invalid(SSMPathVar, ": %s is not an SSM path: want /NAME[/NAME...], with %s at the end to read every depth", reference.Quote(p), RecursiveSuffix))
		}
	}
	for _, r := range Items(s.SecretJson) {
		ref, err := reference.Parse(r)
		switch {
		case err != nil:
			errs = append(errs, invalid(SecretJSONVar, ": %s is not a reference: %w", reference.Quote(r), err))
		case ref.Service != reference.SecretsManager:
			errs = append(errs, invalid(SecretJSONVar, ": %s is not a Secrets Manager secret; for SSM parameters use %s", ref, Flag(SSMPathVar)))
		case ref.JSONKey != "":
			errs = append(errs, invalid(SecretJSONVar, ": %s selects the JSON key %q: name the whole secret", ref, ref.JSONKey))
		}
	}
	return errs
}

// The templates' settings, which their errors name.
var (
	TemplateVar = VarOf("Template")
	GroupVar    = VarOf("Group")
)

// Templates returns the templates of s.Template. Validate has checked
// that they parse.
func (s Settings) Templates() []Target {
	targets, _ := ParseTargets(Items(s.Template))
	return targets
}

// A Target is a template and the file it is rendered to, SRC:DEST, as
// VALUEFROM_TEMPLATE and --template name them.
type Target struct {
	Src, Dest string
}

func (t Target) String() string { return t.Src + ":" + t.Dest }

// ParseTarget parses SRC:DEST. SRC ends at the first colon, so that a
// DEST may hold colons and a SRC may not. Neither may be empty, nor "-":
// a template is read from a file and rendered to a file.
func ParseTarget(s string) (Target, error) {
	src, dest, ok := strings.Cut(s, ":")
	switch {
	case !ok:
		return Target{}, fmt.Errorf("%q is not SRC:DEST: name the template, a colon, then the file to render it to", s)
	case src == "" || dest == "":
		return Target{}, fmt.Errorf("%q is not SRC:DEST: both the template and the file to render it to are needed", s)
	case src == "-" || dest == "-":
		return Target{}, fmt.Errorf("%q: a template is read from a file and rendered to one; - (standard input or output) is neither", s)
	}
	return Target{Src: src, Dest: dest}, nil
}

// ParseTargets parses each of items as ParseTarget does and checks them
// together: no two render to one file, and none renders over a template.
// The error names the first item that fails.
func ParseTargets(items []string) ([]Target, error) {
	targets := make([]Target, 0, len(items))
	dests := map[string]string{} // cleaned DEST: the item that has it
	for _, item := range items {
		t, err := ParseTarget(item)
		if err != nil {
			return nil, err
		}
		dest := filepath.Clean(t.Dest)
		if other, dup := dests[dest]; dup {
			return nil, fmt.Errorf("%q and %q render to the same file", other, item)
		}
		dests[dest] = item
		targets = append(targets, t)
	}
	for _, t := range targets {
		if item, over := dests[filepath.Clean(t.Src)]; over {
			return nil, fmt.Errorf("%q renders over the template %s", item, t.Src)
		}
	}
	return targets, nil
}

// GroupID returns the id of the group that s.Group names or numbers, or
// -1 when it is unset. A group that does not exist is a *VarError.
func (s Settings) GroupID() (int, error) {
	if s.Group == "" {
		return -1, nil
	}
	if gid, err := strconv.Atoi(s.Group); err == nil && gid >= 0 {
		return gid, nil
	}
	g, err := user.LookupGroup(s.Group)
	if err != nil {
		return 0, invalid(GroupVar, "names no group: %q", s.Group)
	}
	gid, err := strconv.Atoi(g.Gid)
	if err != nil {
		return 0, invalid(GroupVar, ": group %s has the id %q, not a number", s.Group, g.Gid)
	}
	return gid, nil
}

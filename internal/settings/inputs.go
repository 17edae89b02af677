package settings

import (
	"strings"

	"github.com/valuefrom/valuefrom/resolver/reference"
)

// The bulk inputs' settings, which their errors name as their variable.
const (
	EnvFileVar    = Prefix + "ENV_FILE"
	SSMPathVar    = Prefix + "SSM_PATH"
	SecretJSONVar = Prefix + "SECRET_JSON"
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

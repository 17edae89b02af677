package awsapi

import "github.com/valuefrom/valuefrom/internal/platform"

// Codes of valuefrom's own for the bulk inputs (SSM paths, JSON secrets).
const (
	CodeNameCollision = "NameCollision" // two parameters or keys map to one variable
	CodeBadName       = "BadName"       // a parameter or key maps to no usable variable name
	CodeEmptyPath     = "EmptyPath"     // an SSM path holds no parameter, and that is an error
)

// An Input is what a failed variable came from, for its hint.
type Input int

// The inputs.
const (
	FromReference Input = iota // a variable that holds a reference
	FromPath                   // an SSM path (VALUEFROM_SSM_PATH)
	FromJSON                   // a JSON secret (VALUEFROM_SECRET_JSON)
)

// BulkHint says what an operator can do about a failure of class c to
// read an SSM path or a whole JSON secret (input), or about a name that
// the bulk inputs would set; arn is the path's or the secret's ARN as IAM
// names it, and on the platform valuefrom runs on. For any other failure
// it returns "": Hint's is the one.
func BulkHint(on platform.Platform, c Class, input Input, arn string) string {
	path := input == FromPath
	switch {
	case path && c.Denied && !c.KMS:
		return wordsOn(on).onlyRole + " needs ssm:GetParametersByPath on " + arn + " (valuefrom policy writes the statement)"
	case path && c.NotFound:
		return "check the path and the region; names are case-sensitive"
	case input == FromJSON && c.Code == CodeNotJSONObject:
		return "--secret-json (VALUEFROM_SECRET_JSON) needs a secret whose value is a JSON object; for the whole value, set a variable to the reference instead"
	}
	switch c.Code {
	case CodeNameCollision:
		return "rename one of them, or set the variable yourself: an explicitly set variable wins over paths and JSON secrets"
	case CodeBadName:
		return "rename the parameter or key, or set the variable yourself"
	case CodeEmptyPath:
		return "check the path, the region and that the path has parameters; unset VALUEFROM_REQUIRE_PATHS (--require-paths) to make this a warning"
	}
	return ""
}

package reference

import (
	"strings"

	"github.com/valuefrom/valuefrom/internal/spell"
)

// This file recognises near misses: values that are no reference as
// written but were surely meant as one (a service misspelt, a semicolon
// for the colon, an ARN's resource type left out or misspelt), so that
// they fail as malformed, with the reference probably meant, instead of
// reaching the program as its password. It is cheap: Is runs it on every
// variable of every start, and it looks at no more than a short prefix
// of a value before it knows the value is no near miss.

// ssmResourceTypes are the resource types of SSM's ARNs other than
// parameter, from the Service Authorization Reference ("Resource types
// defined by AWS Systems Manager"). An application may carry such an ARN
// (a document to run, an automation runbook): it is not a reference, and
// passes through. An SSM ARN with any other resource type is taken for a
// parameter's with the type misspelt or left out.
var ssmResourceTypes = []string{
	"association",
	"automation-definition",
	"automation-execution",
	"cloud-connector",
	"document",
	"maintenancewindow",
	"managed-instance",
	"managed-instance-inventory",
	"opsitem",
	"opsitemgroup",
	"opsmetadata",
	"patchbaseline",
	"resource-data-sync",
	"servicesetting",
	"session",
	"windowtarget",
	"windowtask",
}

// near reports whether word, in any case, is a misspelling of want: at
// most two edits away, for a word as long as "secretsmanager"; one for a
// short one, where two edits make anything. Equal words are not near.
func near(word, want string) bool {
	if len(word) < len(want)-2 || len(word) > len(want)+2 || strings.EqualFold(word, want) || !isWord(word) {
		return false
	}
	limit := 2
	if len(want) < 6 {
		limit = 1
	}
	return spell.DistanceFold(word, want) <= limit
}

// isWord reports whether s holds only ASCII letters, - and _, as a
// misspelt service or resource type does; a path (/usr/local/sbin:...)
// or a URL's scheme with digits is not looked at further.
func isWord(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20 // lower case, for letters
		if (c < 'a' || c > 'z') && s[i] != '-' && s[i] != '_' {
			return false
		}
	}
	return true
}

// maxShortWord bounds the word before the separator of a short form that
// is looked at: "secretsmanager" and two more letters.
const maxShortWord = len("secretsmanager") + 2

// misspeltShort returns the short form's prefix s was meant to start
// with ("ssm:" or "secretsmanager:") and the length of what it starts
// with instead, for a value that starts with the service misspelt and a
// colon (secretmanager:, secrets-manager:) or with the service and a
// semicolon (ssm;); otherwise "" and 0. Short services such as "ssm" are
// not matched by spelling: ssh:, sms: and sso: are a one-letter change.
func misspeltShort(s string) (prefix string, n int) {
	end := strings.IndexAny(s[:min(len(s), maxShortWord+1)], ":;")
	if end < 0 {
		return "", 0
	}
	word, sep := s[:end], s[end]
	switch {
	case sep == ';' && strings.EqualFold(word, string(SSM)):
		return "ssm:", end + 1
	case sep == ';' && strings.EqualFold(word, string(SecretsManager)):
		return "secretsmanager:", end + 1
	case near(word, string(SecretsManager)):
		return "secretsmanager:", end + 1
	}
	return "", 0
}

// misspeltService returns the service an ARN's service field was meant
// to be, given the resource field that follows it, or "": a misspelling
// of secretsmanager, or of ssm when the resource is a parameter's (sms is
// another service, but has no parameters).
func misspeltService(service, resource string) Service {
	switch {
	case near(service, string(SecretsManager)):
		return SecretsManager
	case hasPrefixFold(resource, "parameter") && near(service, string(SSM)):
		return SSM
	}
	return ""
}

// isSSMReference reports whether the resource field of an SSM ARN (what
// follows ACCOUNT:, up to the next colon) makes it a reference: a
// parameter's, or one whose type is misspelt or missing. The types of
// ssmResourceTypes are not references; neither is an ARN with nothing
// after ACCOUNT:, a prefix to build ARNs with.
func isSSMReference(resource string, more bool) bool {
	if resource == "" && !more {
		return false
	}
	typ, _, _ := strings.Cut(resource, "/")
	for _, t := range ssmResourceTypes {
		if strings.EqualFold(typ, t) {
			return false
		}
	}
	return true
}

// parameterResource returns the resource an SSM ARN's res (all after
// ACCOUNT:) was meant to be: parameter/NAME, with a misspelt type
// replaced (parameters/, Parameter/, paramter/), the slash put back
// (parameterdb), or the type put in front of a name given without one.
func parameterResource(res string) string {
	typ, name, slash := strings.Cut(res, "/")
	switch {
	case !slash && hasPrefixFold(res, "parameter"):
		return "parameter/" + res[len("parameter"):]
	case slash && (strings.EqualFold(typ, "parameter") || near(typ, "parameter")):
		return "parameter/" + name
	}
	return "parameter/" + strings.TrimPrefix(res, "/")
}

// secretResource returns the fields after ACCOUNT: of a Secrets Manager
// ARN, f, as they were meant to be: "secret" and the name, with a
// misspelt type replaced (secrets, Secret) or put in front of a name
// given without one.
func secretResource(f []string) []string {
	if strings.EqualFold(f[0], "secret") || near(f[0], "secret") {
		return append([]string{"secret"}, f[1:]...)
	}
	return append([]string{"secret"}, f...)
}

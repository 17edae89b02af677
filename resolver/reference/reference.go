// Package reference is the grammar of valuefrom's references: the
// valueFrom syntax of ECS task definitions, plus short forms. It is pure
// Go, with no AWS SDK, and makes no network call.
package reference

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Service is the AWS service a reference points into.
type Service string

// The services a reference can name.
const (
	SecretsManager Service = "secretsmanager"
	SSM            Service = "ssm"
)

// A Ref is a parsed reference to a Secrets Manager secret or an SSM parameter.
//
// The grammar, compatible with the valueFrom field of ECS task definitions:
//
//	arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME[:JSON_KEY:VERSION_STAGE:VERSION_ID]
//	arn:PARTITION:ssm:REGION:ACCOUNT:parameter/NAME[:SELECTOR]
//	secretsmanager:NAME[:JSON_KEY:VERSION_STAGE:VERSION_ID]
//	ssm:NAME[:SELECTOR]
//
// The short forms have no region: they resolve in the default region.
// PARTITION is one the AWS SDK knows (aws, aws-cn, aws-us-gov, aws-eusc,
// the ISO partitions; see partitions.go), and REGION one of its regions.
type Ref struct {
	Service   Service
	Partition string // empty for short forms
	Region    string // empty for short forms
	Account   string // empty for short forms

	// Name is the secret's name, or its name with the six-character
	// suffix AWS adds, or the parameter's name (with its leading "/" when
	// it is part of a hierarchy).
	Name string

	// Secrets Manager only.
	JSONKey      string
	VersionStage string
	VersionID    string

	// SSM only: a version number or a label.
	Selector string

	raw string
}

// ErrNotReference is returned by Parse for a value that does not start like
// a reference at all.
var ErrNotReference = errors.New("not a reference")

// A SyntaxError says why a value that starts like a reference does not
// parse. It never includes the value itself beyond the reference, and
// never a control, format (bidi, zero-width) or separator character.
type SyntaxError struct {
	Var    string // the variable that holds the value, when known
	Ref    Ref    // holds only what may be quoted of the value: the reference part
	Reason string
	// Suggest is the reference a near miss was probably meant to be
	// (secretsmanager:NAME for secretmanager:NAME), named in Reason's "did
	// you mean"; "" for other errors. It may itself be malformed, as
	// Reason then says.
	Suggest string

	suggestReason string // why Suggest is malformed, or ""
}

func (e *SyntaxError) Error() string {
	if e.Var != "" {
		return fmt.Sprintf("%s: malformed reference %q: %s", QuoteName(e.Var), e.Ref.raw, e.Reason)
	}
	return fmt.Sprintf("malformed reference %q: %s", e.Ref.raw, e.Reason)
}

// maxQuoted bounds how much of a malformed value an error quotes.
const maxQuoted = 200

// safe reports whether an error may show r as it is: a visible character
// that is not white space. Control characters, format characters (bidi
// controls such as U+202E, zero-width spaces, the BOM), line and
// paragraph separators, NEL and bytes that are not UTF-8 are not safe:
// they can split a log line, reverse it on screen or hide in it.
func safe(r rune) bool {
	return unicode.IsGraphic(r) && !unicode.IsSpace(r) && r != utf8.RuneError
}

func unsafe(r rune) bool { return !safe(r) }

// quotable returns what an error may show of a value that starts like a
// reference but does not parse: the part before the first character that
// is not safe (white space, a control, format or separator character), at
// most maxQuoted bytes, cut between characters, and how much was left
// out. What follows a space may be anything, a password included.
func quotable(s string) string {
	end := strings.IndexFunc(s, unsafe)
	if end < 0 {
		end = len(s)
	}
	if end > maxQuoted {
		end = maxQuoted
		for end > 0 && !utf8.RuneStart(s[end]) {
			end--
		}
	}
	if end == len(s) {
		return s
	}
	return fmt.Sprintf("%s… (%d more bytes not shown)", s[:end], len(s)-end)
}

// QuoteName returns a variable's name for an error or a log line: as it
// is when every character of it is safe to show, otherwise quoted as %q
// does, with control, format and separator characters and bytes that
// are not UTF-8 escaped.
func QuoteName(name string) string {
	if name != "" && !strings.ContainsFunc(name, unsafe) {
		return name
	}
	return strconv.Quote(name)
}

// isJunk reports whether r is what may surround a reference by accident,
// in a copy and paste or a quoted YAML value: white space, a quotation
// mark (ASCII, typographic or other), a backquote, or a character that is
// not safe to show (such as a BOM or a zero-width space).
func isJunk(r rune) bool {
	return unsafe(r) || r == '`' || unicode.Is(unicode.Quotation_Mark, r)
}

// surrounded returns the reason for a reference with junk around it, or
// "" when there is none, and the reference without it.
func surrounded(s string) (reason, core string) {
	left := strings.TrimLeftFunc(s, isJunk)
	core = strings.TrimRightFunc(left, isJunk)
	var what []string
	if len(left) < len(s) {
		r, _ := utf8.DecodeRuneInString(s)
		what = append(what, "starts with "+describe(r))
	}
	if len(core) < len(left) {
		r, _ := utf8.DecodeLastRuneInString(s)
		what = append(what, "ends with "+describe(r))
	}
	if what == nil {
		return "", s
	}
	return "white space, quotes or invisible characters surround the reference: it " + strings.Join(what, " and "), core
}

// describe names a character that surrounds a reference, without showing
// it when it is not safe to show.
func describe(r rune) string {
	switch r {
	case ' ':
		return "a space"
	case '\t':
		return "a tab"
	case '\n':
		return "a line feed"
	case '\r':
		return "a carriage return"
	case '"', '\'', '`':
		return fmt.Sprintf("a quote (%c)", r)
	case 0xa0:
		return "a no-break space (U+00A0)"
	case 0xfeff:
		return "a byte order mark (U+FEFF)"
	case utf8.RuneError:
		return "a byte that is not UTF-8, or U+FFFD"
	}
	switch {
	case unicode.Is(unicode.Quotation_Mark, r):
		return fmt.Sprintf("a quote (U+%04X)", r)
	case unicode.IsSpace(r):
		return fmt.Sprintf("white space (U+%04X)", r)
	case unicode.IsControl(r):
		return fmt.Sprintf("a control character (U+%04X)", r)
	}
	return fmt.Sprintf("an invisible character (U+%04X)", r)
}

// patterns holds the grammar's regular expressions, compiled on first
// use: a start without a reference never parses one.
var patterns = sync.OnceValue(func() struct{ account, secretName, paramName, selector, regionShape *regexp.Regexp } {
	return struct{ account, secretName, paramName, selector, regionShape *regexp.Regexp }{
		account: regexp.MustCompile(`^[0-9]{12}$`),
		// Secret names: ASCII letters, digits and /_+=.@-; at most 512,
		// checked apart, since a bounded repeat compiles to one copy of
		// the class per repeat, and costs every start 10 ms and 0.5 MB.
		// The secrets Secrets Manager creates for other services (RDS's
		// rds!db-..., EventBridge's events!connection/...) start with the
		// service's id and "!", which no other name may hold.
		secretName: regexp.MustCompile(`^([a-z0-9-]+!)?[A-Za-z0-9/_+=.@-]+$`),
		// Parameter names: letters, digits and .-_/ ; at most 2048 with the path.
		paramName: regexp.MustCompile(`^/?[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$`),
		// Labels: letters, digits, ., -, _; at most 100; not starting with
		// a digit. A selector of digits only is a version.
		selector: regexp.MustCompile(`^([0-9]{1,19}|[A-Za-z._-][A-Za-z0-9._-]*)$`),
		// Region names are lower case; the SDK's patterns would also take
		// upper case and underscores (\w).
		regionShape: regexp.MustCompile(`^[a-z0-9-]+$`),
	}
})

// Is reports whether s starts like a reference, so that it must
// parse, rather than being an ordinary value passed through untouched.
//
// White space, quotes and invisible characters before the reference do
// not count: ` ssm:/p`, `"ssm:/p"` or a BOM before it start like a
// reference, and Parse rejects them, rather than the application
// receiving them as its value. A value that only holds a reference after
// other text, such as "my ssm:/p note" or a URL, is not one.
//
// The prefixes ("arn:", the service, "ssm:", "secretsmanager:") are
// matched without regard to case, so that a mistyped "ARN:aws:ssm:..." or
// "SSM:/app/db" is an error rather than a literal handed to the
// application as its password. So are near misses: secretsmanager
// misspelt (secretmanager:, secrets-manager:, arn:aws:secretmanager:...),
// a semicolon for the colon (ssm;/app/db), and an SSM ARN whose resource
// type is misspelt or missing (arn:aws:ssm:REGION:ACCOUNT:/app/db). ARNs
// of SSM's other resource types (document/, automation-definition/,
// association/ and the rest) and of other services, such as a KMS key's
// or an S3 bucket's, are not references.
func Is(s string) bool {
	s = strings.TrimLeftFunc(s, isJunk)
	if hasPrefixFold(s, "ssm:") || hasPrefixFold(s, "secretsmanager:") {
		return true
	}
	if !hasPrefixFold(s, "arn:") {
		prefix, _ := misspeltShort(s)
		return prefix != ""
	}
	f := strings.SplitN(s, ":", 7)
	if len(f) < 3 {
		return false
	}
	switch strings.ToLower(f[2]) {
	case "secretsmanager":
		return true
	case "ssm":
		return len(f) >= 6 && isSSMReference(f[5], len(f) > 6)
	}
	return len(f) >= 6 && misspeltService(f[2], f[5]) != ""
}

// Parse parses a reference. It makes no network call. A value for which
// Is is false yields ErrNotReference; one that starts like a
// reference but does not parse yields a *SyntaxError. So does a reference
// with white space, quotes or invisible characters around it, or with a
// character in it that is not safe to show in a log line (see Quote).
func Parse(s string) (Ref, error) {
	if !Is(s) {
		return Ref{}, ErrNotReference
	}
	if reason, core := surrounded(s); reason != "" {
		return Ref{}, &SyntaxError{Ref: Ref{raw: quotable(core)}, Reason: reason}
	}
	bad := func(format string, a ...any) (Ref, error) {
		return Ref{}, &SyntaxError{Ref: Ref{raw: quotable(s)}, Reason: fmt.Sprintf(format, a...)}
	}
	if strings.ContainsFunc(s, unsafe) {
		return bad("contains white space, a control character or an invisible character")
	}

	// suggest reports a near miss: why it does not parse, and corrected,
	// the reference it was probably meant to be, or that one's own
	// correction (two mistakes at once), noting when it too is malformed.
	suggest := func(why, corrected string) (Ref, error) {
		tail := ""
		var se *SyntaxError
		if _, err := Parse(corrected); errors.As(err, &se) {
			if se.Suggest != "" {
				corrected, tail = se.Suggest, se.suggestReason
			} else {
				tail = se.Reason
			}
		}
		shown := quotable(corrected)
		reason := fmt.Sprintf("%s: did you mean %q?", why, shown)
		if tail != "" {
			reason += " (it too is malformed: " + tail + ")"
		}
		e := &SyntaxError{Ref: Ref{raw: quotable(s)}, Reason: reason, suggestReason: tail}
		if shown == corrected {
			e.Suggest = corrected
		}
		return Ref{}, e
	}

	if prefix, n := misspeltShort(s); prefix != "" {
		return suggest(fmt.Sprintf(`the short forms start "ssm:" or "secretsmanager:", not %q`, s[:n]), prefix+s[n:])
	}
	if (hasPrefixFold(s, "ssm:") && !strings.HasPrefix(s, "ssm:")) ||
		(hasPrefixFold(s, "secretsmanager:") && !strings.HasPrefix(s, "secretsmanager:")) {
		return bad(`the short forms start "ssm:" or "secretsmanager:", in lower case`)
	}
	switch {
	case strings.HasPrefix(s, "ssm:"):
		r, reason := parseParameter(strings.TrimPrefix(s, "ssm:"))
		if reason != "" {
			return bad("%s", reason)
		}
		r.raw = s
		return r, nil
	case strings.HasPrefix(s, "secretsmanager:"):
		r, reason := parseSecret(strings.Split(strings.TrimPrefix(s, "secretsmanager:"), ":"))
		if reason != "" {
			return bad("%s", reason)
		}
		r.raw = s
		return r, nil
	}

	// arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE
	f := strings.Split(s, ":")
	if f[0] != "arn" {
		return bad(`an ARN starts with "arn:" in lower case`)
	}
	if len(f) < 6 {
		return bad("an ARN has at least six colon-separated fields")
	}
	partition, service, region, account := f[1], f[2], f[3], f[4]
	withService := func(service Service) string {
		return strings.Join(slices.Concat(f[:2], []string{string(service)}, f[3:]), ":")
	}
	if meant := misspeltService(service, f[5]); meant != "" {
		return suggest(fmt.Sprintf("service %q is neither secretsmanager nor ssm", quotable(service)), withService(meant))
	}
	if service != string(SecretsManager) && service != string(SSM) {
		return suggest(fmt.Sprintf("service %q must be secretsmanager or ssm, in lower case", quotable(service)), withService(Service(strings.ToLower(service))))
	}
	if partitionByID(partition) == nil {
		return bad("partition %q is not an AWS partition: %s", quotable(partition), partitionIDs())
	}
	if !IsRegion(region) {
		return bad("region %q is not a region such as us-east-1", quotable(region))
	}
	if p := PartitionOf(region); p != partition {
		return bad("region %s is in partition %s, not %s", region, p, partition)
	}
	if !RegionExists(region) {
		return bad("no region %s in partition %s: valuefrom knows the regions of the AWS SDK it was built with (a region launched since needs a newer valuefrom)", region, partition)
	}
	if !patterns().account.MatchString(account) {
		return bad("account %q is not a 12-digit account ID", quotable(account))
	}

	var r Ref
	var reason string
	if service == string(SecretsManager) {
		if f[5] != "secret" {
			return suggest(`a Secrets Manager ARN has "secret" as its resource type`, strings.Join(slices.Concat(f[:5], secretResource(f[5:])), ":"))
		}
		r, reason = parseSecret(f[6:])
	} else {
		res := strings.Join(f[5:], ":")
		name, ok := strings.CutPrefix(res, "parameter/")
		if !ok {
			return suggest(`an SSM parameter's ARN has a resource of the form "parameter/NAME" (SSM's other resource types, such as document/NAME, are no references)`,
				strings.Join(append(f[:5:5], parameterResource(res)), ":"))
		}
		// The ARN of /app/db ends in parameter/app/db; of db, in parameter/db.
		if strings.Contains(strings.SplitN(name, ":", 2)[0], "/") {
			name = "/" + name
		}
		r, reason = parseParameter(name)
	}
	if reason != "" {
		return bad("%s", reason)
	}
	r.Partition, r.Region, r.Account, r.raw = partition, region, account, s
	return r, nil
}

// parseSecret parses NAME[:JSON_KEY:VERSION_STAGE:VERSION_ID], given split
// on colons. It returns a reason when the fields do not parse.
func parseSecret(f []string) (Ref, string) {
	switch {
	case len(f) == 0 || f[0] == "":
		return Ref{}, "the secret name is empty"
	case len(f) == 2 || len(f) == 3:
		return Ref{}, "after the secret name come exactly three fields, JSON_KEY:VERSION_STAGE:VERSION_ID, any of them empty (as in NAME:password::)"
	case len(f) > 4:
		return Ref{}, "too many fields: after the secret name come at most JSON_KEY:VERSION_STAGE:VERSION_ID"
	case len(f[0]) > 512 || !patterns().secretName.MatchString(f[0]):
		return Ref{}, fmt.Sprintf("secret name %q may hold only letters, digits and /_+=.@- (at most 512), after the SERVICE! that starts the name of a secret another service manages (rds!db-...)", quotable(f[0]))
	}
	r := Ref{Service: SecretsManager, Name: f[0]}
	if len(f) == 4 {
		r.JSONKey, r.VersionStage, r.VersionID = f[1], f[2], f[3]
	}
	if len(r.VersionStage) > 256 {
		return Ref{}, "the version stage is longer than 256 characters"
	}
	if r.VersionID != "" && (len(r.VersionID) < 32 || len(r.VersionID) > 64) {
		return Ref{}, fmt.Sprintf("version id %q is not 32 to 64 characters long", quotable(r.VersionID))
	}
	return r, ""
}

// parseParameter parses NAME[:SELECTOR].
func parseParameter(s string) (Ref, string) {
	name, selector, hasSelector := strings.Cut(s, ":")
	switch {
	case name == "":
		return Ref{}, "the parameter name is empty"
	case len(name) > 2048:
		return Ref{}, "the parameter name is longer than 2048 characters"
	case !patterns().paramName.MatchString(name):
		return Ref{}, fmt.Sprintf("parameter name %q may hold only letters, digits and ._-, in /-separated parts", quotable(name))
	case hasSelector && selector == "":
		return Ref{}, "the selector after the parameter name is empty: give a version or a label, or no colon"
	case hasSelector && (len(selector) > 100 || !patterns().selector.MatchString(selector)):
		return Ref{}, fmt.Sprintf("selector %q is neither a version number nor a label (letters, digits and ._-, not starting with a digit)", quotable(selector))
	}
	return Ref{Service: SSM, Name: name, Selector: selector}, ""
}

// String returns the reference as it was written.
func (r Ref) String() string { return r.raw }

// ID returns what identifies the secret or parameter to AWS: for a secret
// given by ARN, the ARN without the JSON key and version fields; otherwise
// the name.
func (r Ref) ID() string {
	if r.Service == SecretsManager && r.Partition != "" {
		return fmt.Sprintf("arn:%s:secretsmanager:%s:%s:secret:%s", r.Partition, r.Region, r.Account, r.Name)
	}
	return r.Name
}

// ARN returns the ARN IAM would name for the secret or parameter, using
// region and account where the reference has none. A secret given by its
// name gets the wildcard "-??????" for the six characters AWS appends to
// every secret's name in its ARN: a name is never its ARN's last part,
// whatever its shape ("app/my-secret" ends like a suffix, but is a name).
// A secret given by ARN keeps the ARN as written: it is exact when it is
// complete, and partial when its suffix is left out, which only AWS can
// tell (DescribeSecret returns the ARN); a policy that must match either
// way names both the ARN as written and its "-??????" form.
func (r Ref) ARN(partition, region, account string) string {
	if r.Service == SSM {
		if r.Partition != "" {
			partition, region, account = r.Partition, r.Region, r.Account
		}
		return fmt.Sprintf("arn:%s:ssm:%s:%s:parameter/%s", partition, region, account, strings.TrimPrefix(r.Name, "/"))
	}
	if r.Partition != "" {
		return r.ID()
	}
	return fmt.Sprintf("arn:%s:secretsmanager:%s:%s:secret:%s-??????", partition, region, account, r.Name)
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// IsAccount reports whether s is a 12-digit AWS account ID.
func IsAccount(s string) bool { return patterns().account.MatchString(s) }

// Quote returns what an error may show of a value that starts like a
// reference: the part before the first white space, control, format (such
// as a bidi control or a zero-width space) or separator character, or
// byte that is not UTF-8, at most 200 bytes, cut between characters. What
// follows a space may be anything, a password included. The result holds
// no such character, so it is safe in a log line even unquoted.
func Quote(s string) string { return quotable(s) }

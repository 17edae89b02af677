package preflight

import (
	"fmt"
	"strings"
	"time"
)

// Schema is the version of the JSON report. It changes only when a field
// changes meaning or goes away; new fields may be added within a version.
const Schema = 1

// A Report is the result of Check: a row per variable, in the order of
// the environment or the task definition.
type Report struct {
	Schema int `json:"schema"`
	// Credentials are the credentials the check ran with; nil when it
	// examined no reference, and so asked AWS nothing.
	Credentials *Credentials `json:"credentials,omitempty"`
	Rows        []Row        `json:"rows"`
	Summary     Summary      `json:"summary"`
}

// Credentials are the AWS credentials a check ran with: the source the
// SDK's chain chose, in the words valuefrom's errors use, and whose they
// are, as sts:GetCallerIdentity says. They hold no key or token.
type Credentials struct {
	Source   string `json:"source"`
	Identity string `json:"identity,omitempty"` // the caller's ARN
	Account  string `json:"account,omitempty"`
	// Error says why the identity is unknown: sts:GetCallerIdentity
	// failed, as it does for keys that are not valid.
	Error string `json:"error,omitempty"`
}

// Summary counts the rows by verdict.
type Summary struct {
	OK      int `json:"ok"`
	Warning int `json:"warning"`
	Fail    int `json:"fail"`
}

// Verdict is a row's conclusion.
type Verdict string

// The verdicts, from best to worst.
const (
	OK      Verdict = "ok"      // will resolve at start
	Warning Verdict = "warning" // will resolve, but something needs attention or could not be checked
	Fail    Verdict = "fail"    // will not resolve at start
)

func (v Verdict) rank() int {
	switch v {
	case Warning:
		return 1
	case Fail:
		return 2
	}
	return 0
}

// Outcome counts the rows of verdict v by what they are about, for the
// line that ends a check: "4 references would not resolve, 1 setting
// would stop the start", never a setting or an entry counted as a
// reference. It is "" when no row has verdict v.
func (r *Report) Outcome(v Verdict) string {
	n := countRows(r.Rows, func(row Row) bool { return row.Verdict == v })
	var parts []string
	add := func(n int, one, many, fail, warn string) {
		if n == 0 {
			return
		}
		what := warn
		if v == Fail {
			what = fail
		}
		parts = append(parts, fmt.Sprintf("%d %s %s", n, plural(n, one, many), what))
	}
	add(n.refs, "reference", "references", "would not resolve", "with warnings")
	add(n.settings, "setting", "settings", "would stop the start", "with warnings")
	add(n.entries, "task-definition entry", "task-definition entries", "ECS would refuse", "with warnings")
	add(n.templates, "template", "templates", "would not render", "with warnings")
	return strings.Join(parts, ", ")
}

// A rowKind is what a row is about.
type rowKind int

const (
	aReference rowKind = iota
	aSetting
	anEntry // a task-definition entry ECS would refuse
	aTemplate
)

func (r Row) kind() rowKind {
	switch {
	case r.Entry:
		return anEntry
	case r.Template != "":
		return aTemplate
	case r.Setting:
		return aSetting
	}
	return aReference
}

// rowCounts are rows counted by what they are about; a template's rows
// count once.
type rowCounts struct{ refs, settings, entries, templates int }

// countRows counts the rows that keep, when not nil, keeps.
func countRows(rows []Row, keep func(Row) bool) rowCounts {
	var n rowCounts
	templates := map[string]bool{}
	for _, row := range rows {
		if keep != nil && !keep(row) {
			continue
		}
		switch row.kind() {
		case anEntry:
			n.entries++
		case aTemplate:
			templates[row.Template] = true
		case aSetting:
			n.settings++
		default:
			n.refs++
		}
	}
	n.templates = len(templates)
	return n
}

// Worst returns the worst verdict of the report: ok for no rows.
func (r *Report) Worst() Verdict {
	switch {
	case r.Summary.Fail > 0:
		return Fail
	case r.Summary.Warning > 0:
		return Warning
	}
	return OK
}

// Status is the answer to a yes-or-no question a row asks.
type Status string

// The answers.
const (
	Yes           Status = "yes"
	No            Status = "no"
	Unknown       Status = "unknown" // could not be checked
	NotApplicable Status = "n/a"     // the reference does not ask
)

// A Row is what Check found about one variable's reference. No field ever
// holds the value.
type Row struct {
	Var     string `json:"var"`
	Ref     string `json:"ref"`               // empty for a setting
	Setting bool   `json:"setting,omitempty"` // a VALUEFROM_* variable, not a reference (see Config.Settings)
	Entry   bool   `json:"entry,omitempty"`   // an entry of the task definition that ECS would refuse (see Inputs.Refused)
	// Template is the template and its file, SRC:DEST, of a row about a
	// template (see Inputs.Templates); Var is then the template, with the
	// line and column of a problem.
	Template string `json:"template,omitempty"`
	Parses   bool   `json:"parses"`
	Service  string `json:"service,omitempty"` // secretsmanager or ssm
	Region   string `json:"region,omitempty"`  // where it was looked for
	ARN      string `json:"arn,omitempty"`     // as AWS reported it
	Type     string `json:"type,omitempty"`    // SSM only: String, StringList or SecureString

	Exists  Status `json:"exists"`   // the secret or parameter exists in Region
	Version Status `json:"version"`  // the version, stage or label the reference asks for exists
	JSONKey Status `json:"json_key"` // the JSON key the reference asks for is in the value

	KMS      *Key      `json:"kms,omitempty"`      // absent when the value is not encrypted or the key is unknown
	Rotation *Rotation `json:"rotation,omitempty"` // Secrets Manager only, when DescribeSecret answered
	// Replicas are the secret's copies in the fallback regions, when
	// Config.FallbackRegions are set.
	Replicas []Replica `json:"replicas,omitempty"`

	// Unchecked lists what could not be checked, as "ACTION (CODE): what".
	Unchecked []string `json:"unchecked,omitempty"`

	Verdict  Verdict   `json:"verdict"`
	Problems []Problem `json:"problems,omitempty"`
}

// A Problem is why a row is not ok, and what to do about it.
type Problem struct {
	Verdict Verdict `json:"verdict"` // warning or fail
	Code    string  `json:"code"`    // an AWS error code, or one of valuefrom's own
	Message string  `json:"message"`
	Hint    string  `json:"hint,omitempty"`
}

// valuefrom's own problem codes, in addition to AWS's error codes and
// resolver's.
const (
	CodeSecretDeleted    = "SecretScheduledForDeletion"
	CodeVersionNotFound  = "VersionNotFound"
	CodeWrongRegion      = "FoundInOtherRegion"
	CodeKeyState         = "KMSKeyState" // an unexpected state; the known ones are KMSKey+state: KMSKeyDisabled, KMSKeyPendingDeletion, ...
	CodeKeyNotFound      = "KMSKeyNotFound"
	CodeKeyTransitional  = "KMSKeyChanging"
	CodeRotationDue      = "RotationDueWithinTTL"
	CodeRotationOverdue  = "RotationOverdue"
	CodeUnchecked        = "NotChecked"
	CodeCheckCallFailure = "CheckFailed"
	CodeBatchDenied      = "BatchGetSecretValueDenied" // a start would batch the secret, and IAM denies the batch
	CodeOverridden       = "OverriddenByEnvironment"   // a parameter under a path whose variable is set explicitly
	CodeFileName         = "InvalidFileName"           // a _FILE variable whose name a start refuses (exit 5)
	CodeTaskDefinition   = "MalformedTaskDefinition"   // an entry of the container that ECS would refuse: run exits 3
)

// A Key is the KMS key that protects a secret or parameter.
type Key struct {
	// ID is the key as the secret or parameter names it: an alias, a key
	// id or an ARN; alias/aws/secretsmanager or alias/aws/ssm when no
	// customer-managed key is set.
	ID      string `json:"id"`
	ARN     string `json:"arn,omitempty"` // from kms:DescribeKey
	Manager string `json:"manager"`       // aws, customer or unknown
	State   string `json:"state"`         // KMS's KeyState, such as Enabled, Disabled, PendingDeletion; unknown
	// DeletionDate is when KMS deletes a key pending deletion.
	DeletionDate *time.Time `json:"deletion_date,omitempty"`
	// MultiRegion is primary or replica for a multi-Region key: which of
	// them is in the region asked; empty for a single-Region key.
	MultiRegion string `json:"multi_region,omitempty"`
	// Rotation says whether KMS rotates the key's material automatically.
	Rotation Status `json:"rotation"`
}

// Rotation is a secret's Secrets Manager rotation.
type Rotation struct {
	Enabled      bool       `json:"enabled"`
	LastRotated  *time.Time `json:"last_rotated,omitempty"`
	NextRotation *time.Time `json:"next_rotation,omitempty"`
}

// problem records a problem on the row.
func (r *row) problem(v Verdict, code, msg, hint string) {
	r.Problems = append(r.Problems, Problem{Verdict: v, Code: code, Message: msg, Hint: hint})
}

// judge adds the problems that follow from the facts gathered, then sets
// the verdict to the worst problem's.
func (r *row) judge(now time.Time, window time.Duration) {
	if k := r.KMS; k != nil {
		r.judgeKey(k)
	}
	r.judgeReplicas()
	if rot := r.Rotation; rot != nil && rot.Enabled && rot.NextRotation != nil {
		next := *rot.NextRotation
		switch {
		case next.Before(now):
			r.problem(Warning, CodeRotationOverdue, "rotation was due on "+day(next)+" and has not happened",
				"the last rotation may have failed: check the rotation function's logs, then aws secretsmanager rotate-secret --secret-id "+r.ref.ID())
		case window > 0 && next.Before(now.Add(window)):
			r.problem(Warning, CodeRotationDue, "rotation is due on "+day(next)+", within the cache TTL of "+window.String(),
				"a value cached before the rotation is served after it until the TTL ends: shorten the TTL, or make sure the old version stays valid until then")
		}
	}
	if len(r.Unchecked) > 0 && !r.hasProblem(Fail) {
		msg := "could not check: "
		for i, u := range r.Unchecked {
			if i > 0 {
				msg += "; "
			}
			msg += u
		}
		r.problem(Warning, CodeUnchecked, msg,
			"grant the identity running the check the read-only calls named (the task role does not need them), or check these by hand")
	}
	r.Verdict = OK
	for _, p := range r.Problems {
		if p.Verdict.rank() > r.Verdict.rank() {
			r.Verdict = p.Verdict
		}
	}
}

func (r *row) hasProblem(v Verdict) bool {
	for _, p := range r.Problems {
		if p.Verdict == v {
			return true
		}
	}
	return false
}

// judgeKey adds the problem a key's state makes, if any.
func (r *row) judgeKey(k *Key) {
	name := k.ARN
	if name == "" {
		name = k.ID
	}
	region := keyRegion(name, r.Region)
	switch k.State {
	case "Enabled", "unknown", "":
	case "Disabled":
		r.problem(Fail, "KMSKey"+k.State, "KMS key "+k.ID+" is disabled: new tasks cannot decrypt the value and fail to start; running tasks are unaffected",
			"enable it: aws kms enable-key --region "+region+" --key-id "+name)
	case "PendingDeletion":
		when := "soon"
		if k.DeletionDate != nil {
			when = "on " + day(*k.DeletionDate)
		}
		r.problem(Fail, "KMSKey"+k.State, "KMS key "+k.ID+" is pending deletion, to be deleted "+when+
			": it cannot decrypt, and after that date every value it encrypts is lost for good",
			"cancel the deletion, then enable the key: aws kms cancel-key-deletion --region "+region+" --key-id "+name+
				" && aws kms enable-key --region "+region+" --key-id "+name)
	case "PendingReplicaDeletion":
		r.problem(Fail, "KMSKey"+k.State, "KMS key "+k.ID+" is a multi-Region primary key scheduled for deletion, waiting for its replicas to go",
			"cancel the deletion: aws kms cancel-key-deletion --region "+region+" --key-id "+name)
	case "PendingImport":
		r.problem(Fail, "KMSKey"+k.State, "KMS key "+k.ID+" has no key material yet (PendingImport)",
			"import the key material: aws kms import-key-material, or re-encrypt the value under another key")
	case "Unavailable":
		r.problem(Fail, "KMSKey"+k.State, "KMS key "+k.ID+" is unavailable: its custom key store is disconnected",
			"reconnect the custom key store: aws kms connect-custom-key-store")
	case "NotFound":
		if k.Manager != "aws" { // AWS creates its managed keys on first use
			r.problem(Fail, CodeKeyNotFound, "KMS key "+k.ID+" does not exist in "+region+": nothing can decrypt the value",
				"if the key was deleted the value is lost: recreate the secret or parameter under an existing key")
		}
	case "Creating", "Updating":
		r.problem(Warning, CodeKeyTransitional, "KMS key "+k.ID+" is "+k.State,
			"a multi-Region key is being created or updated: run the check again in a few minutes")
	default:
		r.problem(Warning, CodeKeyState, "KMS key "+k.ID+" is in state "+k.State, "check the key in the KMS console")
	}
}

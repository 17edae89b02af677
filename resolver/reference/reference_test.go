package reference

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParse(t *testing.T) {
	const sm = "arn:aws:secretsmanager:us-east-1:123456789012:secret:"
	const ps = "arn:aws:ssm:eu-west-1:123456789012:parameter/"
	tests := []struct {
		name string
		in   string
		want Ref // raw is filled in from in
	}{
		{"secret full ARN", sm + "db-AbCdEf", Ref{Service: SecretsManager, Partition: "aws", Region: "us-east-1", Account: "123456789012", Name: "db-AbCdEf"}},
		{"secret partial ARN", sm + "db", Ref{Service: SecretsManager, Partition: "aws", Region: "us-east-1", Account: "123456789012", Name: "db"}},
		{"secret path name", sm + "prod/app/db", Ref{Service: SecretsManager, Partition: "aws", Region: "us-east-1", Account: "123456789012", Name: "prod/app/db"}},
		{"secret JSON key", sm + "db-AbCdEf:password::", Ref{Service: SecretsManager, Partition: "aws", Region: "us-east-1", Account: "123456789012", Name: "db-AbCdEf", JSONKey: "password"}},
		{"secret stage", sm + "db::AWSPREVIOUS:", Ref{Service: SecretsManager, Partition: "aws", Region: "us-east-1", Account: "123456789012", Name: "db", VersionStage: "AWSPREVIOUS"}},
		{"secret all fields", sm + "db:k:AWSCURRENT:0f90742f-17e1-4293-b0de-c1e57f25fa22", Ref{Service: SecretsManager, Partition: "aws", Region: "us-east-1", Account: "123456789012", Name: "db", JSONKey: "k", VersionStage: "AWSCURRENT", VersionID: "0f90742f-17e1-4293-b0de-c1e57f25fa22"}},
		{"secret three empty fields", sm + "db:::", Ref{Service: SecretsManager, Partition: "aws", Region: "us-east-1", Account: "123456789012", Name: "db"}},
		{"secret aws-cn", "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:db", Ref{Service: SecretsManager, Partition: "aws-cn", Region: "cn-north-1", Account: "123456789012", Name: "db"}},
		{"secret aws-us-gov", "arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:db", Ref{Service: SecretsManager, Partition: "aws-us-gov", Region: "us-gov-west-1", Account: "123456789012", Name: "db"}},
		{"secret aws-eusc", "arn:aws-eusc:secretsmanager:eusc-de-east-1:123456789012:secret:x", Ref{Service: SecretsManager, Partition: "aws-eusc", Region: "eusc-de-east-1", Account: "123456789012", Name: "x"}},
		{"parameter aws-eusc", "arn:aws-eusc:ssm:eusc-de-east-1:123456789012:parameter/app/x", Ref{Service: SSM, Partition: "aws-eusc", Region: "eusc-de-east-1", Account: "123456789012", Name: "/app/x"}},
		{"secret iso partition", "arn:aws-iso-b:secretsmanager:us-isob-east-1:123456789012:secret:db", Ref{Service: SecretsManager, Partition: "aws-iso-b", Region: "us-isob-east-1", Account: "123456789012", Name: "db"}},
		{"parameter hierarchy", ps + "app/db", Ref{Service: SSM, Partition: "aws", Region: "eu-west-1", Account: "123456789012", Name: "/app/db"}},
		{"parameter top level", ps + "db", Ref{Service: SSM, Partition: "aws", Region: "eu-west-1", Account: "123456789012", Name: "db"}},
		{"parameter version", ps + "app/db:3", Ref{Service: SSM, Partition: "aws", Region: "eu-west-1", Account: "123456789012", Name: "/app/db", Selector: "3"}},
		{"parameter label", ps + "app/db:prod", Ref{Service: SSM, Partition: "aws", Region: "eu-west-1", Account: "123456789012", Name: "/app/db", Selector: "prod"}},
		{"secret name of 512", sm + strings.Repeat("a", 512), Ref{Service: SecretsManager, Partition: "aws", Region: "us-east-1", Account: "123456789012", Name: strings.Repeat("a", 512)}},
		{"label of 100", ps + "app/db:" + strings.Repeat("a", 100), Ref{Service: SSM, Partition: "aws", Region: "eu-west-1", Account: "123456789012", Name: "/app/db", Selector: strings.Repeat("a", 100)}},
		{"short ssm", "ssm:/app/db", Ref{Service: SSM, Name: "/app/db"}},
		{"short ssm bare", "ssm:db", Ref{Service: SSM, Name: "db"}},
		{"short ssm version", "ssm:/app/db:12", Ref{Service: SSM, Name: "/app/db", Selector: "12"}},
		{"short ssm label", "ssm:/app/db:blue-1", Ref{Service: SSM, Name: "/app/db", Selector: "blue-1"}},
		{"short secret", "secretsmanager:db", Ref{Service: SecretsManager, Name: "db"}},
		{"short secret key", "secretsmanager:db:password::", Ref{Service: SecretsManager, Name: "db", JSONKey: "password"}},
		{"short secret stage", "secretsmanager:db::AWSPENDING:", Ref{Service: SecretsManager, Name: "db", VersionStage: "AWSPENDING"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			tt.want.raw = tt.in
			if got != tt.want {
				t.Errorf("Parse(%q)\n got %+v\nwant %+v", tt.in, got, tt.want)
			}
			if got.String() != tt.in {
				t.Errorf("String() = %q, want %q", got.String(), tt.in)
			}
		})
	}
}

func TestParseMalformed(t *testing.T) {
	const sm = "arn:aws:secretsmanager:us-east-1:123456789012:secret:"
	tests := []struct{ name, in, reason string }{
		{"one extra field", sm + "db:password", "exactly three fields"},
		{"two extra fields", sm + "db:password:", "exactly three fields"},
		{"four extra fields", sm + "db:a:b:c:d", "too many fields"},
		{"empty secret name", sm, "secret name is empty"},
		{"empty secret name with fields", sm + ":k::", "secret name is empty"},
		{"bad secret name", sm + "db#1", "may hold only"},
		{"secret name of 513", sm + strings.Repeat("a", 513), "at most 512"},
		{"label of 101", "ssm:/app/db:" + strings.Repeat("a", 101), "selector"},
		{"short version id", sm + "db:::abc", "32 to 64"},
		{"uppercase ARN", "ARN:aws:secretsmanager:us-east-1:123456789012:secret:db", "lower case"},
		{"uppercase service", "arn:aws:SecretsManager:us-east-1:123456789012:secret:db", "lower case"},
		{"bad partition", "arn:amazon:secretsmanager:us-east-1:123456789012:secret:db", "partition"},
		{"empty partition", "arn::secretsmanager:us-east-1:123456789012:secret:db", "partition"},
		{"bad region", "arn:aws:secretsmanager:useast1:123456789012:secret:db", "region"},
		{"empty region", "arn:aws:secretsmanager::123456789012:secret:db", "region"},
		{"short account", "arn:aws:secretsmanager:us-east-1:12345:secret:db", "account"},
		{"letters in account", "arn:aws:secretsmanager:us-east-1:12345678901a:secret:db", "account"},
		{"wrong resource type", "arn:aws:secretsmanager:us-east-1:123456789012:secrets:db", "resource type"},
		{"too few fields", "arn:aws:secretsmanager:us-east-1", "six"},
		{"trailing space", sm + "db ", "white space"},
		{"inner space", "ssm:/app/ db", "white space"},
		{"newline", "ssm:/app/db\n", "white space"},
		{"tab", "secretsmanager:\tdb", "white space"},
		{"empty ssm name", "ssm:", "parameter name is empty"},
		{"empty selector", "ssm:/app/db:", "selector"},
		{"bad selector", "ssm:/app/db:a:b", "selector"},
		{"label starting with digit", "ssm:/app/db:1abc", "selector"},
		{"double slash", "ssm://app/db", "parameter name"},
		{"trailing slash", "ssm:/app/", "parameter name"},
		{"parameter ARN no name", "arn:aws:ssm:us-east-1:123456789012:parameter/", "parameter name is empty"},
		{"parameter ARN no slash", "arn:aws:ssm:us-east-1:123456789012:parameterdb", `parameter/NAME`},
		{"empty short secret", "secretsmanager:", "secret name is empty"},
		{"short secret one field", "secretsmanager:db:k", "exactly three fields"},
		{"uppercase short ssm", "SSM:/app/db", "lower case"},
		{"mixed-case short secret", "SecretsManager:db", "lower case"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !Is(tt.in) {
				t.Fatalf("Is(%q) = false, want true: a malformed reference must fail, not pass through", tt.in)
			}
			wantSyntaxError(t, tt.in, tt.reason)
		})
	}
}

// wantSyntaxError fails the test unless Parse(in) fails with a
// *SyntaxError whose reason mentions reason.
func wantSyntaxError(t *testing.T, in, reason string) {
	t.Helper()
	_, err := Parse(in)
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("Parse(%q) error = %v, want a *SyntaxError", in, err)
	}
	if !strings.Contains(se.Reason, reason) {
		t.Errorf("Parse(%q) reason = %q, want it to mention %q", in, se.Reason, reason)
	}
}

func TestIs(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"", false},
		{"hello", false},
		{"postgres://user:pw@host/db", false},
		{"arn:aws:kms:us-east-1:123456789012:key/abc", false},
		{"arn:aws:s3:::bucket", false},
		{"arn:aws:ssm:us-east-1:123456789012:document/run", false},
		{" ssm:/app/db", true},
		{"SSM:/app/db", true},
		{"SecretsManager:db", true},
		{"ssm:/app/db", true},
		{"secretsmanager:db", true},
		{"arn:aws:ssm:us-east-1:123456789012:parameter/x", true},
		{"arn:aws:secretsmanager:us-east-1:123456789012:secret:x", true},
		{"Arn:aws:secretsmanager:us-east-1:123456789012:secret:x", true},
	}
	for _, tt := range tests {
		if got := Is(tt.in); got != tt.want {
			t.Errorf("Is(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
	if _, err := Parse("plain value"); !errors.Is(err, ErrNotReference) {
		t.Errorf("Parse(plain value) error = %v, want ErrNotReference", err)
	}
}

func TestRefARN(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ssm:/app/db", "arn:aws:ssm:us-east-1:111122223333:parameter/app/db"},
		{"ssm:db:3", "arn:aws:ssm:us-east-1:111122223333:parameter/db"},
		{"secretsmanager:db", "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-??????"},
		// A name is a name, whatever its shape: AWS appends the suffix to
		// every one (issue 12 item 1).
		{"secretsmanager:app/my-secret", "arn:aws:secretsmanager:us-east-1:111122223333:secret:app/my-secret-??????"},
		{"secretsmanager:app/db-master:password::", "arn:aws:secretsmanager:us-east-1:111122223333:secret:app/db-master-??????"},
		{"secretsmanager:db-AbCdEf", "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf-??????"},
		// An ARN is kept as written, complete or partial: only AWS knows.
		{"arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf"},
		{"arn:aws:secretsmanager:eu-west-1:123456789012:secret:db:k::", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db"},
		{"arn:aws:ssm:eu-west-1:123456789012:parameter/app/db:prod", "arn:aws:ssm:eu-west-1:123456789012:parameter/app/db"},
	}
	for _, tt := range tests {
		r, err := Parse(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.ARN("aws", "us-east-1", "111122223333"); got != tt.want {
			t.Errorf("Parse(%q).ARN() = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzParse checks that Parse never panics, that Is agrees with Parse,
// that what parses round-trips through String, that every parsed
// reference has a name and service, that junk around a reference makes it
// malformed, and that no error holds a character unsafe in a log line.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:password:AWSCURRENT:0f90742f-17e1-4293-b0de-c1e57f25fa22",
		"arn:aws:ssm:us-east-1:123456789012:parameter/app/db:3",
		"ssm:/a/b:label", "secretsmanager:db::AWSPREVIOUS:", "ARN:aws:ssm:x", "arn:aws:ssm:us-east-1:123456789012:parameter",
		"secretsmanager:", "ssm::", "arn:::::", " ssm:/p", "\"ssm:/p\"", "\ufeffssm:/p", "\u00a0ssm:/p\u2028", "my ssm:/p",
		"arn:aws-eusc:secretsmanager:eusc-de-east-1:123456789012:secret:x",
	} {
		f.Add(s)
	}
	junk := []string{" ", "\t", "\n", "\"", "'", "`", "\u201c", "\ufeff", "\u00a0", "\u200b", "\u202e", "\xff"}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if Is(strings.TrimLeftFunc(s, isJunk)) && !Is(s) {
			t.Fatalf("Is is false for a reference after junk")
		}
		if err != nil {
			if Is(s) != !errors.Is(err, ErrNotReference) {
				t.Fatalf("Parse error %v disagrees with Is", err)
			}
			if strings.ContainsFunc(err.Error(), func(r rune) bool { return !safe(r) && r != ' ' }) {
				t.Fatalf("error %q holds an unsafe character", err)
			}
			return
		}
		if r.String() != s || r.Name == "" || (r.Service != SSM && r.Service != SecretsManager) {
			t.Fatalf("Parse(%q) = %+v", s, r)
		}
		if strings.ContainsFunc(s, unsafe) {
			t.Fatalf("Parse(%q) accepted a character unsafe in a log line", s)
		}
		for _, j := range junk {
			for _, in := range []string{j + s, s + j, j + s + j} {
				var se *SyntaxError
				if _, err := Parse(in); !errors.As(err, &se) {
					t.Fatalf("Parse(%q) = %v, want a *SyntaxError", in, err)
				}
			}
		}
		if r.Service == SSM && (r.JSONKey != "" || r.VersionID != "") {
			t.Fatalf("Parse(%q): SSM reference with secret fields", s)
		}
	})
}

// TestSyntaxErrorQuotesOnlyTheReference: what follows white space in a
// value that starts like a reference may be a password; errors leave it out.
func TestSyntaxErrorQuotesOnlyTheReference(t *testing.T) {
	const canary = "hunter2-canary"
	for _, in := range []string{
		"ssm:/app/key " + canary,
		"secretsmanager:db\n" + canary,
		"arn:aws:ssm:us-east-1:123456789012:parameter/x\t" + canary,
		"ssm:/" + strings.Repeat("a", 300) + "#" + canary,
	} {
		_, err := Parse(in)
		if err == nil {
			t.Fatalf("Parse accepted a malformed reference")
		}
		if strings.Contains(err.Error(), canary) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("a value leaked into the error")
		}
		if !strings.Contains(err.Error(), "not shown") {
			t.Errorf("error %q does not say part was left out", err.Error()[:60])
		}
		reqs, err := Find([]string{"X=" + in}, nil)
		if reqs != nil || err == nil || strings.Contains(err.Error(), canary) {
			t.Errorf("Find: a value leaked, or no error")
		}
	}
}

// TestNearMiss: a reference with white space, quotes or invisible
// characters around it is malformed, not a value passed through (issue 12,
// item 2). Ordinary values that merely hold a reference are not.
func TestNearMiss(t *testing.T) {
	const sm = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db"
	tests := []struct{ name, in, reason string }{
		{"leading space", " ssm:/p", "starts with a space"},
		{"leading tab", "\tssm:/p", "starts with a tab"},
		{"leading newline", "\nsecretsmanager:db", "starts with a line feed"},
		{"double quotes", `"ssm:/p"`, `starts with a quote (") and ends with a quote (")`},
		{"single quotes", `'` + sm + `'`, `starts with a quote (')`},
		{"backquotes", "`ssm:/p`", "starts with a quote (`)"},
		{"typographic quotes", "\u201cssm:/p\u201d", "starts with a quote (U+201C) and ends with a quote (U+201D)"},
		{"guillemets", "\u00abssm:/p\u00bb", "a quote (U+00AB)"},
		{"BOM", "\ufeffssm:/p", "a byte order mark (U+FEFF)"},
		{"no-break space", "\u00a0ssm:/p", "a no-break space (U+00A0)"},
		{"zero-width space", "\u200bssm:/p", "an invisible character (U+200B)"},
		{"word joiner", "ssm:/p\u2060", "ends with an invisible character (U+2060)"},
		{"bidi override", "\u202essm:/p", "(U+202E)"},
		{"line separator", "\u2028ssm:/p", "white space (U+2028)"},
		{"NEL", "\u0085ssm:/p", "(U+0085)"},
		{"ideographic space", "\u3000ssm:/p", "white space (U+3000)"},
		{"invalid UTF-8", "\xffssm:/p", "not UTF-8"},
		{"trailing quote", "ssm:/p'", "ends with a quote (')"},
		{"trailing CRLF", sm + "\r\n", "ends with a line feed"},
		{"trailing space", sm + " ", "ends with a space"},
		{"quoted upper case", `"SSM:/p"`, "starts with a quote"},
		{"quoted garbage", `"ssm: yes"`, "starts with a quote"},
		{"many", " \t\"\u00a0ssm:/p", "starts with a space"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !Is(tt.in) {
				t.Fatalf("Is = false, want true: a near-miss reference must fail, not pass through")
			}
			_, err := Parse(tt.in)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse error = %v, want a *SyntaxError", err)
			}
			if !strings.Contains(se.Reason, "white space, quotes or invisible characters surround the reference") ||
				!strings.Contains(se.Reason, tt.reason) {
				t.Errorf("reason = %q, want it to say what surrounds the reference: %q", se.Reason, tt.reason)
			}
			if msg := err.Error(); strings.ContainsFunc(msg, func(r rune) bool { return !safe(r) && r != ' ' }) {
				t.Errorf("error %q holds an unsafe character", msg)
			}
			reqs, err := Find([]string{"V=" + tt.in}, nil)
			if reqs != nil || err == nil {
				t.Errorf("Find passed the value through")
			}
			if reqs, err := Find([]string{"V=" + tt.in}, func(n string) bool { return n == "V" }); reqs != nil || err != nil {
				t.Errorf("Find with V skipped = %v, %v; want nothing: the escape hatch", reqs, err)
			}
		})
	}
	for _, in := range []string{
		"my ssm:/p note",
		"see ssm:/p",
		"https://example.com/ssm:/p",
		`{"ref": "ssm:/p"}`,
		"\"arn:aws:kms:us-east-1:123456789012:key/abc\"",
		" arn:aws:s3:::bucket",
		"\"hello\"",
		" ",
		"\u00a0\u200b",
		"",
		"x ssm:",
		"-ssm:/p",
	} {
		if Is(in) {
			t.Errorf("Is(%q) = true, want false: an ordinary value", in)
		}
	}
}

// TestQuoteEscapes: what an error shows of a value never holds a control,
// format, bidi or separator character, nor half a UTF-8 sequence (issue
// 12, item 11).
func TestQuoteEscapes(t *testing.T) {
	for _, c := range []string{"\u2028", "\u2029", "\u0085", "\u202e", "\u2066", "\u200e", "\u061c", "\ufeff", "\x1b[31m", "\xff", "\u00ad"} {
		for _, in := range []string{"ssm:/p" + c + "x", "secretsmanager:db:k" + c + "ey::", "arn:aws:secretsmanager:us-east-1:123456789012:secret:a" + c + "b"} {
			_, err := Parse(in)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Errorf("Parse(%q) = %v, want a *SyntaxError", in, err)
				continue
			}
			if se.Ref.String() != Quote(in) || strings.ContainsFunc(se.Ref.String(), func(r rune) bool { return !safe(r) && r != ' ' }) {
				t.Errorf("Parse(%q): the quoted part %q holds an unsafe character", in, se.Ref.String())
			}
			for _, s := range []string{se.Error(), Quote(in)} {
				if strings.Contains(s, c) {
					t.Errorf("Parse(%q): %q holds %q raw", in, s, c)
				}
			}
		}
	}
	// A cut at maxQuoted never splits a character.
	long := "ssm:/" + strings.Repeat("é", 200)
	if q := Quote(long + " x"); !utf8.ValidString(q) {
		t.Errorf("Quote cut a character in half: %q", q)
	}
	// The variable's name, too, is escaped when it holds such characters.
	_, err := Find([]string{"A\u2028B=ssm:/p x"}, nil)
	if err == nil || strings.Contains(err.Error(), "\u2028") || !strings.Contains(err.Error(), `"A\u2028B"`) {
		t.Errorf("Find error = %q, want the name escaped", err)
	}
}

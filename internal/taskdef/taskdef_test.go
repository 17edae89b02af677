package taskdef

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/valuefrom/valuefrom/internal/readfile"
)

func TestParseShapes(t *testing.T) {
	register := `{"family":"web","containerDefinitions":[{"name":"app","environment":[{"name":"A","value":"1"}],"secrets":[{"name":"S","valueFrom":"db"}]}]}`
	single := `{"name":"app","image":"x","environment":[{"name":"A","value":"1"}],"secrets":[{"name":"S","valueFrom":"db"}]}`
	describe := `{"taskDefinition":{"containerDefinitions":[{"name":"app","environment":[{"name":"A","value":"1"}],"secrets":[{"name":"S","valueFrom":"db"}]}]}}`
	want := []string{"A=1", "S=ssm:db"}
	for name, doc := range map[string]string{"register": register, "single": single, "describe": describe} {
		c, err := Parse([]byte(doc), "")
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got := c.Environ(); !slices.Equal(got, want) || c.Name != "app" {
			t.Errorf("%s: container %q Environ() = %q, want app %q", name, c.Name, got, want)
		}
	}
}

func TestLoadChoosesContainerAndPrecedence(t *testing.T) {
	c, err := Load(context.Background(), "testdata/describe.json", "app")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"MODE=production",
		"DB_PASSWORD=arn:aws:secretsmanager:us-east-1:123456789012:secret:db:password::",
		"API_KEY=ssm:/app/api-key",
		"TOKEN=arn:aws:ssm:us-east-1:123456789012:parameter/app/token",
	}
	if got := c.Environ(); !slices.Equal(got, want) {
		t.Errorf("Environ() =\n%q\nwant\n%q", got, want)
	}
	s, err := Load(context.Background(), "testdata/describe.json", "sidecar")
	if err != nil || !slices.Equal(s.Environ(), []string{"X=1"}) {
		t.Errorf("sidecar: %v %q", err, s.Environ())
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, doc, container, want string }{
		{"several containers", `{"containerDefinitions":[{"name":"a"},{"name":"b"}]}`, "", "has 2 containers (a, b): choose one with --container"},
		{"missing container", `{"containerDefinitions":[{"name":"a"},{"name":"b"}]}`, "c", `no container named "c": the task definition has a, b`},
		{"bad JSON", "{\n  \"containerDefinitions\": [\n    {\"name\": \"a\",}\n  ]\n}", "", "line 3, column 18"},
		{"wrong type", "{\"containerDefinitions\": {\"name\": \"a\"}}", "", "containerDefinitions is an object, where it is an array"},
		{"empty", `{}`, "", "no container definitions"},
		{"secret without valueFrom", `{"name":"a","secrets":[{"name":"S"}]}`, "", "secrets[0] S: has no valueFrom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc), tt.container)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestReference(t *testing.T) {
	tests := []struct{ in, want string }{
		{"db", "ssm:db"},
		{"/app/db", "ssm:/app/db"},
		{"arn:aws:ssm:us-east-1:123456789012:parameter/app/db", "arn:aws:ssm:us-east-1:123456789012:parameter/app/db"},
		{"arn:aws:secretsmanager:us-east-1:123456789012:secret:db", "arn:aws:secretsmanager:us-east-1:123456789012:secret:db"},
	}
	for _, tt := range tests {
		if got := Reference(tt.in); got != tt.want {
			t.Errorf("Reference(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestErrorsEscapeNames: a container name with a line separator, NEL or a
// bidi control cannot split or reverse the error's line (issue 12, item 11).
func TestErrorsEscapeNames(t *testing.T) {
	doc := `{"containerDefinitions":[{"name":"app\u2028x"},{"name":"b\u202ec\u0085d"},{"name":"plain"}]}`
	for _, container := range []string{"", "other\u2029"} {
		_, err := Parse([]byte(doc), container)
		if err == nil {
			t.Fatalf("Parse(%q) accepted a missing container", container)
		}
		msg := err.Error()
		for _, c := range []string{"\u2028", "\u2029", "\u202e", "\u0085"} {
			if strings.Contains(msg, c) {
				t.Errorf("Parse(%q): error %q holds %U raw", container, msg, []rune(c)[0])
			}
		}
		if !strings.Contains(msg, `"app\u2028x"`) || !strings.Contains(msg, "plain") {
			t.Errorf("Parse(%q): error %q does not name the containers", container, msg)
		}
	}
}

// TestLoadLimit: a file larger than MaxSize, or an endless one, is an
// error naming the file and the limit, not an attempt to hold it all.
func TestLoadLimit(t *testing.T) {
	big := filepath.Join(t.TempDir(), "big.json")
	doc := `{"name":"app","environment":[{"name":"A","value":"` + strings.Repeat("x", MaxSize) + `"}]}`
	if err := os.WriteFile(big, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{big, "/dev/zero"} {
		_, err := Load(context.Background(), path, "")
		var tl *readfile.TooLargeError
		if !errors.As(err, &tl) || tl.Limit != MaxSize || !strings.Contains(err.Error(), path) {
			t.Errorf("Load(%s): err = %v, want a TooLargeError naming the file", path, err)
		}
	}
}

// TestUnapplied: a container's environmentFiles are read, to be named in
// a warning, and add nothing to its variables (issue 11, item 14).
func TestUnapplied(t *testing.T) {
	doc := `{"containerDefinitions":[{"name":"app","environment":[{"name":"A","value":"1"}],
		"environmentFiles":[{"value":"arn:aws:s3:::bucket/app.env","type":"s3"},{"value":"arn:aws:s3:::bucket/more.env","type":"s3"}]}]}`
	c, err := Parse([]byte(doc), "")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Unapplied(), []string{"arn:aws:s3:::bucket/app.env", "arn:aws:s3:::bucket/more.env"}; !slices.Equal(got, want) {
		t.Errorf("Unapplied() = %q, want %q", got, want)
	}
	if got := c.Environ(); !slices.Equal(got, []string{"A=1"}) {
		t.Errorf("Environ() = %q, want only the environment", got)
	}
	if c, err := Parse([]byte(`{"environmentFiles":[{"value":"arn:aws:s3:::b/x.env","type":"s3"}]}`), ""); err != nil || len(c.Unapplied()) != 1 {
		t.Errorf("a container definition with only environmentFiles: %v", err)
	}
	if c, _ := Parse([]byte(`{"name":"app"}`), ""); len(c.Unapplied()) != 0 {
		t.Errorf("Unapplied() = %q without environmentFiles", c.Unapplied())
	}
}

package render

// render's formats and modes, and its all-or-nothing writes, against the
// forms fixture in moto (was cmd/valuefrom's TestMoto, run in process).

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/testkit/dotenvtest"
	"github.com/valuefrom/valuefrom/internal/testkit/forms"
	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/testfs"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

func TestFormats(t *testing.T) {
	vfbin.Need(t)
	moto := mototest.Start(t)
	forms.Seed(t, moto)
	tds := forms.TaskDefs(t)

	t.Run("render formats and modes", func(t *testing.T) {
		dir := t.TempDir()
		dotenv := filepath.Join(dir, "app.env")
		r := forms.Run(t, moto, forms.Process, "render", "--out", dotenv, "--task-def", tds["container"])
		forms.NoCanary(t, "stdout and stderr", r.Stdout+r.Stderr)
		if r.Code != 0 {
			t.Fatalf("exit code %d, stderr:\n%s", r.Code, r.Stderr)
		}
		data, _ := os.ReadFile(dotenv)
		got, err := dotenvtest.Parse(string(data))
		if err != nil {
			t.Fatalf("the file does not parse as documented: %v", err)
		}
		forms.CheckVars(t, got, forms.WantPrinted())
		testfs.CheckMode(t, dotenv, 0o400, -1)

		// From the environment alone, with a group.
		gid := os.Getgid()
		js := filepath.Join(dir, "app.json")
		r = forms.Run(t, moto, []string{"PASSWORD=secretsmanager:app/db:password::", "PLAIN=not printed"}, "render", "--out", js, "--format", "json", "--group", fmt.Sprint(gid))
		var obj map[string]string
		data, _ = os.ReadFile(js)
		if err := json.Unmarshal(data, &obj); r.Code != 0 || err != nil || len(obj) != 1 || obj["PASSWORD"] != forms.CanaryJSON {
			t.Errorf("exit %d; json file: %v, %d keys, want only PASSWORD with the secret", r.Code, err, len(obj))
		}
		testfs.CheckMode(t, js, 0o440, gid)

		// One file per variable; a binary secret byte for byte; _FILE
		// means nothing.
		files := filepath.Join(dir, "secrets")
		r = forms.Run(t, moto, []string{"PASSWORD_FILE=secretsmanager:app/db:password::", "BLOB=secretsmanager:binary"}, "render", "--out", files, "--format", "files")
		if r.Code != 0 {
			t.Fatalf("exit code %d, stderr:\n%s", r.Code, r.Stderr)
		}
		for name, want := range map[string]string{"PASSWORD_FILE": forms.CanaryJSON, "BLOB": "\x00\x01" + forms.CanaryBinary + "\xff"} {
			if data, _ := os.ReadFile(filepath.Join(files, name)); string(data) != want {
				t.Errorf("%s: the file does not hold the secret", name)
			}
			testfs.CheckMode(t, filepath.Join(files, name), 0o400, -1)
		}
	})

	t.Run("render failures change nothing", func(t *testing.T) {
		dir := t.TempDir()
		out := filepath.Join(dir, "app.env")
		os.WriteFile(out, []byte("previous"), 0o400)
		files := filepath.Join(dir, "secrets")
		if r := forms.Run(t, moto, []string{"A=ssm:/app/url"}, "render", "--out", files, "--format", "files"); r.Code != 0 {
			t.Fatalf("first render: exit %d, stderr:\n%s", r.Code, r.Stderr)
		}
		failing := []string{"A=ssm:/app/url", "GOOD=secretsmanager:app/db:password::", "MISSING=secretsmanager:does-not-exist"}
		tests := []struct {
			name string
			env  []string
			args []string
			code int
			want string
		}{
			{"failing reference", failing, []string{"--out", out}, exitcode.Resolve, "1 reference could not be resolved; nothing was written"},
			{"failing reference, files", failing, []string{"--out", files, "--format", "files"}, exitcode.Resolve, `MISSING: "secretsmanager:does-not-exist"`},
			{"binary secret as dotenv, even _FILE", []string{"BLOB_FILE=secretsmanager:binary"}, []string{"--out", out}, exitcode.Resolve, "BLOB_FILE"},
			{"out is a directory", []string{"A=ssm:/app/url"}, []string{"--out", dir}, exitcode.Output, "is a directory"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := forms.Run(t, moto, tt.env, append([]string{"render"}, tt.args...)...)
				forms.NoCanary(t, "stderr", r.Stderr)
				if r.Code != tt.code || !strings.Contains(r.Stderr, tt.want) {
					t.Errorf("exit %d, want %d with %q; stderr:\n%s", r.Code, tt.code, tt.want, r.Stderr)
				}
				if data, _ := os.ReadFile(out); string(data) != "previous" {
					t.Error("the existing file was changed")
				}
				if got := testfs.Names(t, dir); !slices.Equal(got, []string{"app.env", "secrets"}) {
					t.Errorf("directory holds %v, want app.env and secrets only", got)
				}
				if got := testfs.Names(t, files); !slices.Equal(got, []string{".valuefrom-files", "A"}) {
					t.Errorf("secrets holds %v, want .valuefrom-files and A only", got)
				}
			})
		}
	})
}

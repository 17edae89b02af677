package templates

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

// TestStartRendersBeforeTheProgram: run renders its templates, and the
// entrypoint those of VALUEFROM_TEMPLATES (the name), before the
// program starts, which reads them.
func TestStartRendersBeforeTheProgram(t *testing.T) {
	vfbin.Need(t)
	moto := mototest.Start(t)
	moto.Seeder(t, "us-east-1").Secret("start/db", `{"username":"app","password":"canary-pw'1"}`)
	dir := t.TempDir()
	target := writeTemplate(t, dir, "pgpass.tmpl", "db.internal:5432:orders:{{ DB.username }}:{{ DB.password }}\n")
	dest := filepath.Join(dir, "pgpass")
	want := "db.internal:5432:orders:app:canary-pw'1\n"
	env := append(moto.Env(), "DB=secretsmanager:start/db")
	for _, args := range [][]string{
		{"run", "--template", target, "--", "sha256sum", dest},
		{"--", "sha256sum", dest},
	} {
		runEnv := env
		if args[0] == "--" {
			runEnv = append(env, "VALUEFROM_TEMPLATES="+target)
		}
		r := vfbin.RunEnv(t, runEnv, args...)
		vfbin.NoValue(t, "valuefrom's output", r.Stderr, "canary")
		if r.Code != 0 || !strings.HasPrefix(r.Stdout, sum(want)) {
			t.Errorf("%s: exit %d; the program did not read the rendered file:\n%s", args[0], r.Code, r.Stderr)
		}
		os.Remove(dest)
	}
}

// TestFailingTemplateAtStart: a template that does not render stops the
// start with exit 5, every failing action named by template, line,
// column and variable, and nothing written: no template's file, no
// _FILE file, no program. One that does not parse stops it with exit 2
// before any AWS call. A program that cannot be executed once the files
// are written takes them away again.
func TestFailingTemplateAtStart(t *testing.T) {
	vfbin.Need(t)
	moto := mototest.Start(t)
	sd := moto.Seeder(t, "us-east-1")
	sd.Secret("fail/db", `{"username":"app","password":"canary-pw"}`)
	sd.BinarySecret("fail/blob", blob)
	sd.Secret("fail/key", "canary-key")
	dir := t.TempDir()
	filesDir := filepath.Join(dir, "files")
	if err := os.Mkdir(filesDir, 0o700); err != nil {
		t.Fatal(err)
	}
	started := filepath.Join(dir, "started")
	good := writeTemplate(t, dir, "good.conf.tmpl", "user={{ DB.username }}\n")
	bad := writeTemplate(t, dir, "app.json.tmpl", "{\"pw\": {{ DB.pasword | json }},\n \"blob\": {{ BLOB_FILE | json }}}\n")
	syntax := writeTemplate(t, dir, "nginx.conf.tmpl", "ssl_password {{ DB.password | jsno }};\n")
	env := append(moto.Env(), "DB=secretsmanager:fail/db", "BLOB_FILE=secretsmanager:fail/blob", "KEY_FILE=secretsmanager:fail/key",
		"VALUEFROM_FILES_DIR="+filesDir)
	nothingLeft := func(t *testing.T) {
		t.Helper()
		for _, p := range []string{started, filepath.Join(dir, "good.conf"), filepath.Join(dir, "app.json"), filepath.Join(dir, "nginx.conf")} {
			if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("%s is there after the failed start: %v", filepath.Base(p), err)
			}
		}
		if entries, _ := os.ReadDir(filesDir); len(entries) != 0 {
			t.Errorf("the files directory holds %d files after the failed start", len(entries))
		}
	}

	t.Run("does not render", func(t *testing.T) {
		r := vfbin.RunEnv(t, env, "--template", good, "--template", bad, "--", "touch", started)
		vfbin.NoValue(t, "valuefrom's output", r.Stdout+r.Stderr, "canary")
		src := strings.TrimSuffix(bad, ":"+filepath.Join(dir, "app.json"))
		for _, w := range []string{
			"valuefrom: error: " + src + `:1:14: DB: JSON key "pasword" is not in the secret`,
			"valuefrom: error: " + src + ":2:25: BLOB_FILE: filter json: the value is not UTF-8 text",
		} {
			if !strings.Contains(r.Stderr, w) {
				t.Errorf("stderr lacks %q:\n%s", w, r.Stderr)
			}
		}
		if r.Code != exitcode.Output {
			t.Errorf("exit code %d, want %d", r.Code, exitcode.Output)
		}
		nothingLeft(t)
	})

	t.Run("does not render, json", func(t *testing.T) {
		r := vfbin.RunEnv(t, append(env, "VALUEFROM_LOG_FORMAT=json"), "--template", bad, "--", "touch", started)
		vfbin.NoValue(t, "valuefrom's output", r.Stdout+r.Stderr, "canary")
		var n int
		for _, obj := range vfbin.JSONLines(t, r.Stderr) {
			if obj["level"] == "ERROR" && obj["exit_code"] == float64(exitcode.Output) && strings.Contains(obj["msg"].(string), "app.json.tmpl:") {
				n++
			}
		}
		if n != 2 || r.Code != exitcode.Output {
			t.Errorf("exit %d, %d error objects for the two failing actions, want 2:\n%s", r.Code, n, r.Stderr)
		}
		nothingLeft(t)
	})

	t.Run("does not parse: no AWS call", func(t *testing.T) {
		// AWS is a closed port: a call would fail as a reference (exit 4).
		closed := append(slicesWithout(env, "AWS_ENDPOINT_URL="), "AWS_ENDPOINT_URL=http://"+mototest.Closed(t), "VALUEFROM_TIMEOUT=5s")
		r := vfbin.RunEnv(t, closed, "--template", good, "--template", syntax, "--", "touch", started)
		src := strings.TrimSuffix(syntax, ":"+filepath.Join(dir, "nginx.conf"))
		if want := "valuefrom: error: VALUEFROM_TEMPLATE (--template): " + src + `:1:31: unknown filter "jsno"`; !strings.Contains(r.Stderr, want) || r.Code != exitcode.Usage {
			t.Errorf("exit %d, want %d and %q:\n%s", r.Code, exitcode.Usage, want, r.Stderr)
		}
		if strings.Contains(r.Stderr, "resolved references") {
			t.Error("references were resolved before the template was parsed")
		}
		nothingLeft(t)
	})

	t.Run("program cannot be executed", func(t *testing.T) {
		prog := filepath.Join(dir, "prog")
		if err := os.WriteFile(prog, []byte("#!/no/such/interpreter\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		r := vfbin.RunEnv(t, env, "--template", good, "--", prog)
		vfbin.NoValue(t, "valuefrom's output", r.Stdout+r.Stderr, "canary")
		if r.Code != exitcode.NotFound {
			t.Errorf("exit code %d, want %d:\n%s", r.Code, exitcode.NotFound, r.Stderr)
		}
		nothingLeft(t)
	})
}

// slicesWithout returns env without the entries that start with prefix.
func slicesWithout(env []string, prefix string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, prefix) {
			out = append(out, kv)
		}
	}
	return out
}

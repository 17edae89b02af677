package runenv

// run and env with task definitions, as operators use them against the
// forms fixture in moto (was cmd/valuefrom's TestMoto, run in process,
// and its binary tests).

import (
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/testkit/dotenvtest"
	"github.com/valuefrom/valuefrom/internal/testkit/forms"
	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

func TestTaskDefs(t *testing.T) {
	vfbin.Need(t)
	moto := mototest.Start(t)
	forms.Seed(t, moto)
	tds := forms.TaskDefs(t)
	wantPrinted := forms.WantPrinted()

	t.Run("run: three shapes, precedence", func(t *testing.T) {
		for shape, td := range tds {
			t.Run(shape, func(t *testing.T) {
				args := []string{"run", "--task-def", td}
				if shape != "container" {
					args = append(args, "--container", "app")
				}
				r := forms.Run(t, moto, forms.Process, append(args, "--", "env", "-0")...)
				forms.NoCanary(t, "stderr", r.Stderr)
				if r.Code != 0 || r.Stdout == "" {
					t.Fatalf("exit code %d, %d bytes from the program; stderr:\n%s", r.Code, len(r.Stdout), r.Stderr)
				}
				got := vfbin.Environ(r.Stdout)
				forms.CheckVars(t, got, forms.WantRun)
				for _, v := range []string{"VALUEFROM_IGNORE", "X"} {
					if _, ok := got[v]; ok {
						t.Errorf("%s reached the command", v)
					}
				}
			})
		}
	})

	t.Run("run: the program's exit code", func(t *testing.T) {
		r := forms.Run(t, moto, forms.Process, "run", "--task-def", tds["container"], "sh", "-c", `[ "$URL" = "https://example.com/?a=b&c=d" ] && exit 7`)
		if r.Code != 7 {
			t.Errorf("exit code %d, want 7; stderr:\n%s", r.Code, r.Stderr)
		}
	})

	t.Run("run without a task definition is the entrypoint", func(t *testing.T) {
		r := forms.Run(t, moto, []string{"A=ssm:/app/url", "B=plain"}, "run", "--", "env", "-0")
		got := vfbin.Environ(r.Stdout)
		if r.Code != 0 || got["A"] != "https://example.com/?a=b&c=d" || got["B"] != "plain" {
			t.Errorf("exit %d, A=%q B=%q, stderr:\n%s", r.Code, got["A"], got["B"], r.Stderr)
		}
	})

	t.Run("env json: which variables", func(t *testing.T) {
		r := forms.Run(t, moto, append(slices.Clone(forms.Process), "VALUEFROM_LOG_LEVEL=warn"), "env", "--task-def", tds["describe"], "--container", "app", "--format", "json")
		var got map[string]string
		if err := json.Unmarshal([]byte(r.Stdout), &got); r.Code != 0 || err != nil {
			t.Fatalf("exit code %d, output not a JSON object (%v); stderr:\n%s", r.Code, err, r.Stderr)
		}
		forms.CheckVars(t, got, wantPrinted)
		// The task definition's variables and the references; nothing else.
		names := slices.Sorted(maps.Keys(got))
		if want := []string{"FROM_ENV", "LITERAL", "OVER_PROCESS", "PROC_REF", "SHADOWED", "TOKEN", "TRICKY", "URL"}; !slices.Equal(names, want) {
			t.Errorf("printed %v, want %v", names, want)
		}
		if r.Stderr != "" {
			t.Errorf("stderr at warn level: %s", r.Stderr)
		}
	})

	t.Run("env dotenv through a parser", func(t *testing.T) {
		r := forms.Run(t, moto, forms.Process, "env", "--task-def", tds["container"], "--format", "dotenv")
		got, err := dotenvtest.Parse(r.Stdout)
		if r.Code != 0 || err != nil {
			t.Fatalf("exit code %d, output does not parse as documented (%v); stderr:\n%s", r.Code, err, r.Stderr)
		}
		forms.CheckVars(t, got, wantPrinted)
		if len(got) != len(wantPrinted) {
			t.Errorf("printed %d variables, want %d", len(got), len(wantPrinted))
		}
	})

	t.Run("env _FILE prints the file's path", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "files")
		r := forms.Run(t, moto, []string{"DB_PASSWORD_FILE=secretsmanager:app/db:password::", "VALUEFROM_FILES_DIR=" + dir}, "env", "--format", "json")
		var got map[string]string
		json.Unmarshal([]byte(r.Stdout), &got)
		path := filepath.Join(dir, "DB_PASSWORD")
		if r.Code != 0 || got["DB_PASSWORD_FILE"] != path {
			t.Fatalf("exit %d, DB_PASSWORD_FILE=%q, want %s; stderr:\n%s", r.Code, got["DB_PASSWORD_FILE"], path, r.Stderr)
		}
		if data, _ := os.ReadFile(path); string(data) != forms.CanaryJSON {
			t.Error("the file does not hold the secret")
		}
	})

	t.Run("env shell through eval", func(t *testing.T) {
		for _, name := range []string{"TRICKY", "SHADOWED", "FROM_ENV", "PROC_REF", "LITERAL"} {
			script := `eval "$("$0" env --task-def "$1" --container app)" || exit 99; printf %s "$` + name + `"`
			cmd := exec.Command("sh", "-c", script, vfbin.Need(t), tds["register"])
			cmd.Env = append(append([]string{vfbin.Path, "HOME=/home/should-not-expand"}, moto.Env()...), forms.Process...)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("%s: %v, stderr:\n%s", name, err, stderr.String())
			}
			forms.CheckVars(t, map[string]string{name: string(out)}, map[string]string{name: forms.WantRun[name]})
		}
	})

	t.Run("env refuses a terminal", func(t *testing.T) {
		tests := []struct {
			name string
			env  []string
			args string
			code int
			want string
		}{
			{"references", forms.Process, "env --task-def " + tds["container"], exitcode.Usage, "valuefrom: hint: redirect or pipe the output"},
			{"references, --force", forms.Process, "env --force --task-def " + tds["container"], 0, "export TRICKY="},
			{"no references", []string{"PLAIN=x"}, "env", 0, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				// script runs the command under a pseudo-terminal and
				// returns its exit code (-e).
				cmd := exec.Command("script", "-qec", vfbin.Need(t)+" "+tt.args, "/dev/null")
				cmd.Env = append(append([]string{vfbin.Path}, moto.Env()...), tt.env...)
				out, _ := cmd.Output()
				if code := cmd.ProcessState.ExitCode(); code != tt.code {
					t.Errorf("exit code %d, want %d; output:\n%s", code, tt.code, strings.ReplaceAll(string(out), forms.CanaryJSON, "<canary>"))
				}
				if !strings.Contains(string(out), tt.want) {
					t.Errorf("output does not contain %q", tt.want)
				}
				if tt.code != 0 {
					forms.NoCanary(t, "the terminal", string(out))
					if strings.Contains(string(out), "v2-") {
						t.Error("a value reached the terminal")
					}
				}
			})
		}
	})
}

// TestBinaryTaskDefStdin: --task-def - reads the task definition from
// standard input (issue 11, item 9); its environmentFiles are named in a
// warning, not silently dropped (item 14); check fails a container whose
// settings would stop the entrypoint, and says it found no references
// (item 13).
func TestBinaryTaskDefStdin(t *testing.T) {
	const canary = "canary-td-stdin-71c9"
	td := `{"containerDefinitions":[{"name":"app","environment":[{"name":"MODE","value":"from-stdin"},
		{"name":"VALUEFROM_TIMEOUT","value":"` + canary + `"},{"name":"VALUEFROM_TIMOUTT","value":"5s"}],
		"environmentFiles":[{"value":"arn:aws:s3:::bucket/app.env","type":"s3"}]}]}`
	env := []string{"AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=/nonexistent", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent"}
	withStdin := func(stdin string, args ...string) vfbin.Result {
		t.Helper()
		cmd := vfbin.Command(t, env, args...)
		cmd.Stdin = strings.NewReader(stdin)
		return vfbin.RunCmd(t, cmd)
	}

	// The program's output, env's, holds the setting's value: it is
	// never shown.
	r := withStdin(td, "run", "--task-def", "-", "--", "env")
	vfbin.NoValue(t, "run --task-def -: stderr", r.Stderr, canary)
	if r.Code != 0 || !strings.Contains(r.Stdout, "MODE=from-stdin\n") {
		t.Errorf("run --task-def -: exit %d, MODE=from-stdin in the program's output: %v; stderr:\n%s",
			r.Code, strings.Contains(r.Stdout, "MODE=from-stdin\n"), r.Stderr)
	}
	if !strings.Contains(r.Stderr, `level=WARN msg="the container's environmentFiles are not applied`) ||
		!strings.Contains(r.Stderr, "environment_files=[arn:aws:s3:::bucket/app.env]") {
		t.Errorf("run: no warning naming the environment file:\n%s", r.Stderr)
	}

	r = withStdin(td, "check", "--task-def", "-")
	vfbin.NoValue(t, "check --task-def -: stdout and stderr", r.Stdout+r.Stderr, canary)
	for _, w := range []string{"VALUEFROM_TIMEOUT: fail: InvalidSetting: VALUEFROM_TIMEOUT (--timeout): not a valid duration",
		"VALUEFROM_TIMOUTT: warning: UnknownSetting", "did you mean VALUEFROM_TIMEOUT?", "no references found"} {
		if !strings.Contains(r.Stdout, w) {
			t.Errorf("check --task-def -: stdout lacks %q:\n%s", w, r.Stdout)
		}
	}
	if r.Code != exitcode.Failures || !strings.Contains(r.Stderr, "environmentFiles are not applied") {
		t.Errorf("check --task-def -: exit %d, want %d, and the environmentFiles warning; stderr:\n%s", r.Code, exitcode.Failures, r.Stderr)
	}

	r = withStdin("{", "env", "--task-def", "-")
	if r.Code != exitcode.Usage || !strings.Contains(r.Stderr, "valuefrom: error: env: standard input: line 1") {
		t.Errorf("env --task-def - with bad JSON: exit %d, stderr:\n%s", r.Code, r.Stderr)
	}
}

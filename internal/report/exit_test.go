package report

import (
	"errors"
	"flag"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/valuefrom/valuefrom/exec"
	"github.com/valuefrom/valuefrom/internal/awsapi"
	"github.com/valuefrom/valuefrom/internal/envfmt"
	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/internal/render"
	"github.com/valuefrom/valuefrom/internal/taskdef"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
	"github.com/valuefrom/valuefrom/internal/watch"
	"github.com/valuefrom/valuefrom/resolver"
)

// TestExitCode: each error a run can end with carries its exit code
// (exitcode.Of).
func TestExitCode(t *testing.T) {
	// Malformed references as pipeline.Find returns them.
	syntax := &exitcode.Error{Code: exitcode.Syntax, Err: resolver.Errors{{Var: "A", Code: awsapi.CodeSyntax}}}
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, exitcode.OK},
		{"help", fmt.Errorf("run: %w", flag.ErrHelp), exitcode.OK},
		{"program", &RunError{Err: &watch.ProgramError{Exit: exec.Exit{Code: 3}}}, 3},
		{"program killed", &watch.ProgramError{Exit: exec.Exit{Signal: syscall.SIGKILL}}, 128 + 9},
		{"changed", watch.ErrChanged, exitcode.Changed},
		{"stop signal before the start", &exec.StopError{Signal: syscall.SIGTERM}, 128 + 15},
		{"usage", &RunError{Err: &exitcode.UsageError{Err: errors.New("bad")}}, exitcode.Usage},
		{"no region", fmt.Errorf("x: %w", awsapi.ErrNoRegion), exitcode.Usage},
		{"syntax", syntax, exitcode.Syntax},
		{"resolve", resolver.Errors{{Var: "A", Code: "AccessDeniedException"}}, exitcode.Resolve},
		{"file", &exec.FileError{Var: "A_FILE", Err: errors.New("full")}, exitcode.Output},
		{"render", &render.Error{Path: "/x", Err: errors.New("full")}, exitcode.Output},
		{"format", &envfmt.VarError{Var: "A"}, exitcode.Output},
		{"check", &CheckError{Code: exitcode.Failures, Msg: "1 reference would not resolve"}, exitcode.Failures},
		// A task definition's entries that ECS refuses are malformed
		// references: taskdef holds the code itself (issue 19, item 2).
		{"task definition entries", &RunError{Err: taskdef.Errors{{Container: "app", List: "environment", Var: "DB"}}}, exitcode.Syntax},
		{"not found", &exec.Error{Name: "x", Err: exec.ErrNotFound}, exitcode.NotFound},
		{"not executable", &exec.Error{Name: "x", Err: exec.ErrNotExecutable}, exitcode.NotExec},
		{"other", errors.New("boom"), exitcode.Internal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := exitcode.Of(tt.err); got != tt.want {
				t.Errorf("ExitCode = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestExit(t *testing.T) {
	usage := &exitcode.UsageError{Err: errors.New("--format: unknown format")}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"usage", usage, "valuefrom: error: --format: unknown format\nvaluefrom: hint: run valuefrom -h for usage\n"},
		{"a subcommand's usage", &RunError{Err: usage, Command: "env"},
			"valuefrom: error: env: --format: unknown format\nvaluefrom: hint: run valuefrom env -h for usage\n"},
		{"usage with its own hint", &RunError{Err: &exitcode.UsageError{Err: errors.New("no subcommand chekc"), Hint: "did you mean valuefrom check?"}},
			"valuefrom: error: no subcommand chekc\nvaluefrom: hint: did you mean valuefrom check?\n"},
		{"check's warnings", &RunError{Err: &CheckError{Code: exitcode.Warnings, Msg: "2 references with warnings"}, Command: "check"},
			"valuefrom: warning: 2 references with warnings\n"},
		{"failures and what was left undone", &RunError{Err: &exitcode.Error{Code: exitcode.Syntax, Err: resolver.Errors{{Var: "A", Code: awsapi.CodeSyntax}}}, Outcome: "nothing was printed"},
			"valuefrom: error: A: MalformedReference\nvaluefrom: error: 1 reference could not be parsed; nothing was printed\n"},
		{"a program's exit is its own", &watch.ProgramError{Exit: exec.Exit{Code: 3}}, ""},
		{"an error of several lines", taskdef.Errors{{Container: "app", List: "environment", Index: 1, Var: "A", Reason: "x"}, {Container: "app", List: "secrets", Index: 0, Var: "B", Reason: "y"}},
			"valuefrom: error: container app: environment[1] A: x\nvaluefrom: error: container app: secrets[0] B: y\n"},
		{"help", flag.ErrHelp, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			if code := Exit(&b, tt.err, exitcode.Of(tt.err)); code != exitcode.Of(tt.err) {
				t.Errorf("Exit returned %d, want %d", code, exitcode.Of(tt.err))
			}
			if b.String() != tt.want {
				t.Errorf("wrote %q, want %q", b.String(), tt.want)
			}
		})
	}
}

func TestExitJSON(t *testing.T) {
	var b strings.Builder
	Exit(&b, &RunError{Err: &exitcode.UsageError{Err: errors.New("unexpected argument")}, Command: "env", JSON: true}, exitcode.Usage)
	objs := vfbin.JSONLines(t, b.String())
	if len(objs) != 1 {
		t.Fatalf("%d objects, want 1:\n%s", len(objs), b.String())
	}
	if got, want := fields(objs[0]), "exit_code=2 hint=run valuefrom env -h for usage level=ERROR msg=env: unexpected argument"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

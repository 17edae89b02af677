package main

import (
	"os"
	"testing"

	"github.com/valuefrom/valuefrom/exec"
)

// TestSubcommandHint: a program that is not found but is named like a
// subcommand (ENTRYPOINT ["/valuefrom", "--"] with the command render
// --out /x) gets a hint that says so and shows the --entrypoint form that
// runs the subcommand; any other program gets none.
func TestSubcommandHint(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		program []string
		want    string
	}{
		{"render", []string{"render", "--out", "/x y"}, "render is a valuefrom subcommand, but after \"--\" (as in ENTRYPOINT [\"" + self +
			"\", \"--\"]) every argument is a program: to run the subcommand, make valuefrom alone the entrypoint: docker run --entrypoint " +
			self + " IMAGE render --out \"/x y\" (in an ECS task definition, \"entryPoint\": [\"" + self + "\"])"},
		{"a program", []string{"nosuch", "render"}, ""},
		{"a path", []string{"/render"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := exec.NewPlan(tt.program, []string{"PATH=" + t.TempDir()}, nil)
			if got := subcommandHint(err, tt.program); got != tt.want {
				t.Errorf("subcommandHint =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

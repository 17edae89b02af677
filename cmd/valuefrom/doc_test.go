package main

import (
	"os"
	"regexp"
	"strconv"
	"testing"

	"github.com/valuefrom/valuefrom/internal/exitcode"
)

// TestDocNamesEverything keeps the package doc and valuefrom -h in step
// with the code: the doc names every subcommand, and the help, the
// manual, every exit code.
func TestDocNamesEverything(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range commands {
		if !regexp.MustCompile(`\b` + c.name + `\b`).Match(doc) {
			t.Errorf("doc.go does not name the subcommand %s", c.name)
		}
	}
	help, err := helpFiles.ReadFile("help/topics/exit-codes.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range []int{exitcode.OK, exitcode.Internal, exitcode.Usage, exitcode.Syntax, exitcode.Resolve, exitcode.Output, exitcode.Warnings, exitcode.Failures, exitcode.Changed, exitcode.NotExec, exitcode.NotFound} {
		if !regexp.MustCompile(`(?m)^  ` + strconv.Itoa(code) + ` `).Match(help) {
			t.Errorf("valuefrom help exit-codes does not document exit code %d", code)
		}
	}
}

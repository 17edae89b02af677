package main

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/valuefrom/valuefrom/internal/settings"
)

// TestDocCoversEverything keeps the package doc, the operator manual, in
// step with the code: every setting, subcommand and exit code is in it.
func TestDocCoversEverything(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var usage strings.Builder
	settings.Usage(&usage)
	for _, line := range strings.Split(usage.String(), "\n") {
		if f := strings.Fields(line); len(f) > 0 && !strings.Contains(string(doc), f[0]) {
			t.Errorf("doc.go does not document %s", f[0])
		}
	}
	for _, c := range commands {
		if !strings.Contains(string(doc), "//\t"+c.name+" ") {
			t.Errorf("doc.go does not list the subcommand %s", c.name)
		}
	}
	for _, code := range []int{exitOK, exitInternal, exitUsage, exitSyntax, exitResolve, exitOutput, exitWarnings, exitFailures, exitChanged, exitNotExec, exitNotFound} {
		if !strings.Contains(string(doc), "//\t"+strconv.Itoa(code)+" ") {
			t.Errorf("doc.go does not document exit code %d", code)
		}
	}
}

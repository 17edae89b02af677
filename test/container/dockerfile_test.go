package container

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDockerfilesAgree: the image make image and the releases build
// (Dockerfile.local) and the one the multi-stage Dockerfile builds for a CI
// without Go are the same image: the Dockerfile's final stage is
// Dockerfile.local's, instruction for instruction, but for where the binary
// is copied from. The container tests run the first; this keeps the second
// from drifting. It reads files only, so it runs in the unit lane too.
func TestDockerfilesAgree(t *testing.T) {
	local := finalStage(t, "Dockerfile.local")
	multi := finalStage(t, "Dockerfile")
	if !slices.Equal(local, multi) {
		t.Errorf("the Dockerfile's final stage and Dockerfile.local differ (COPY sources and ARG TARGETPLATFORM aside)\nDockerfile:\n  %s\nDockerfile.local:\n  %s",
			strings.Join(multi, "\n  "), strings.Join(local, "\n  "))
	}
	if got := local[0]; got != "FROM scratch" {
		t.Errorf("the image starts %q, want FROM scratch", got)
	}
}

// finalStage returns the instructions of name's last stage, continuation
// lines joined and white space collapsed, without comments, without ARG
// TARGETPLATFORM (which only the local file needs, to find the binary),
// and with a COPY reduced to its destination.
func finalStage(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", name))
	if err != nil {
		t.Fatal(err)
	}
	var stage []string
	copies := 0
	text := strings.ReplaceAll(string(b), "\\\n", " ")
	for _, line := range strings.Split(text, "\n") {
		line = strings.Join(strings.Fields(line), " ")
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
			continue
		case strings.HasPrefix(strings.ToUpper(line), "FROM "):
			stage = nil
			copies = 0
		case line == "ARG TARGETPLATFORM":
			continue
		case strings.HasPrefix(line, "COPY "):
			fields := strings.Fields(line)
			line = "COPY " + fields[len(fields)-1]
			copies++
		}
		stage = append(stage, line)
	}
	if len(stage) == 0 || copies != 1 {
		t.Fatalf("%s: the final stage has %d instructions and %d COPY lines, want one COPY (the binary)", name, len(stage), copies)
	}
	return stage
}

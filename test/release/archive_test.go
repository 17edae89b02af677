// Package release proves what a source release promises: a `git archive`
// of the repository, built with no git, says its version, commit and build
// date (from .git_archival.txt, which git archive fills in), the same as a
// build of the git work tree says; and a tree that is neither fails to
// build rather than say "(devel)".
//
// The tests build with make, as a user of the archive would; under -short,
// the unit lane, they skip.
package release

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

// binary is the work tree's `make build`.
var binary string

func TestMain(m *testing.M) { vfbin.Main(m, &binary) }

// versionLine is valuefrom --version's line; its groups are the version,
// the commit and the build date.
var versionLine = regexp.MustCompile(`^valuefrom (\S+) \(commit ([0-9a-f]{40}), go\S+, \S+/\S+, built (\S+)\)\n$`)

func TestArchiveSaysItsVersion(t *testing.T) {
	vfbin.Need(t)
	dir := extractArchive(t)
	if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
		t.Fatal("the archive holds .git; the test must build without git")
	}

	bin := filepath.Join(t.TempDir(), "valuefrom")
	if out, err := makeBuild(dir, bin).CombinedOutput(); err != nil {
		t.Fatalf("make build in the extracted archive: %v\n%s", err, out)
	}
	got := versionOf(t, bin)
	tree := versionOf(t, binary)

	if got[2] != gitOut(t, "rev-parse", "HEAD") {
		t.Errorf("the archive's build says commit %s, want HEAD %s", got[2], gitOut(t, "rev-parse", "HEAD"))
	}
	if _, err := time.Parse(time.RFC3339, got[3]); err != nil || got[3] != tree[3] {
		t.Errorf("the archive's build says built %q, want the work tree's %q (the commit's time, RFC 3339)", got[3], tree[3])
	}
	// The work tree may have uncommitted changes, which the archive of
	// HEAD has not: its version is the tree's without -dirty.
	if want := strings.TrimSuffix(tree[1], "-dirty"); got[1] != want {
		t.Errorf("the archive's build says version %q, want %q (the work tree's build says %q)", got[1], want, tree[1])
	}
	if !strings.HasPrefix(got[1], "v") {
		t.Errorf("version %q, want a vX.Y.Z tag or a v0.0.0- pseudo-version", got[1])
	}
}

// TestPlainCopyRefusesToBuild: a tree with neither git nor a filled-in
// .git_archival.txt cannot tell its version, so make build fails, naming
// what to set, unless VERSION, COMMIT and DATE are given.
func TestPlainCopyRefusesToBuild(t *testing.T) {
	vfbin.Need(t)
	dir := extractArchive(t)
	raw, err := os.ReadFile(filepath.Join("..", "..", ".git_archival.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte("$Format:")) {
		t.Fatalf("the work tree's .git_archival.txt is not the template git archive fills in:\n%s", raw)
	}
	if err := os.WriteFile(filepath.Join(dir, ".git_archival.txt"), raw, 0o644); err != nil {
		t.Fatal(err)
	}

	bin := filepath.Join(t.TempDir(), "valuefrom")
	out, err := makeBuild(dir, bin).CombinedOutput()
	if err == nil {
		t.Fatalf("make build of a plain copy succeeded; want a failure\n%s", out)
	}
	if !strings.Contains(string(out), "set VERSION, COMMIT and DATE") || !strings.Contains(string(out), "no version to tell") {
		t.Errorf("make build of a plain copy: %v, output lacks the reason and what to set:\n%s", err, out)
	}
	if _, err := os.Stat(bin); err == nil {
		t.Error("make build of a plain copy left a binary")
	}

	cmd := makeBuild(dir, bin, "VERSION=v1.2.3", "COMMIT=0123456789abcdef0123456789abcdef01234567", "DATE=2026-01-02T03:04:05Z")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make build of a plain copy with VERSION, COMMIT and DATE: %v\n%s", err, out)
	}
	if got := versionOf(t, bin); got[1] != "v1.2.3" || got[3] != "2026-01-02T03:04:05Z" {
		t.Errorf("with VERSION and DATE given: version %q built %q, want v1.2.3 and 2026-01-02T03:04:05Z", got[1], got[3])
	}
}

// extractArchive extracts a git archive of HEAD into a new directory
// outside any git work tree.
func extractArchive(t *testing.T) string {
	t.Helper()
	tmp := t.TempDir()
	tarball := filepath.Join(tmp, "source.tar")
	// From the top: in a subdirectory, git archive archives only that.
	gitOut(t, "-C", filepath.Join("..", ".."), "archive", "--format=tar", "-o", tarball, "HEAD")
	dir := filepath.Join(tmp, "src")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("tar", "-x", "-f", tarball, "-C", dir).CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	if err := exec.Command("git", "-C", dir, "rev-parse", "--git-dir").Run(); err == nil {
		t.Skipf("%s is inside a git work tree (TMPDIR?): the test needs a directory git does not see", dir)
	}
	return dir
}

// makeBuild returns `make build` in dir into bin, with the environment
// less what would stamp the binary, plus vars on the command line.
func makeBuild(dir, bin string, vars ...string) *exec.Cmd {
	cmd := exec.Command("make", append([]string{"--no-print-directory", "-C", dir, "build", "BIN=" + bin}, vars...)...)
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "VERSION", "COMMIT", "DATE", "SOURCE_DATE_EPOCH", "GOOS", "GOARCH", "MAKEFLAGS":
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	return cmd
}

// versionOf runs bin --version and returns versionLine's submatches.
func versionOf(t *testing.T, bin string) []string {
	t.Helper()
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatalf("%s --version: %v", bin, err)
	}
	m := versionLine.FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("%s --version = %q, want %s", bin, out, versionLine)
	}
	return m
}

func gitOut(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", args...).Output()
	if err != nil {
		t.Skipf("git %s: %v (the test needs the repository)", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out))
}

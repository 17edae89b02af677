// Package container proves valuefrom as a container entrypoint: it builds
// the image with `make image` (Dockerfile.local: FROM scratch and the
// host-built static binary, what the releases publish), adds a small test
// program (testapp) on top, and runs it with podman and runc against moto on
// the host's loopback.
//
// Podman and runc come from .ci/container-deps. Without them the tests skip,
// except under CI=true, where they fail: CI must never pass by testing
// nothing. Under -short, the unit lane, they always skip (but
// TestDockerfilesAgree, which reads files only). The podman flags are the
// ones ../../shared/TESTING.md measured on these machines: the default crun
// runtime fails here, runc works with explicit ulimits, and the host network
// reaches moto.
package container

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

const (
	appPath = "/usr/local/bin/testapp"
	// nonRoot is the user the shipped Dockerfile runs as.
	nonRoot = 65532
	// stopTimeout is what podman stop waits before SIGKILL; a container
	// that handled SIGTERM exits long before it.
	stopTimeout = 30 * time.Second
	// promptly bounds podman stop to the container's exit when the signal
	// is handled; podman's own work is most of it.
	promptly = 10 * time.Second
	// cmdTimeout bounds every podman command.
	cmdTimeout = time.Minute
)

// fixture is what every subtest shares: one image, one moto seeded with
// mototest's Fixture, whose values carry spaces, '=' and newlines, which a
// naive environment parser or file writer would mangle.
type fixture struct {
	podman  string
	shipped string // what make image built
	image   string // shipped plus testapp
	moto    *mototest.Server
	fx      mototest.Fixture
}

// TestContainer builds the image once and runs each property as a subtest.
func TestContainer(t *testing.T) {
	f := setup(t)
	t.Run("ImageConfig", f.testImageConfig)
	t.Run("Version", f.testVersion)
	t.Run("AppBecomesPID1", f.testAppBecomesPID1)
	t.Run("StopDeliversSIGTERMToApp", f.testStopDeliversSIGTERM)
	t.Run("MissingSecretFailsBeforeApp", f.testMissingSecret)
	t.Run("NonRootFileSecrets", f.testNonRootFileSecrets)
	t.Run("StopDuringResolution", f.testStopDuringResolution)
	t.Run("WatchAsPID1", f.testWatchAsPID1)
}

func setup(t *testing.T) *fixture {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the unit lane runs no containers")
	}
	f := &fixture{podman: requireTool(t, "podman")}
	requireTool(t, "runc")
	f.moto = mototest.Start(t)
	f.fx = mototest.Seed(t, f.moto)

	suffix := randomSuffix(t)
	f.shipped = "localhost/valuefrom-test-shipped:" + suffix
	start := time.Now()
	makeImage(t, "CONTAINER="+f.podman, "IMAGE="+f.shipped, "IMAGE_CONTEXT="+t.TempDir(), "IMAGE_ARCH="+runtime.GOARCH)
	t.Logf("make image: %.2fs", time.Since(start).Seconds())
	f.cleanupImage(t, f.shipped)

	// The image under test is make image's with testapp added: the user,
	// entrypoint and layout users get, and a program to report on them.
	dir := t.TempDir()
	goBuild(t, filepath.Join(dir, "testapp"), "github.com/valuefrom/valuefrom/test/container/testapp")
	requireStatic(t, filepath.Join(dir, "testapp"))
	dockerfile := "FROM " + f.shipped + "\nCOPY testapp " + appPath + "\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	f.image = "localhost/valuefrom-test:" + suffix
	if out, err := f.command(t, "build", "--quiet", "--pull=never", "--tag", f.image, dir).CombinedOutput(); err != nil {
		t.Fatalf("podman build: %v\n%s", err, out)
	}
	// Registered after the shipped image's, so it runs first: the test
	// image is a child of the shipped one.
	f.cleanupImage(t, f.image)
	return f
}

// makeImage runs make image in the module's root with vars.
func makeImage(t *testing.T, vars ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "make", append([]string{"--no-print-directory", "image"}, vars...)...)
	cmd.Dir = filepath.Join("..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make image: %v\n%s", err, out)
	}
}

// cleanupImage removes image when the test ends.
func (f *fixture) cleanupImage(t *testing.T, image string) {
	t.Cleanup(func() {
		// t.Context is already done in Cleanup; removal gets its own.
		ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
		defer cancel()
		if out, err := f.commandContext(ctx, "rmi", "--force", image).CombinedOutput(); err != nil {
			t.Errorf("podman rmi %s: %v\n%s", image, err, out)
		}
	})
}

// requireTool finds a tool the tests need, or skips; under CI=true it fails.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s not found, and CI=true: run .ci/container-deps to install podman and runc", name)
	}
	t.Skipf("%s not found; run .ci/container-deps (as root) to install podman and runc", name)
	return ""
}

// goBuild builds a static binary of pkg for this machine's Linux.
func goBuild(t *testing.T, out, pkg string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
}

// requireStatic fails unless the ELF file at path has no program
// interpreter: a scratch image has no dynamic loader to run it with.
func requireStatic(t *testing.T, path string) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Fatalf("%s is dynamically linked; a FROM scratch image cannot run it", filepath.Base(path))
		}
	}
}

func randomSuffix(t *testing.T) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// command returns podman with the runtime this VM needs, bounded by
// cmdTimeout.
func (f *fixture) command(t *testing.T, args ...string) *exec.Cmd {
	ctx, cancel := context.WithTimeout(t.Context(), cmdTimeout)
	t.Cleanup(cancel)
	return f.commandContext(ctx, args...)
}

func (f *fixture) commandContext(ctx context.Context, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, f.podman, append([]string{"--runtime", "runc"}, args...)...)
}

// runCommand returns `podman run` of the test image in the foreground:
// podman's exit status is the container's, its stdout and stderr the
// container's. opts go before the image, args after it (the CMD).
func (f *fixture) runCommand(t *testing.T, opts, env []string, args ...string) *exec.Cmd {
	a := []string{"run", "--rm",
		"--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1000:1000",
		"--network", "host"}
	a = append(a, opts...)
	for _, e := range env {
		a = append(a, "--env", e)
	}
	a = append(a, f.image)
	return f.command(t, append(a, args...)...)
}

// result is a finished container.
type result struct {
	stdout, stderr string
	code           int
}

// run runs the container to completion.
func (f *fixture) run(t *testing.T, opts, env []string, args ...string) result {
	t.Helper()
	cmd := f.runCommand(t, opts, env, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	t.Logf("podman run: %.2fs", time.Since(start).Seconds())
	return result{stdout.String(), stderr.String(), exitCode(t, err)}
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	default:
		t.Fatalf("podman run: %v", err)
		return -1
	}
}

// env is the moto environment plus vars.
func (f *fixture) env(vars ...string) []string {
	return append(f.moto.Env(), vars...)
}

// report is what `testapp report` prints; see testapp/main.go.
type report struct {
	PID   int                `json:"pid"`
	PPID  int                `json:"ppid"`
	UID   int                `json:"uid"`
	GID   int                `json:"gid"`
	Procs []int              `json:"procs"`
	CA    []string           `json:"ca_paths"`
	Env   map[string]*string `json:"env"`
	Files map[string]*struct {
		Path    string `json:"path"`
		Mode    string `json:"mode"`
		UID     int    `json:"uid"`
		GID     int    `json:"gid"`
		DirMode string `json:"dir_mode"`
		DirUID  int    `json:"dir_uid"`
		Content string `json:"content"`
		Err     string `json:"error"`
	} `json:"files"`
}

// mustReport runs `testapp report vars...` behind valuefrom and decodes
// what it printed; the container must exit 0.
func (f *fixture) mustReport(t *testing.T, opts, env []string, vars ...string) report {
	t.Helper()
	res := f.run(t, opts, env, append([]string{appPath, "report"}, vars...)...)
	if res.code != 0 {
		t.Fatalf("container exited %d, want 0\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	_, js, ok := strings.Cut(res.stdout, "testapp: started\n")
	if !ok {
		t.Fatalf("testapp did not start; stdout:\n%s\nstderr:\n%s", res.stdout, res.stderr)
	}
	var r report
	if err := json.Unmarshal([]byte(js), &r); err != nil {
		t.Fatalf("decoding testapp's report (%d bytes, not shown: it holds values): %v", len(js), err)
	}
	return r
}

// testImageConfig: make image's image runs as 65532 with the exec-form
// entrypoint, and its OCI labels say what it was built from.
func (f *fixture) testImageConfig(t *testing.T) {
	out, err := f.command(t, "image", "inspect", "--format", "{{.Config.User}} {{json .Config.Entrypoint}}", f.shipped).Output()
	if err != nil {
		t.Fatalf("podman image inspect: %v", err)
	}
	want := fmt.Sprintf(`%d:%d ["/usr/local/bin/valuefrom","--"]`, nonRoot, nonRoot)
	if got := strings.TrimSpace(string(out)); got != want {
		t.Errorf("image user and entrypoint = %s, want %s", got, want)
	}

	out, err = f.command(t, "image", "inspect", "--format", "{{json .Config.Labels}}", f.shipped).Output()
	if err != nil {
		t.Fatalf("podman image inspect: %v", err)
	}
	var labels map[string]string
	if err := json.Unmarshal(out, &labels); err != nil {
		t.Fatalf("the image's labels %s: %v", out, err)
	}
	b := stamp(t)
	for k, want := range map[string]string{
		"org.opencontainers.image.source":   "https://github.com/valuefrom/valuefrom",
		"org.opencontainers.image.licenses": "Apache-2.0",
		"org.opencontainers.image.version":  b.version,
		"org.opencontainers.image.revision": b.commit,
		"org.opencontainers.image.created":  b.date,
	} {
		if got := labels[k]; got != want {
			t.Errorf("label %s = %q, want %q", k, got, want)
		}
	}
}

// testVersion runs the binary alone in make image's image: no shell, no
// /etc/passwd, no CA bundle. It says the version, commit and date make
// stamped, and that it is linux on this machine's architecture.
func (f *fixture) testVersion(t *testing.T) {
	cmd := f.command(t, "run", "--rm", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1000:1000",
		"--entrypoint", "/usr/local/bin/valuefrom", f.shipped, "--version")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	code := exitCode(t, cmd.Run())
	b := stamp(t)
	want := fmt.Sprintf("valuefrom %s (commit %s, %s, linux/%s, built %s)\n", b.version, b.commit, runtime.Version(), runtime.GOARCH, b.date)
	if code != 0 || stdout.String() != want {
		t.Errorf("valuefrom --version: exit %d, stdout %q, want exit 0 and %q\nstderr:\n%s", code, stdout.String(), want, stderr.String())
	}
}

// buildStamp is what make stamps a build with.
type buildStamp struct{ version, commit, date string }

// stamp asks scripts/buildinfo, as make image did.
func stamp(t *testing.T) buildStamp {
	t.Helper()
	return buildStamp{buildinfo(t, "version"), buildinfo(t, "commit"), buildinfo(t, "date")}
}

func buildinfo(t *testing.T, field string) string {
	t.Helper()
	out, err := exec.Command(filepath.Join("..", "..", "scripts", "buildinfo"), field).Output()
	if err != nil {
		t.Fatalf("scripts/buildinfo %s: %v", field, err)
	}
	return strings.TrimSpace(string(out))
}

// testAppBecomesPID1: exec keeps the PID, so an app that is PID 1, alone in
// its PID namespace, and holding the resolved values, is valuefrom's PID 1
// replaced by exec, not a child of it.
func (f *fixture) testAppBecomesPID1(t *testing.T) {
	r := f.mustReport(t, nil, f.env(
		"DB_PASSWORD=secretsmanager:app/db:password::",
		"SECRET=secretsmanager:plain",
		"SECRET_BY_ARN="+f.fx.Plain.ARN,
		"TOKEN=ssm:/app/token",
		"PLAIN=not a reference",
	), "DB_PASSWORD", "SECRET", "SECRET_BY_ARN", "TOKEN", "PLAIN")

	if r.PID != 1 || r.PPID != 0 {
		t.Errorf("app pid=%d ppid=%d, want pid=1 ppid=0", r.PID, r.PPID)
	}
	if !slices.Equal(r.Procs, []int{1}) {
		t.Errorf("processes in the container = %v, want only [1]: valuefrom must exec, not stay as a parent", r.Procs)
	}
	if len(r.CA) != 0 {
		t.Errorf("image has a CA bundle at %v, want none (the test must prove the binary needs none)", r.CA)
	}
	for name, want := range map[string]string{
		"DB_PASSWORD":   mototest.DBPassword,
		"SECRET":        f.fx.Plain.Value,
		"SECRET_BY_ARN": f.fx.Plain.Value,
		"TOKEN":         f.fx.Token.Value,
		"PLAIN":         "not a reference",
	} {
		switch got := r.Env[name]; {
		case got == nil:
			t.Errorf("%s is unset in the app", name)
		case *got != want:
			t.Errorf("%s in the app: %d bytes, not the expected %d-byte value (values not shown)", name, len(*got), len(want))
		}
	}
}

// started is a container running in the foreground whose stdout is read
// line by line.
type started struct {
	cmd    *exec.Cmd
	lines  chan string // stdout, closed at EOF
	stderr bytes.Buffer
	out    []string // stdout lines consumed so far
}

func (f *fixture) start(t *testing.T, name string, env []string, args ...string) *started {
	t.Helper()
	s := &started{lines: make(chan string)}
	s.cmd = f.runCommand(t, []string{"--name", name}, env, args...)
	// --rm removes the container when podman run sees it exit; this
	// removes it when a test gives up on it first.
	t.Cleanup(func() { f.remove(name) })
	s.cmd.Stderr = &s.stderr
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("podman run: %v", err)
	}
	go func() {
		defer close(s.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
	}()
	return s
}

// remove stops and removes a container, if it is still there.
func (f *fixture) remove(name string) {
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	f.commandContext(ctx, "rm", "--force", "--ignore", name).Run()
}

// waitLine consumes stdout until a line starting with prefix, EOF, or the
// deadline; it reports whether the line came.
func (s *started) waitLine(prefix string, deadline <-chan time.Time) bool {
	for {
		select {
		case l, ok := <-s.lines:
			if !ok {
				return false
			}
			s.out = append(s.out, l)
			if strings.HasPrefix(l, prefix) {
				return true
			}
		case <-deadline:
			return false
		}
	}
}

// wait drains stdout and waits for podman run to exit.
func (s *started) wait(t *testing.T) int {
	t.Helper()
	for l := range s.lines {
		s.out = append(s.out, l)
	}
	return exitCode(t, s.cmd.Wait())
}

// stop runs `podman stop`, which sends SIGTERM and, after stopTimeout,
// SIGKILL.
func (f *fixture) stop(t *testing.T, name string) {
	t.Helper()
	if out, err := f.command(t, "stop", "--time", fmt.Sprint(int(stopTimeout.Seconds())), name).CombinedOutput(); err != nil {
		t.Errorf("podman stop: %v\n%s", err, out)
	}
}

// testStopDeliversSIGTERM: PID 1 only gets the signals it handles, so exit
// status 0 (not 137 from SIGKILL after stopTimeout) proves the app itself
// received SIGTERM and handled it.
func (f *fixture) testStopDeliversSIGTERM(t *testing.T) {
	name := "valuefrom-test-" + randomSuffix(t)
	s := f.start(t, name, f.env("DB_PASSWORD=secretsmanager:app/db:password::"), appPath, "serve")
	if !s.waitLine("ready", time.After(cmdTimeout)) {
		f.remove(name)
		code := s.wait(t)
		t.Fatalf("testapp never printed ready (exit %d)\nstdout: %q\nstderr:\n%s", code, s.out, s.stderr.String())
	}
	if got := s.out[len(s.out)-1]; got != "ready pid=1" {
		t.Errorf("testapp printed %q, want %q", got, "ready pid=1")
	}

	begin := time.Now()
	f.stop(t, name)
	code := s.wait(t)
	took := time.Since(begin)
	t.Logf("podman stop to exit: %.2fs", took.Seconds())

	if code != 0 {
		t.Errorf("container exited %d after podman stop, want 0 (the app handles SIGTERM)\nstdout: %q\nstderr:\n%s", code, s.out, s.stderr.String())
	}
	if !slices.Contains(s.out, "testapp: got SIGTERM") {
		t.Errorf("testapp did not report SIGTERM; stdout: %q", s.out)
	}
	if took > promptly {
		t.Errorf("podman stop took %v, want under %v", took, promptly)
	}
}

// testMissingSecret: an unresolvable reference is fatal before exec.
func (f *fixture) testMissingSecret(t *testing.T) {
	res := f.run(t, nil, f.env(
		"DB_PASSWORD=secretsmanager:app/db:password::",
		"MISSING=secretsmanager:app/does-not-exist",
	), appPath, "report", "MISSING")

	vfbin.NoValue(t, "stderr", res.stderr, mototest.Canary)
	if res.code != 4 {
		t.Errorf("container exited %d, want 4 (a reference could not be resolved)", res.code)
	}
	if res.stdout != "" {
		t.Errorf("stdout = %q, want empty: the app must never run", res.stdout)
	}
	for _, want := range []string{"\nvaluefrom: error: MISSING: ", "\nvaluefrom: hint: "} {
		if !strings.Contains("\n"+res.stderr, want) {
			t.Errorf("stderr lacks a line starting %q:\n%s", want[1:], res.stderr)
		}
	}
}

// testNonRootFileSecrets runs as the image's own user on a read-only root
// file system, as hardened ECS and Kubernetes deployments do: the _FILE
// secret lands in /dev/shm, owned by that user, readable by no one else.
func (f *fixture) testNonRootFileSecrets(t *testing.T) {
	r := f.mustReport(t, []string{"--read-only"}, f.env("TLS_KEY_FILE=secretsmanager:plain"), "TLS_KEY_FILE")

	if r.UID != nonRoot || r.GID != nonRoot {
		t.Errorf("app runs as %d:%d, want %d:%d", r.UID, r.GID, nonRoot, nonRoot)
	}
	file := r.Files["TLS_KEY_FILE"]
	if file == nil {
		t.Fatalf("TLS_KEY_FILE is unset in the app")
	}
	if file.Err != "" {
		t.Fatalf("reading TLS_KEY_FILE=%s: %s", file.Path, file.Err)
	}
	if !strings.HasPrefix(file.Path, "/dev/shm/") {
		t.Errorf("TLS_KEY_FILE = %s, want a path under /dev/shm (memory, not the image's disk)", file.Path)
	}
	if file.Mode != "0400" || file.UID != nonRoot || file.GID != nonRoot {
		t.Errorf("secret file mode %s owner %d:%d, want 0400 %d:%d", file.Mode, file.UID, file.GID, nonRoot, nonRoot)
	}
	if file.DirMode != "0700" || file.DirUID != nonRoot {
		t.Errorf("secret directory mode %s owner %d, want 0700 %d", file.DirMode, file.DirUID, nonRoot)
	}
	if file.Content != f.fx.Plain.Value {
		t.Errorf("secret file holds %d bytes, not the expected %d-byte value (values not shown)", len(file.Content), len(f.fx.Plain.Value))
	}
}

// testStopDuringResolution stops the container while valuefrom, as PID 1,
// waits on AWS. PID 1 gets only the signals it handles: valuefrom must
// handle SIGTERM itself, exit promptly with 128+15 (Go's default handler
// would exit 2, which reads as a usage error), and never start the app.
func (f *fixture) testStopDuringResolution(t *testing.T) {
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	stalled := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(stalled.Close)
	t.Cleanup(func() { close(release) }) // runs first: unblocks handlers for Close

	name := "valuefrom-test-" + randomSuffix(t)
	env := append(mototest.EndpointEnv(stalled.URL), "DB_PASSWORD=secretsmanager:app/db:password::")
	s := f.start(t, name, env, appPath, "serve")
	deadline := time.After(cmdTimeout)
	for waiting := true; waiting; {
		select {
		case <-arrived:
			waiting = false
		case l, ok := <-s.lines:
			if ok {
				s.out = append(s.out, l)
				continue
			}
			code := s.wait(t)
			t.Fatalf("container exited %d before valuefrom called AWS\nstdout: %q\nstderr:\n%s", code, s.out, s.stderr.String())
		case <-deadline:
			f.remove(name)
			code := s.wait(t)
			t.Fatalf("valuefrom never called AWS (exit %d)\nstdout: %q\nstderr:\n%s", code, s.out, s.stderr.String())
		}
	}

	begin := time.Now()
	f.stop(t, name)
	code := s.wait(t)
	took := time.Since(begin)
	t.Logf("podman stop during resolution: exit %d after %.2fs; stderr:\n%s", code, took.Seconds(), s.stderr.String())

	if want := 128 + int(syscall.SIGTERM); code != want {
		t.Errorf("container exited %d, want %d (128+SIGTERM: interrupted, and not by SIGKILL)", code, want)
	}
	if slices.Contains(s.out, "testapp: started") {
		t.Errorf("the app ran although resolution never finished; stdout: %q", s.out)
	}
	if took > promptly {
		t.Errorf("podman stop took %v (exit %d), want under %v: valuefrom as PID 1 must handle SIGTERM", took, code, promptly)
	}
}

// testWatchAsPID1: with --watch, valuefrom is PID 1 and the app its child;
// a rotation restarts the app with the new value; the orphans the first
// app left were reaped (the second app finds no zombie); podman stop
// reaches the app through valuefrom, and the container exits with the
// app's code.
func (f *fixture) testWatchAsPID1(t *testing.T) {
	name := "valuefrom-test-" + randomSuffix(t)
	secret := "watch-" + randomSuffix(t)
	sd := f.moto.Seeder(t, "us-east-1")
	old, next := "canary-watch-old-"+randomSuffix(t), "canary-watch-new-"+randomSuffix(t)
	sd.Secret(secret, old)
	s := f.start(t, name, f.env("VAL=secretsmanager:"+secret, "VALUEFROM_WATCH=300ms", "VALUEFROM_SPLAY=0s"), appPath, "watch")
	deadline := time.After(cmdTimeout)
	if !s.waitLine("watch ", deadline) {
		f.remove(name)
		code := s.wait(t)
		t.Fatalf("testapp never started (exit %d)\nstderr:\n%s", code, s.stderr.String())
	}
	first := strings.Fields(s.out[len(s.out)-1])
	if first[2] != "ppid=1" || first[4] != "val="+old {
		t.Errorf("first start: %s %s, want ppid=1 and the first value", first[1], first[2])
	}
	if !s.waitLine("ready", deadline) {
		t.Fatal("testapp did not get ready")
	}
	sd.NewVersion(secret, next)
	if !s.waitLine("testapp: got SIGTERM", deadline) || !s.waitLine("watch ", deadline) {
		f.remove(name)
		s.wait(t)
		t.Fatalf("no restart after the rotation\nstderr:\n%s", s.stderr.String())
	}
	second := strings.Fields(s.out[len(s.out)-1])
	if second[1] == first[1] || second[2] != "ppid=1" || second[4] != "val="+next {
		t.Errorf("second start: %s %s, want a new pid, ppid=1 and the new value", second[1], second[2])
	}
	if second[3] != "zombies=0" {
		t.Errorf("after the restart: %s, want zombies=0", second[3])
	}
	if !s.waitLine("ready", deadline) {
		t.Fatal("testapp did not get ready again")
	}
	f.stop(t, name)
	if code := s.wait(t); code != 0 {
		t.Errorf("container exited %d after podman stop, want the app's 0\nstderr:\n%s", code, s.stderr.String())
	}
	if strings.Contains(s.stderr.String(), old) || strings.Contains(s.stderr.String(), next) {
		t.Error("a value reached valuefrom's log")
	}
}

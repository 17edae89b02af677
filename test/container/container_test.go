// Package container proves valuefrom as a container entrypoint: it builds a
// FROM scratch image from the shipped Dockerfile's final stage, holding the
// host-built static binary and a small test program (testapp), and runs it
// with podman and runc against moto on the host's loopback.
//
// Podman and runc come from .ci/container-deps. Without them the tests skip,
// except under CI=true, where they fail: CI must never pass by testing
// nothing. Under -short, the unit lane, they always skip. The podman flags are the ones ../../shared/TESTING.md measured on
// these machines: the default crun runtime fails here, runc works with
// explicit ulimits, and the host network reaches moto.
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
	"flag"
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

var prebuilt = flag.String("valuefrom", "",
	"test this static valuefrom binary instead of building one with make build")

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
	podman string
	image  string
	moto   *mototest.Server
	fx     mototest.Fixture
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

	dir := t.TempDir()
	if *prebuilt != "" {
		b, err := os.ReadFile(*prebuilt)
		if err != nil {
			t.Fatalf("reading -valuefrom binary: %v", err)
		}
		if err := os.WriteFile(filepath.Join(dir, "valuefrom"), b, 0o755); err != nil {
			t.Fatal(err)
		}
	} else {
		bin, err := vfbin.BuildFor(t.TempDir(), "linux", runtime.GOARCH)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(bin, filepath.Join(dir, "valuefrom")); err != nil {
			t.Fatal(err)
		}
	}
	goBuild(t, filepath.Join(dir, "testapp"), "github.com/valuefrom/valuefrom/test/container/testapp")
	for _, bin := range []string{"valuefrom", "testapp"} {
		requireStatic(t, filepath.Join(dir, bin))
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(testDockerfile(t)), 0o644); err != nil {
		t.Fatal(err)
	}

	f.image = "localhost/valuefrom-test:" + randomSuffix(t)
	start := time.Now()
	if out, err := f.command(t, "build", "--quiet", "--tag", f.image, dir).CombinedOutput(); err != nil {
		t.Fatalf("podman build: %v\n%s", err, out)
	}
	t.Logf("podman build of the scratch image: %.2fs", time.Since(start).Seconds())
	t.Cleanup(func() {
		// t.Context is already done in Cleanup; removal gets its own.
		ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
		defer cancel()
		if out, err := f.commandContext(ctx, "rmi", "--force", f.image).CombinedOutput(); err != nil {
			t.Errorf("podman rmi %s: %v\n%s", f.image, err, out)
		}
	})
	return f
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

// testDockerfile returns the shipped Dockerfile's final stage, with its
// COPY --from= of valuefrom replaced by a COPY of the host-built binary,
// plus the test program. So the image under test has the user, entrypoint
// and layout users get; only the builder stage, whose Go image cannot be
// pulled here, is left out.
func testDockerfile(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "Dockerfile"))
	if err != nil {
		t.Fatalf("reading the shipped Dockerfile: %v", err)
	}
	lines := strings.Split(string(b), "\n")
	final := -1
	for i, l := range lines {
		if strings.HasPrefix(strings.ToUpper(l), "FROM ") {
			final = i
		}
	}
	if final < 0 {
		t.Fatal("the shipped Dockerfile has no FROM")
	}
	if got := strings.TrimSpace(lines[final]); got != "FROM scratch" {
		t.Fatalf("the shipped Dockerfile's final stage starts %q, want FROM scratch", got)
	}
	var out []string
	copies := 0
	for _, l := range lines[final:] {
		if !strings.HasPrefix(l, "COPY --from=") {
			out = append(out, l)
			continue
		}
		fields := strings.Fields(l)
		out = append(out, "COPY valuefrom "+fields[len(fields)-1], "COPY testapp "+appPath)
		copies++
	}
	if copies != 1 {
		t.Fatalf("the shipped Dockerfile's final stage has %d COPY --from= lines, want 1 (the binary)", copies)
	}
	return strings.Join(out, "\n")
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

func (f *fixture) testImageConfig(t *testing.T) {
	out, err := f.command(t, "image", "inspect", "--format", "{{.Config.User}} {{json .Config.Entrypoint}}", f.image).Output()
	if err != nil {
		t.Fatalf("podman image inspect: %v", err)
	}
	want := fmt.Sprintf(`%d:%d ["/usr/local/bin/valuefrom","--"]`, nonRoot, nonRoot)
	if got := strings.TrimSpace(string(out)); got != want {
		t.Errorf("image user and entrypoint = %s, want %s", got, want)
	}
}

// testVersion runs the binary alone in the scratch image: no shell, no
// /etc/passwd, no CA bundle.
func (f *fixture) testVersion(t *testing.T) {
	res := f.run(t, []string{"--entrypoint", "/usr/local/bin/valuefrom"}, nil, "--version")
	if res.code != 0 {
		t.Fatalf("valuefrom --version exited %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	if !strings.Contains(res.stdout, runtime.Version()) {
		t.Errorf("valuefrom --version = %q, want the Go version %s in it", res.stdout, runtime.Version())
	}
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
	if strings.Contains(res.stderr, mototest.Canary) {
		t.Error("stderr leaks a secret value")
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

package lambda

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

// rieModule is the AWS Lambda Runtime Interface Emulator the tests run,
// pinned, as the module proxy serves it: the tests build it themselves.
const rieModule = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@v0.0.0-20261030222936-bef5c4ba774d"

// tools are the programs the tests run beside valuefrom.
type tools struct {
	valuefrom string // the release binary
	rie       string // the emulator
	runtime   string // test/lambda/runtime, a custom runtime
}

// buildTools builds the emulator and the runtime into dir. Where they
// cannot be built (no module proxy) the test is skipped, except under
// CI=true, where it fails: CI must never pass by testing nothing.
func buildTools(t *testing.T, dir string) tools {
	t.Helper()
	tl := tools{valuefrom: vfbin.Need(t), rie: filepath.Join(dir, "aws-lambda-rie"), runtime: filepath.Join(dir, "bootstrap")}
	for _, cmd := range []*exec.Cmd{
		exec.Command("go", "install", rieModule),
		exec.Command("go", "build", "-o", tl.runtime, "github.com/valuefrom/valuefrom/test/lambda/runtime"),
	} {
		cmd.Env = append(os.Environ(), "GOBIN="+dir, "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
			}
			t.Skipf("cannot build what the Lambda tests run (%s: %v); they need the Go module proxy\n%s", strings.Join(cmd.Args, " "), err, out)
		}
	}
	return tl
}

// An emulator is a running aws-lambda-rie with a function.
type emulator struct {
	url  string // the invoke endpoint
	proc *vfbin.Proc
}

// startEmulator runs the emulator with exactly env, and bootstrap as the
// function's entrypoint (valuefrom with the runtime after it, or the
// runtime alone), wrapped by wrap when it is set (such as unshare), and
// waits until it takes invokes. The function starts with the first
// invoke, as the emulator starts it: its init is that invoke's.
func startEmulator(t *testing.T, tl tools, env []string, wrap []string, bootstrap ...string) *emulator {
	t.Helper()
	ports := freePorts(t, 2)
	port, api := ports[0], ports[1]
	args := append(append([]string{}, wrap...), tl.rie,
		"--runtime-interface-emulator-address", "127.0.0.1:"+port, "--runtime-api-address", "127.0.0.1:"+api)
	cmd := exec.Command(args[0], append(args[1:], bootstrap...)...)
	cmd.Env = env
	em := &emulator{url: "http://127.0.0.1:" + port + "/2015-03-31/functions/function/invocations", proc: vfbin.Start(t, cmd)}
	waitListening(t, "127.0.0.1:"+port, em.proc)
	return em
}

// freePorts returns n distinct loopback ports where nothing listens now:
// each is held until all are found, so that none is found twice.
func freePorts(t *testing.T, n int) []string {
	t.Helper()
	var ports []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ports = append(ports, strconv.Itoa(l.Addr().(*net.TCPAddr).Port))
	}
	return ports
}

// waitListening waits until addr takes connections: the emulator says
// nothing when it listens. It polls, at most vfbin.WaitLimit.
func waitListening(t *testing.T, addr string, p *vfbin.Proc) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	limit := time.After(vfbin.WaitLimit)
	for {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		select {
		case <-limit:
			t.Fatalf("the emulator did not listen on %s within %v:\n%s", addr, vfbin.WaitLimit, p.Output())
		case <-tick.C:
		}
	}
}

// An invocation is the emulator's answer to an invoke.
type invocation struct {
	status int
	body   string
	took   time.Duration
}

// invoke invokes the function with event and waits for the answer.
func (em *emulator) invoke(t *testing.T, event any) invocation {
	t.Helper()
	data, err := json.Marshal(event)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: vfbin.WaitLimit}
	start := time.Now()
	resp, err := client.Post(em.url, "application/json", bytes.NewReader(data))
	if err != nil {
		t.Fatalf("invoking: %v\nthe emulator's output:\n%s", err, em.proc.Output())
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return invocation{status: resp.StatusCode, body: string(body), took: time.Since(start)}
}

// answer is what test/lambda/runtime answers an event.
type answer struct {
	Env   map[string]string `json:"env"`
	Files map[string]struct {
		Path, Content, Mode, Error string
	} `json:"files"`
	ShmWritable bool `json:"shm_writable"`
}

// event is an event for test/lambda/runtime: the variables to tell, and
// the _FILE variables whose files to read.
type event struct {
	Env   []string `json:"env"`
	Files []string `json:"files"`
}

// decode decodes an answer of the runtime, failing the test, without
// showing the body (it holds values), when the invoke did not succeed.
func (inv invocation) decode(t *testing.T, em *emulator) answer {
	t.Helper()
	var a answer
	if inv.status != http.StatusOK || json.Unmarshal([]byte(inv.body), &a) != nil {
		t.Fatalf("the invoke answered HTTP %d, %d bytes, not the runtime's answer; the log:\n%s", inv.status, len(inv.body), em.proc.Output())
	}
	return a
}

// initError is the body of the answer to an invoke whose init failed,
// as Lambda writes it from the init error the runtime reported.
type initError struct {
	ErrorType    string `json:"errorType"`
	ErrorMessage string `json:"errorMessage"`
}

// failed decodes the answer to an invoke whose init failed, failing the
// test, without showing the body (on a success it holds values), when it
// is not the init error.
func (inv invocation) failed(t *testing.T, em *emulator) initError {
	t.Helper()
	var e initError
	if inv.status != http.StatusBadGateway || json.Unmarshal([]byte(inv.body), &e) != nil || e.ErrorType == "" {
		t.Fatalf("the invoke answered HTTP %d, %d bytes; want 502 with the init error\n%s", inv.status, len(inv.body), em.proc.Log())
	}
	return e
}

// initDuration is the duration of the function's init, as the emulator
// logs it once the runtime has asked for its first event.
func (em *emulator) initDuration(t *testing.T) time.Duration {
	t.Helper()
	m := em.proc.Expect(vfbin.Stderr, `INIT REPORT\(durationMs: ([0-9.]+)\)`)
	ms, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return time.Duration(ms * float64(time.Millisecond))
}

func (e initError) String() string { return fmt.Sprintf("%s: %s", e.ErrorType, e.ErrorMessage) }

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

const serveToken = "serve-token-0d9c7b3a5e1f"

// serving is a running valuefrom serve.
type serving struct {
	cmd    *exec.Cmd
	addr   string
	lines  chan string // stderr, line by line
	mu     sync.Mutex
	stderr strings.Builder
	done   chan struct{} // closed when stderr is drained
}

var listening = regexp.MustCompile(`msg=listening addr=(\S+)`)

// startServe runs valuefrom serve on a free loopback port and waits until
// it says it is listening.
func startServe(t *testing.T, env []string, args ...string) *serving {
	t.Helper()
	vfbin.Need(t)
	s := &serving{lines: make(chan string, 100), done: make(chan struct{})}
	s.cmd = exec.Command(binary, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)...)
	s.cmd.Env = append([]string{"PATH=/usr/bin:/bin"}, env...)
	pipe, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			s.cmd.Process.Kill()
			s.cmd.Wait()
		}
	})
	go func() {
		defer close(s.done)
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			s.mu.Lock()
			s.stderr.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
			select {
			case s.lines <- sc.Text():
			default:
			}
		}
	}()
	line := s.waitFor(t, "msg=listening")
	s.addr = listening.FindStringSubmatch(line)[1]
	return s
}

// waitFor returns the first stderr line from now that contains want.
func (s *serving) waitFor(t *testing.T, want string) string {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case line := <-s.lines:
			if strings.Contains(line, want) {
				return line
			}
		case <-s.done:
			t.Fatalf("valuefrom serve ended without saying %q:\n%s", want, s.log())
		case <-deadline:
			t.Fatalf("valuefrom serve did not say %q in 10s:\n%s", want, s.log())
		}
	}
}

func (s *serving) log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stderr.String()
}

// stop sends SIGTERM and returns the exit code.
func (s *serving) stop(t *testing.T) int {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	<-s.done
	s.cmd.Wait()
	return s.cmd.ProcessState.ExitCode()
}

func (s *serving) get(t *testing.T, path, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+s.addr+path, nil)
	req.Header.Set("X-Aws-Parameters-Secrets-Token", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServeToken(t *testing.T) {
	moto := startMoto(t)
	sm := secretsmanager.NewFromConfig(moto.Config(t, "us-east-1"))
	if _, err := sm.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{Name: aws.String("plain"), SecretString: aws.String(canaryString)}); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte(serveToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  []string
	}{
		{"VALUEFROM_TOKEN", []string{"VALUEFROM_TOKEN=" + serveToken}},
		{"VALUEFROM_TOKEN file://", []string{"VALUEFROM_TOKEN=file://" + file}},
		{"VALUEFROM_TOKEN_FILE", []string{"VALUEFROM_TOKEN_FILE=" + file}},
		{"AWS_TOKEN file://", []string{"AWS_TOKEN=file://" + file}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startServe(t, append(moto.Env(), append(tt.env, "VALUEFROM_LOG_LEVEL=debug")...))
			status, body := s.get(t, "/secretsmanager/get?secretId=plain", serveToken)
			var got struct{ SecretString string }
			json.Unmarshal([]byte(body), &got)
			if status != 200 || got.SecretString != canaryString {
				t.Errorf("with the token: status %d, or the wrong value (not shown)", status)
			}
			if status, body := s.get(t, "/secretsmanager/get?secretId=plain", serveToken+"x"); status != 403 || body != "Bad Token" {
				t.Errorf("with a wrong token: status %d body %q, want 403 Bad Token", status, body)
			}
			if code := s.stop(t); code != 0 {
				t.Errorf("exit code %d after SIGTERM, want 0; stderr:\n%s", code, s.log())
			}
			log := s.log()
			assertNoCanary(t, "stderr", log)
			if strings.Contains(log, serveToken) {
				t.Error("the token leaked into stderr")
			}
			if !strings.Contains(log, "path=/secretsmanager/get id=plain status=200") {
				t.Errorf("no debug line for the request:\n%s", log)
			}
		})
	}
}

// TestServeShutdown checks that on SIGTERM valuefrom serve refuses new
// connections, finishes the request in flight, and exits 0.
func TestServeShutdown(t *testing.T) {
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	backend := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		io.WriteString(w, `{"ARN":"arn:aws:secretsmanager:us-east-1:123456789012:secret:slow-AbCdEf","Name":"slow",`+
			`"VersionId":"v1","SecretString":"slow-value","VersionStages":["AWSCURRENT"],"CreatedDate":1569534789.046}`)
	})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go backend.Serve(l)
	t.Cleanup(func() { backend.Close() })

	s := startServe(t, []string{"AWS_ENDPOINT_URL=http://" + l.Addr().String(), "AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test", "AWS_REGION=us-east-1", "VALUEFROM_TOKEN=" + serveToken})
	type answer struct {
		status int
		body   string
	}
	inflight := make(chan answer, 1)
	go func() {
		req, _ := http.NewRequest("GET", "http://"+s.addr+"/secretsmanager/get?secretId=slow", nil)
		req.Header.Set("X-Aws-Parameters-Secrets-Token", serveToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			inflight <- answer{body: err.Error()}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		inflight <- answer{resp.StatusCode, string(b)}
	}()
	<-arrived // the request is waiting on AWS
	s.cmd.Process.Signal(syscall.SIGTERM)
	s.waitFor(t, "shutting down")
	if c, err := net.Dial("tcp", s.addr); err == nil {
		c.Close()
		t.Error("a new connection was accepted after SIGTERM")
	}
	close(release)
	got := <-inflight
	if got.status != 200 || !strings.Contains(got.body, `"SecretString":"slow-value"`) ||
		!strings.Contains(got.body, `"CreatedDate":"1569534789.046"`) {
		t.Errorf("the request in flight got status %d body %s, want 200 and the secret", got.status, got.body)
	}
	<-s.done
	s.cmd.Wait()
	if code := s.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit code %d, want 0; stderr:\n%s", code, s.log())
	}
}

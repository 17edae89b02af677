package serve

// serve's token, in each of its forms, and its shutdown, through the
// binary (once in cmd/valuefrom).

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"

	"github.com/valuefrom/valuefrom/internal/testkit/forms"
	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/testfs"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

const serveToken = "serve-token-0d9c7b3a5e1f"

// startServe runs valuefrom serve on a free loopback port, with env and
// args, and returns it and its address once it says it is listening.
func startServe(t *testing.T, env []string, args ...string) (*vfbin.Proc, string) {
	t.Helper()
	p := vfbin.Start(t, vfbin.Command(t, env, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)...))
	return p, p.Expect(vfbin.Stderr, `msg=listening addr=(\S+)`)[1]
}

// get asks the server at addr for path with token, and returns the status
// and the body.
func get(t *testing.T, addr, path, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+addr+path, nil)
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
	vfbin.Need(t)
	moto := mototest.Start(t)
	moto.Seeder(t, "us-east-1").Secret("plain", forms.CanaryString)
	file := testfs.WriteFile(t, "token", serveToken+"\n")
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
			p, addr := startServe(t, append(moto.Env(), append(tt.env, "VALUEFROM_LOG_LEVEL=debug")...))
			status, body := get(t, addr, "/secretsmanager/get?secretId=plain", serveToken)
			var got struct{ SecretString string }
			json.Unmarshal([]byte(body), &got)
			if status != 200 || got.SecretString != forms.CanaryString {
				t.Errorf("with the token: status %d, or the wrong value (not shown)", status)
			}
			if status, body := get(t, addr, "/secretsmanager/get?secretId=plain", serveToken+"x"); status != 403 || body != "Bad Token" {
				t.Errorf("with a wrong token: status %d body %q, want 403 Bad Token", status, body)
			}
			p.Signal(syscall.SIGTERM)
			code := p.Wait()
			log := p.Output()
			forms.NoCanary(t, "stderr", log)
			vfbin.NoValue(t, "stderr", log, serveToken)
			if code != 0 {
				t.Errorf("exit code %d after SIGTERM, want 0; stderr:\n%s", code, log)
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

	p, addr := startServe(t, []string{"AWS_ENDPOINT_URL=http://" + l.Addr().String(), "AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test", "AWS_REGION=us-east-1", "VALUEFROM_TOKEN=" + serveToken})
	type answer struct {
		status int
		body   string
	}
	inflight := make(chan answer, 1)
	go func() {
		req, _ := http.NewRequest("GET", "http://"+addr+"/secretsmanager/get?secretId=slow", nil)
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
	p.Signal(syscall.SIGTERM)
	p.Expect(vfbin.Stderr, "shutting down")
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Error("a new connection was accepted after SIGTERM")
	}
	close(release)
	got := <-inflight
	if got.status != 200 || !strings.Contains(got.body, `"SecretString":"slow-value"`) ||
		!strings.Contains(got.body, `"CreatedDate":"1569534789.046"`) {
		t.Errorf("the request in flight got status %d body %s, want 200 and the secret", got.status, got.body)
	}
	if code := p.Wait(); code != 0 {
		t.Errorf("exit code %d, want 0; stderr:\n%s", code, p.Output())
	}
}

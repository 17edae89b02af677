// Package mototest runs moto_server, the AWS emulator, on a free loopback
// port for tests, points the AWS SDK and child processes at it, and seeds
// it: Seeder creates secrets, parameters and KMS keys, and Seed creates
// the Fixture that the suites share.
//
// Under go test -short, the unit lane, every test that starts the
// emulator is skipped. Otherwise, where moto_server is not installed the
// test is skipped, except under CI=true, where a missing emulator fails
// the run: CI must never pass by testing nothing.
package mototest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
)

// Server is a running moto_server.
type Server struct {
	URL string // base URL, http://127.0.0.1:PORT
}

// Start runs moto_server for the duration of the test and waits until it
// answers. It is stopped, by its own PID, when the test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	if testing.Short() {
		tb.Skip("-short: the unit lane does not start moto_server")
	}
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("moto_server not found, and CI=true: the end-to-end tests cannot run")
		}
		tb.Skip("moto_server not found; install moto to run the end-to-end tests")
	}
	port, err := freePort()
	if err != nil {
		tb.Fatalf("finding a free port: %v", err)
	}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	var log strings.Builder
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		tb.Fatalf("starting moto_server: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	tb.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})

	s := &Server{URL: fmt.Sprintf("http://127.0.0.1:%d", port)}
	if err := s.waitReady(exited, 30*time.Second); err != nil {
		tb.Fatalf("moto_server did not become ready: %v\n%s", err, log.String())
	}
	return s
}

// waitReady polls GET /moto-api/ until it answers, the process exits or the
// deadline passes.
func (s *Server) waitReady(exited <-chan struct{}, limit time.Duration) error {
	deadline := time.After(limit)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := http.Get(s.URL + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("moto_server exited")
		case <-deadline:
			return fmt.Errorf("no answer in %v: %v", limit, err)
		case <-tick.C:
		}
	}
}

// Env returns the environment that points the SDK, the aws CLI and child
// processes at the emulator with dummy credentials in us-east-1.
func (s *Server) Env() []string { return EndpointEnv(s.URL) }

// EndpointEnv returns the environment that points the SDK, the aws CLI and
// child processes at the endpoint url, such as a proxy in front of the
// emulator, with dummy credentials in us-east-1.
func EndpointEnv(url string) []string {
	return []string{
		"AWS_ENDPOINT_URL=" + url,
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_REGION=us-east-1",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// Config returns an SDK configuration for the emulator in region.
func (s *Server) Config(tb testing.TB, region string) aws.Config {
	tb.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion(region),
		config.WithBaseEndpoint(s.URL),
		config.WithCredentialsProvider(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test", Source: "mototest"}, nil
		})),
		config.WithEC2IMDSClientEnableState(imds.ClientDisabled),
	)
	if err != nil {
		tb.Fatalf("loading SDK config: %v", err)
	}
	return cfg
}

// Reset wipes all of the emulator's state.
func (s *Server) Reset(tb testing.TB) {
	tb.Helper()
	resp, err := http.Post(s.URL+"/moto-api/reset", "", nil)
	if err != nil {
		tb.Fatalf("resetting moto: %v", err)
	}
	resp.Body.Close()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

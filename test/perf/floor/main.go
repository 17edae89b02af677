// Command floor is the lower bound the startup benchmark holds valuefrom
// to: a program that does the least any tool could do to start a process
// with secrets. It has no AWS SDK and signs nothing; it finds the
// benchmark's references, makes every call at once, each on its own
// connection, sets the answers in the environment and execs the program.
//
//	floor PROGRAM [ARG...]
//
// It understands only the benchmark's short forms, NAME=ssm:PARAMETER and
// NAME=secretsmanager:SECRET, and asks AWS_ENDPOINT_URL. For https it
// trusts the roots of SSL_CERT_FILE, the least work a program can do to
// verify AWS's certificates against the system's roots. Parameters go ten to a GetParameters call, as
// valuefrom batches them; each secret costs a GetSecretValue call, or, with
// FLOOR_SECRET_BATCH=N, secrets go N to a BatchGetSecretValue call. Any
// failure exits 1 without starting the program.
package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: floor PROGRAM [ARG...]")
		os.Exit(2)
	}
	env, err := resolve(os.Environ())
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	path, err := exec.LookPath(os.Args[1])
	if err == nil {
		err = syscall.Exec(path, os.Args[1:], env)
	}
	fmt.Fprintln(os.Stderr, "floor:", err)
	os.Exit(1)
}

// A call is one API call and the variables its answer sets.
type call struct {
	target string
	body   any
	vars   map[string][]string // by parameter or secret name
}

func resolve(environ []string) ([]string, error) {
	params := map[string][]string{}
	secrets := map[string][]string{}
	var env []string
	for _, kv := range environ {
		name, value, _ := strings.Cut(kv, "=")
		if p, ok := strings.CutPrefix(value, "ssm:"); ok {
			params[p] = append(params[p], name)
		} else if s, ok := strings.CutPrefix(value, "secretsmanager:"); ok {
			secrets[s] = append(secrets[s], name)
		} else {
			env = append(env, kv)
		}
	}
	if len(params) == 0 && len(secrets) == 0 {
		return environ, nil
	}
	calls := group(params, 10, "AmazonSSM.GetParameters", func(names []string) any {
		return map[string]any{"Names": names, "WithDecryption": true}
	})
	if batch, _ := strconv.Atoi(os.Getenv("FLOOR_SECRET_BATCH")); batch > 0 {
		calls = append(calls, group(secrets, batch, "secretsmanager.BatchGetSecretValue", func(ids []string) any {
			return map[string]any{"SecretIdList": ids}
		})...)
	} else {
		calls = append(calls, group(secrets, 1, "secretsmanager.GetSecretValue", func(ids []string) any {
			return map[string]any{"SecretId": ids[0]}
		})...)
	}

	client, err := newClient()
	if err != nil {
		return nil, err
	}
	endpoint := os.Getenv("AWS_ENDPOINT_URL")
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for _, c := range calls {
		wg.Go(func() {
			set, err := c.do(client, endpoint)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			}
			env = append(env, set...)
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return nil, errs[0]
	}
	return env, nil
}

// group splits names into calls of at most n.
func group(names map[string][]string, n int, target string, body func([]string) any) []call {
	var calls []call
	var c *call
	var ids []string
	for name, vars := range names {
		if c == nil {
			c = &call{target: target, vars: map[string][]string{}}
		}
		c.vars[name] = vars
		ids = append(ids, name)
		if len(ids) == n {
			c.body = body(ids)
			calls = append(calls, *c)
			c, ids = nil, nil
		}
	}
	if c != nil {
		c.body = body(ids)
		calls = append(calls, *c)
	}
	return calls
}

func newClient() (*http.Client, error) {
	t := &http.Transport{DisableKeepAlives: true}
	if file := os.Getenv("SSL_CERT_FILE"); file != "" {
		pem, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: no certificates", file)
		}
		t.TLSClientConfig = &tls.Config{RootCAs: roots}
	}
	return &http.Client{Transport: t}, nil
}

// answer holds the fields of the three calls' answers that floor reads.
type answer struct {
	Parameters        []struct{ Name, Value string }
	InvalidParameters []string
	Name              string
	SecretString      string
	SecretValues      []struct{ Name, SecretString string }
	Errors            []struct{ SecretId, ErrorCode string }
}

func (c call) do(client *http.Client, endpoint string) ([]string, error) {
	body, err := json.Marshal(c.body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequest("POST", endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", c.target)
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", c.target, resp.Status)
	}
	var a answer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		return nil, err
	}
	if len(a.InvalidParameters) > 0 || len(a.Errors) > 0 {
		return nil, fmt.Errorf("%s: some names were not found", c.target)
	}
	values := map[string]string{}
	for _, p := range a.Parameters {
		values[p.Name] = p.Value
	}
	for _, s := range a.SecretValues {
		values[s.Name] = s.SecretString
	}
	if a.Name != "" {
		values[a.Name] = a.SecretString
	}
	var env []string
	for name, vars := range c.vars {
		v, ok := values[name]
		if !ok {
			return nil, fmt.Errorf("%s: no answer for %s", c.target, name)
		}
		for _, k := range vars {
			env = append(env, k+"="+v)
		}
	}
	return env, nil
}

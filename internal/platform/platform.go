// Package platform knows where valuefrom runs, from the environment it is
// given: on AWS Lambda, or anywhere else (ECS, EKS, EC2, a laptop), for
// which valuefrom's defaults and words were made. Lambda differs in what
// a start must fit into and say: its init phase lasts 10 s, /tmp is the
// one place a function may write, its IAM role is the function's
// execution role, and a start that fails says why through the Runtime
// API, so that the invoke's answer carries the reason and not a bare 502.
//
// Of is the one test for Lambda: the deadline's default (settings), the
// files directory (pipeline), the hints' words (awsapi) and the init
// error report (cmd) all ask it. It is a package of its own, with no AWS
// SDK, so that settings, which must not load the SDK, can ask it too.
package platform

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/valuefrom/valuefrom/internal/envlist"
)

// RuntimeAPIVar names the address, host:port, of Lambda's Runtime API,
// which Lambda and its emulator set for every runtime they start: that it
// is set is what says valuefrom runs on Lambda.
const RuntimeAPIVar = "AWS_LAMBDA_RUNTIME_API"

// A Platform is where valuefrom runs. The zero Platform is anywhere but
// Lambda.
type Platform struct {
	Lambda bool
	// RuntimeAPI is the address of Lambda's Runtime API, host:port; ""
	// off Lambda.
	RuntimeAPI string
}

// Of returns the platform environ, a list of NAME=VALUE entries, says
// valuefrom runs on: Lambda when it sets AWS_LAMBDA_RUNTIME_API to an
// address (the last entry wins, as in os.Getenv), else any other.
func Of(environ []string) Platform {
	api := envlist.Get(environ, RuntimeAPIVar)
	return Platform{Lambda: api != "", RuntimeAPI: api}
}

// InitPhase is how long Lambda gives a function's init phase: from the
// start of its entrypoint, valuefrom, until the runtime asks for its first
// event.
const InitPhase = 10 * time.Second

// reportReserve is the part of InitPhase that a start on Lambda keeps for
// after its deadline: to report the failure on stderr and to the Runtime
// API (ReportTimeout at most), and to exit.
const reportReserve = 2 * time.Second

// ReportTimeout bounds the init error report. The Runtime API listens on
// the function's own loopback and answers within milliseconds; a report
// it does not take in a second is given up, and the exit goes on.
const ReportTimeout = time.Second

// Deadline returns the deadline of a start on p that is given none: def,
// valuefrom's default, but on Lambda no more than InitPhase less the time
// to report a failure, so that the failure is reported, and the invoke
// answered with it, before Lambda gives up on the init.
func (p Platform) Deadline(def time.Duration) time.Duration {
	if !p.Lambda {
		return def
	}
	return min(def, InitPhase-reportReserve)
}

// lambdaFilesBase is where a function may write: the rest of its file
// system is read-only, /dev/shm included where an image has one.
const lambdaFilesBase = "/tmp"

// FilesBase returns the directory under which a start makes the private
// directory for _FILE values when none is given: "" for secretfile's
// choice (/dev/shm, else the system's temporary directory), and on Lambda
// /tmp, the one place a function may write.
func (p Platform) FilesBase() string {
	if !p.Lambda {
		return ""
	}
	return lambdaFilesBase
}

// maxMessage bounds an init error's errorMessage, which a start that
// fails on thousands of references would make long: what is cut is in
// the log.
const maxMessage = 32 << 10

// ReportInitError reports a start that failed to the Runtime API's init
// error endpoint, before any runtime has asked for an event: errorType
// (Lambda asks for CATEGORY.REASON) in the Lambda-Runtime-Function-Error-Type
// header and the body, and message, cut at a line to 32 KiB, as the
// body's errorMessage. Lambda answers the invoke that waited for the init
// with that body. It gives up after ReportTimeout, or when ctx ends; its
// error says what went wrong with the report. Off Lambda it does nothing.
func (p Platform) ReportInitError(ctx context.Context, errorType, message string) error {
	if !p.Lambda {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, ReportTimeout)
	defer cancel()
	body, err := json.Marshal(struct {
		Message    string   `json:"errorMessage"`
		Type       string   `json:"errorType"`
		StackTrace []string `json:"stackTrace"`
	}{cut(message, maxMessage), errorType, []string{}})
	if err != nil {
		return err
	}
	if err := p.post(ctx, "/2018-06-01/runtime/init/error", errorType, body); err != nil {
		return fmt.Errorf("reporting to the Lambda Runtime API at %s (%s): %w", p.RuntimeAPI, RuntimeAPIVar, err)
	}
	return nil
}

// post posts body to path of the Runtime API, with errorType in its
// header, and wants 202 Accepted back.
func (p Platform) post(ctx context.Context, path, errorType string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+p.RuntimeAPI+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Lambda-Runtime-Function-Error-Type", errorType)
	// The Runtime API is on the function's loopback: never through a
	// proxy that HTTP_PROXY names.
	client := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("HTTP %d, not 202", resp.StatusCode)
	}
	return nil
}

// cut returns s if it is at most n bytes long, else as many of its whole
// lines as fit, with a last line that says the rest is in the log.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const more = "(cut: the rest is in the log)"
	end := n - len(more) - 1
	if i := strings.LastIndexByte(s[:end+1], '\n'); i >= 0 {
		end = i
	}
	for end > 0 && !utf8.RuneStart(s[end]) {
		end-- // a line longer than n: cut at a character
	}
	return s[:end] + "\n" + more
}

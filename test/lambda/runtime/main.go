// Command runtime is the least a Lambda custom runtime does, for the
// tests of test/lambda: it speaks the Runtime API at AWS_LAMBDA_RUNTIME_API,
// and answers each event by telling what it was started with.
//
// An event is {"env": [NAME...], "files": [NAME...]}. The answer is
// {"env": {NAME: VALUE}, "files": {NAME: {"path", "content", "mode"}},
// "shm_writable": BOOL}: each variable of env that is set, and for each of
// files the file its variable names, with its content and mode, and
// whether /dev/shm can be written. A file that cannot be read is
// answered with its error instead.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
)

type event struct {
	Env   []string `json:"env"`
	Files []string `json:"files"`
}

type file struct {
	Path    string `json:"path"`
	Content string `json:"content,omitempty"`
	Mode    string `json:"mode,omitempty"`
	Error   string `json:"error,omitempty"`
}

type answer struct {
	Env         map[string]string `json:"env"`
	Files       map[string]file   `json:"files"`
	ShmWritable bool              `json:"shm_writable"`
}

func main() {
	api := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime"
	for {
		resp, err := http.Get(api + "/invocation/next")
		if err != nil {
			fmt.Fprintln(os.Stderr, "runtime:", err)
			os.Exit(1)
		}
		id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
		var ev event
		err = json.NewDecoder(resp.Body).Decode(&ev)
		resp.Body.Close()
		if err != nil {
			fmt.Fprintln(os.Stderr, "runtime: the event:", err)
		}
		body, _ := json.Marshal(respond(ev))
		resp, err = http.Post(api+"/invocation/"+id+"/response", "application/json", bytes.NewReader(body))
		if err != nil {
			fmt.Fprintln(os.Stderr, "runtime:", err)
			os.Exit(1)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

func respond(ev event) answer {
	a := answer{Env: map[string]string{}, Files: map[string]file{}}
	for _, name := range ev.Env {
		if v, ok := os.LookupEnv(name); ok {
			a.Env[name] = v
		}
	}
	for _, name := range ev.Files {
		f := file{Path: os.Getenv(name)}
		data, err := os.ReadFile(f.Path)
		if err != nil {
			f.Error = err.Error()
		} else {
			fi, _ := os.Stat(f.Path)
			f.Content, f.Mode = string(data), fmt.Sprintf("%04o", fi.Mode().Perm())
		}
		a.Files[name] = f
	}
	if f, err := os.CreateTemp("/dev/shm", "runtime-"); err == nil {
		a.ShmWritable = true
		f.Close()
		os.Remove(f.Name())
	}
	return a
}

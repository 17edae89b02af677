package exec_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/valuefrom/valuefrom/exec"
	"github.com/valuefrom/valuefrom/internal/envlist"
)

func ExampleEnvironment() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	environ := []string{"PATH=/usr/bin", "DB_USER=secretsmanager:db:user::", "DB_PASSWORD_FILE=secretsmanager:db:password::", "VALUEFROM_TIMEOUT=30s"}
	vars := []exec.Var{{Name: "DB_USER", Value: []byte("app")}, {Name: "DB_PASSWORD_FILE", Value: []byte("s3cr3t")}}
	isSetting := func(name string) bool { return strings.HasPrefix(name, "VALUEFROM_") }

	env, err := exec.Environment(environ, vars, dir, isSetting)
	if err != nil {
		panic(err)
	}
	for _, kv := range env {
		fmt.Println(strings.Replace(kv, dir, "DIR", 1))
	}
	path := envlist.Get(env, "DB_PASSWORD_FILE")
	fi, _ := os.Stat(path)
	fmt.Println(filepath.Base(path), fi.Mode().Perm())
	// Output:
	// PATH=/usr/bin
	// DB_USER=app
	// DB_PASSWORD_FILE=DIR/DB_PASSWORD
	// DB_PASSWORD -r--------
}

func ExampleExit_ExitCode() {
	fmt.Println(exec.Exit{Code: 3}.ExitCode())
	fmt.Println(exec.Exit{Code: -1, Signal: 15}.ExitCode())
	// Output:
	// 3
	// 143
}

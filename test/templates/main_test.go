// Package templates runs the valuefrom binary with templates (issue 24)
// against moto: at a start (the entrypoint and run), in render, and
// again on rotation in supervise mode and render --watch, with real
// programs reading the rendered files (sh, dash and bash; Python's json,
// PyYAML, urllib and ElementTree), hostile values for each filter, a
// failing template at a start and on rotation, and check. Nothing sleeps
// to wait: each step waits for a line of valuefrom's log or of the
// program's output, or for a process to exit.
//
// Canary values: every secret value holds "canary"; no failure message
// prints one, and neither does valuefrom.
package templates

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

func TestMain(m *testing.M) { vfbin.Main(m, nil) }

// hostile are the values the templates render, each holding what breaks
// a format: quotes and backslashes, line ends, what a shell expands,
// markup and CDATA's end, invisible and bidi characters, a long line.
var hostile = map[string]string{
	"QUOTES":  `canary-q it's "42" \ \\n \" '\''`,
	"LINES":   "canary-l line1\nline2\r\nline3\n\ttabbed\n",
	"DOLLAR":  "canary-d ${HOME} $(touch pwned) `touch pwned` $HOME %s %n",
	"MARKUP":  `canary-m ]]><x a="1">&amp;</x><![CDATA[ <!-- -->`,
	"UNICODE": "canary-u é\u202eevil\u200bü\u2028\ufeff",
	"LONG":    "canary-long " + strings.Repeat("0123456789abcdef", 2048),
	"PADDED":  "  \n canary-trim \t\n",
	"YES":     "yes",
}

// dbPassword is the password key of the JSON secret DB, and blob the
// binary secret behind BLOB_FILE: NUL bytes and bytes that are not UTF-8.
const dbPassword = "canary-p@ss: \"w0rd\" #{x}'$(id)/?&=+ %20"

var blob = []byte("canary-b\x00\xff\xfe\x01binary\n")

// seedHostile creates a secret for each hostile value, the JSON secret
// DB and the binary secret blob, and returns the references to them as
// the environment's variables.
func seedHostile(t *testing.T, moto *mototest.Server) []string {
	t.Helper()
	sd := moto.Seeder(t, "us-east-1")
	var env []string
	for name, v := range hostile {
		sd.Secret("tmpl/"+strings.ToLower(name), v)
		env = append(env, name+"=secretsmanager:tmpl/"+strings.ToLower(name))
	}
	sd.Secret("tmpl/db", `{"username":"app","password":`+jsonString(dbPassword)+`,"port":5432}`)
	sd.BinarySecret("tmpl/blob", blob)
	return append(env, "DB=secretsmanager:tmpl/db", "BLOB_FILE=secretsmanager:tmpl/blob")
}

// jsonString quotes s as a JSON string, for the JSON secrets the tests
// create.
func jsonString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

// copyTemplate copies testdata/name into dir and returns its path there
// with the path of the file it renders to (name without .tmpl), as a
// --template argument.
func copyTemplate(t *testing.T, dir, name string) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return writeTemplate(t, dir, name, string(src))
}

// writeTemplate writes src to dir/name and returns name:DEST, with DEST
// dir/name without its .tmpl.
func writeTemplate(t *testing.T, dir, name, src string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return path + ":" + strings.TrimSuffix(path, ".tmpl")
}

// python returns a python3 that has PyYAML, or skips.
func python(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	if err := exec.Command(path, "-c", "import yaml").Run(); err != nil {
		t.Skipf("%s has no PyYAML: %v", path, err)
	}
	return path
}

// sum is the SHA-256 of s in hex, as sha256sum prints it: what the
// programs say of a file, so that no value is printed.
func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

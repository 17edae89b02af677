package lambda

import (
	"bufio"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/valuefrom/valuefrom/internal/platform"
	"github.com/valuefrom/valuefrom/internal/settings"
	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

const docPage = "../../docs/lambda.md"

// docBlocks returns the fenced blocks of docs/lambda.md that have a name
// after their language ("sh emulator", "json policy"), by the two.
func docBlocks(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(docPage)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	blocks := map[string]string{}
	var info string
	var body strings.Builder
	open := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case !open && strings.HasPrefix(line, "```"):
			open, info = true, strings.TrimPrefix(line, "```")
			body.Reset()
		case open && line == "```":
			open = false
			// Keyed by the language and the name; test/docs reads
			// what follows them (norun REASON).
			if f := strings.Fields(info); len(f) >= 2 {
				blocks[f[0]+" "+f[1]] = body.String()
			}
		case open:
			body.WriteString(line + "\n")
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return blocks
}

// docBlock returns the block of docs/lambda.md whose info string is info.
func docBlock(t *testing.T, info string) string {
	t.Helper()
	b, ok := docBlocks(t)[info]
	if !ok {
		t.Fatalf("%s has no block ```%s", docPage, info)
	}
	return b
}

// command reads a shell block of the page as the tests run it: export
// lines and leading NAME=VALUE words are its environment, the rest (lines
// ended by a backslash joined) one command, split at spaces (the page's
// commands quote nothing). names maps the page's programs to the test's.
func command(t *testing.T, block string, names map[string]string) (env, argv []string) {
	t.Helper()
	for _, line := range strings.Split(strings.ReplaceAll(block, "\\\n", " "), "\n") {
		words := strings.Fields(line)
		if len(words) > 0 && words[0] == "export" {
			env = append(env, words[1:]...)
			continue
		}
		for _, w := range words {
			switch {
			case argv == nil && strings.Contains(w, "=") && !strings.HasPrefix(w, "-"):
				env = append(env, w)
			case names[w] != "":
				argv = append(argv, names[w])
			default:
				argv = append(argv, w)
			}
		}
	}
	if len(argv) == 0 {
		t.Fatalf("no command in the block:\n%s", block)
	}
	return env, argv
}

// requestID is the request id in an error message, which differs on each
// run.
var requestID = regexp.MustCompile(`request id [^)]*`)

// TestDocs runs the shell examples of docs/lambda.md as written against
// moto, and compares what they print with the blocks that follow them.
func TestDocs(t *testing.T) {
	blocks := docBlocks(t)
	lambda := platform.Of([]string{platform.RuntimeAPIVar + "=127.0.0.1:9001"})
	for _, w := range []string{
		"| " + settings.Default("VALUEFROM_TIMEOUT") + " | " + settings.DefaultTimeout(lambda).String() + ": it fits the " +
			strings.TrimSuffix(platform.InitPhase.String(), "s") + " s init phase",
		"under `" + lambda.FilesBase() + "`",
	} {
		if page, _ := os.ReadFile(docPage); !strings.Contains(string(page), w) {
			t.Errorf("%s does not say %q", docPage, w)
		}
	}

	tl := buildTools(t, t.TempDir())
	moto := mototest.Start(t)
	moto.FixRandom(t, 26)
	sd := moto.Seeder(t, "us-east-1")
	sd.Secret("prod/db", dbValue)
	sd.Secret("prod/tls-key", keyValue)
	sd.Parameter("/prod/api-key", ssmtypes.ParameterTypeSecureString, apiValue)
	base := (&lab{tools: tl, moto: moto}).env(t, moto.URL)

	t.Run("policy", func(t *testing.T) {
		env, argv := command(t, blocks["sh policy"], map[string]string{"valuefrom": tl.valuefrom})
		r := vfbin.Run(t, argv[0], append(base, env...), argv[1:]...)
		if r.Code != 0 {
			t.Fatalf("exit %d:\n%s", r.Code, r.Stderr)
		}
		if r.Stdout != blocks["json policy"] {
			t.Errorf("the policy printed:\n%s\nthe page shows:\n%s", r.Stdout, blocks["json policy"])
		}
	})

	t.Run("emulator", func(t *testing.T) {
		port := freePorts(t, 1)[0]
		env, argv := command(t, strings.ReplaceAll(blocks["sh emulator"], "127.0.0.1:9000", "127.0.0.1:"+port),
			map[string]string{"aws-lambda-rie": tl.rie, "/usr/local/bin/valuefrom": tl.valuefrom, "/var/runtime/bootstrap": tl.runtime})
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = append(base, env...)
		em := &emulator{proc: vfbin.Start(t, cmd)}
		waitListening(t, "127.0.0.1:"+port, em.proc)

		invoke := exec.Command("sh", "-c", strings.ReplaceAll(blocks["sh invoke"], "127.0.0.1:9000", "127.0.0.1:"+port))
		out, err := invoke.Output()
		if err != nil {
			t.Fatalf("%s: %v", invoke.Args, err)
		}
		vfbin.NoValue(t, "the invoke's answer", string(out), canary)
		got := requestID.ReplaceAllString(string(out), "request id REQUEST-ID")
		if want := strings.TrimSuffix(blocks["json invoke-failed"], "\n"); got != want {
			t.Errorf("the invoke answered:\n%s\nthe page shows:\n%s", got, want)
		}
		vfbin.NoValue(t, "the emulator's output", em.proc.Output(), canary)
	})
}

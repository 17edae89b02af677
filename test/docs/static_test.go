package docs

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/valuefrom/valuefrom/internal/envfmt"
)

// The kinds of block, by the info string's first word; docs/README.md
// describes each. Every block of a page is one of them, so that no
// example goes untested by accident.
var kinds = map[string]func(t *testing.T, b *block){
	"console":    staticConsole,
	"sh":         staticShell,
	"json":       staticJSON,
	"dockerfile": staticDockerfile,
	"dotenv":     staticDotenv,
	"text":       staticText,
	"python":     staticFileOrNorun,
	"go":         staticFileOrNorun,
}

// pending are pages that other branches are writing: a link to one is
// not broken.
var pending = []string{"docs/lambda.md"}

// TestBlocks checks, without moto or the binary, that every block of
// every page is of a known kind with what that kind needs: JSON that
// parses, Dockerfiles in exec form, a reason for each block not run.
// TestExamples runs the rest.
func TestBlocks(t *testing.T) {
	n := 0
	for _, page := range pages(t) {
		_, blocks := readPage(t, page)
		for _, b := range blocks {
			check, ok := kinds[b.lang]
			if !ok {
				t.Errorf("%s: a block of kind %q, which is none of those docs/README.md lists", b.where(), b.lang)
				continue
			}
			check(t, b)
			n++
		}
	}
	t.Logf("%d blocks", n)
}

// norun reports whether the block is marked as not run, and fails the
// test when the mark gives no reason.
func norun(t *testing.T, b *block) bool {
	if !b.has("norun") {
		return false
	}
	if len(strings.Fields(b.rest("norun"))) < 2 {
		t.Errorf("%s: norun without a reason: say why after it", b.where())
	}
	return true
}

// commands returns the commands of a console block, each with the lines
// of output shown after it. A command continues on the next line when a
// line ends in a backslash.
type command struct {
	line int      // of the page, from 1
	cmd  []string // the command's lines, without "$ "
	out  []string // the output shown
	at   int      // index in the page's lines of the first output line
}

func commands(t *testing.T, b *block) []command {
	var cmds []command
	cont := false
	for i, l := range b.body {
		switch {
		case cont:
			cmds[len(cmds)-1].cmd = append(cmds[len(cmds)-1].cmd, l)
			cmds[len(cmds)-1].at = b.first + i + 1
		case strings.HasPrefix(l, "$ "):
			cmds = append(cmds, command{line: b.first + i + 1, cmd: []string{strings.TrimPrefix(l, "$ ")}, at: b.first + i + 1})
		case len(cmds) == 0:
			t.Errorf("%s: a console block must start with a $ line", b.where())
			return nil
		default:
			cmds[len(cmds)-1].out = append(cmds[len(cmds)-1].out, l)
		}
		cont = (cont || strings.HasPrefix(l, "$ ")) && strings.HasSuffix(l, `\`)
	}
	return cmds
}

func staticConsole(t *testing.T, b *block) {
	cmds := commands(t, b)
	if len(cmds) == 0 {
		t.Errorf("%s: a console block with no command", b.where())
	}
	if norun(t, b) {
		var script strings.Builder
		for _, c := range cmds {
			script.WriteString(strings.Join(c.cmd, "\n") + "\n")
		}
		syntax(t, b, script.String())
	}
}

func staticShell(t *testing.T, b *block) {
	norun(t, b)
	syntax(t, b, b.text())
}

// syntax fails the test when bash cannot parse script.
func syntax(t *testing.T, b *block, script string) {
	cmd := exec.Command("bash", "-n")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("%s: bash -n: %v\n%s", b.where(), err, out)
	}
}

func staticJSON(t *testing.T, b *block) {
	docs := []string{b.text()}
	if b.has("lines") {
		docs = nil
		for _, l := range b.body {
			if strings.TrimSpace(l) != "" {
				docs = append(docs, l)
			}
		}
	}
	for _, d := range docs {
		if !json.Valid([]byte(d)) {
			t.Errorf("%s: not valid JSON:\n%s", b.where(), d)
		}
	}
	if b.has("iam") {
		var policy struct {
			Version   string
			Statement []struct {
				Sid, Effect      string
				Action, Resource any
			}
		}
		if err := json.Unmarshal([]byte(b.text()), &policy); err != nil {
			t.Errorf("%s: an IAM policy: %v", b.where(), err)
		} else if policy.Version != "2012-10-17" || len(policy.Statement) == 0 {
			t.Errorf("%s: an IAM policy needs Version 2012-10-17 and statements", b.where())
		}
		for i, s := range policy.Statement {
			if s.Effect != "Allow" || s.Action == nil || s.Resource == nil {
				t.Errorf("%s: statement %d needs Effect Allow, an Action and a Resource", b.where(), i)
			}
		}
	}
	if _, ok := b.attr("container"); ok && !b.has("taskdef") {
		t.Errorf("%s: container= is for a taskdef block", b.where())
	}
}

// dockerInstructions are the instructions of a Dockerfile.
var dockerInstructions = []string{"FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"}

// staticDockerfile checks the Dockerfiles the pages show, which cannot
// be built here (no registry): each instruction is one, ENTRYPOINT and
// CMD are in exec form (the shell form puts a shell, which does not pass
// SIGTERM on, in front of the program), and an ENTRYPOINT that runs
// valuefrom is the image's own, as Dockerfile.local sets it.
func staticDockerfile(t *testing.T, b *block) {
	image := dockerfileEntrypoint(t, filepath.Join(root, "Dockerfile.local"))
	for _, ins := range dockerfileInstructions(b.body) {
		word, args, _ := strings.Cut(ins, " ")
		if !slices.Contains(dockerInstructions, word) {
			t.Errorf("%s: %q is no Dockerfile instruction", b.where(), word)
			continue
		}
		if word != "ENTRYPOINT" && word != "CMD" {
			continue
		}
		var argv []string
		if err := json.Unmarshal([]byte(args), &argv); err != nil {
			t.Errorf("%s: %s %s is not in exec form (a JSON array)", b.where(), word, args)
			continue
		}
		// An entrypoint may put a program after valuefrom's own, as a
		// Lambda image's does (valuefrom -- /lambda-entrypoint.sh).
		if word == "ENTRYPOINT" && strings.Contains(args, "valuefrom") && !slices.Equal(argv[:min(len(argv), len(image))], image) {
			t.Errorf("%s: ENTRYPOINT %q, but the image's is %q (Dockerfile.local)", b.where(), argv, image)
		}
	}
}

// dockerfileInstructions joins continued lines and drops comments.
func dockerfileInstructions(lines []string) []string {
	var out []string
	cur := ""
	for _, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "#") || strings.TrimSpace(l) == "" {
			continue
		}
		if s, ok := strings.CutSuffix(l, `\`); ok {
			cur += s
			continue
		}
		out = append(out, strings.TrimSpace(cur+l))
		cur = ""
	}
	return out
}

func dockerfileEntrypoint(t *testing.T, path string) []string {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, ins := range dockerfileInstructions(strings.Split(string(data), "\n")) {
		if args, ok := strings.CutPrefix(ins, "ENTRYPOINT "); ok {
			var argv []string
			if err := json.Unmarshal([]byte(args), &argv); err != nil {
				t.Fatalf("%s: ENTRYPOINT: %v", path, err)
			}
			return argv
		}
	}
	t.Fatalf("%s has no ENTRYPOINT", path)
	return nil
}

// staticDotenv parses the block as valuefrom --env-file reads a file.
func staticDotenv(t *testing.T, b *block) {
	norun(t, b)
	if _, err := envfmt.ParseDotenv(strings.NewReader(b.text()), b.where()); err != nil {
		t.Errorf("%s: %v", b.where(), err)
	}
}

// staticText: a text block is the output of a command, generated (and
// TestExamples compares it), or marked norun.
func staticText(t *testing.T, b *block) {
	if b.has("generated") {
		if b.rest("generated") == "" {
			t.Errorf("%s: generated names no command", b.where())
		}
		return
	}
	if !norun(t, b) {
		t.Errorf("%s: a text block must be generated COMMAND or norun REASON", b.where())
	}
}

func staticFileOrNorun(t *testing.T, b *block) {
	if _, ok := b.attr("file"); !ok && !norun(t, b) {
		t.Errorf("%s: a %s block must be file=NAME (an example runs it) or norun REASON", b.where(), b.lang)
	}
}

var link = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// TestLinks: every relative link of README.md and docs/ leads to a file
// that exists and, with a #fragment, to a heading of it; docs/README.md,
// the index, and README.md link every page.
func TestLinks(t *testing.T) {
	all := append(pages(t), filepath.Join(root, "docs", "templates.md"))
	for _, page := range all {
		lines, _ := readPage(t, page)
		inFence := false
		for i, l := range lines {
			if strings.HasPrefix(strings.TrimSpace(l), "```") {
				inFence = !inFence
			}
			if inFence {
				continue
			}
			for _, m := range link.FindAllStringSubmatch(l, -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				path, frag, _ := strings.Cut(target, "#")
				file := page
				if path != "" {
					file = filepath.Join(filepath.Dir(page), path)
				}
				if _, err := os.Stat(file); err != nil {
					if !slices.Contains(pending, rel(file)) {
						t.Errorf("%s:%d: link to %s: no such file", rel(page), i+1, target)
					}
					continue
				}
				if frag != "" && !slices.Contains(anchors(t, file), frag) {
					t.Errorf("%s:%d: link to %s: %s has no heading #%s", rel(page), i+1, target, rel(file), frag)
				}
			}
		}
	}
	for _, index := range []string{filepath.Join(root, "docs", "README.md"), filepath.Join(root, "README.md")} {
		data, err := os.ReadFile(index)
		if err != nil {
			t.Fatal(err)
		}
		for _, page := range append(all[1:], pending...) {
			name := filepath.Base(page)
			if filepath.Base(index) == name && filepath.Dir(index) == filepath.Dir(page) {
				continue
			}
			want := "(" + name + ")"
			if filepath.Dir(index) == root {
				want = "(docs/" + name + ")"
			}
			if !strings.Contains(string(data), want) {
				t.Errorf("%s does not link %s", rel(index), rel(page))
			}
		}
	}
}

// anchors returns the anchors GitHub makes of a page's headings.
func anchors(t *testing.T, page string) []string {
	lines, _ := readPage(t, page)
	var out []string
	seen := map[string]int{}
	inFence := false
	for _, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			inFence = !inFence
		}
		if inFence || !strings.HasPrefix(l, "#") {
			continue
		}
		title := strings.TrimSpace(strings.TrimLeft(l, "#"))
		slug := slugify(title)
		if n := seen[slug]; n > 0 {
			out = append(out, slug+"-"+string(rune('0'+n)))
		} else {
			out = append(out, slug)
		}
		seen[slug]++
	}
	return out
}

// slugify is GitHub's heading anchor: lower case, spaces to hyphens,
// punctuation but hyphens and underscores dropped.
func slugify(title string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(title) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

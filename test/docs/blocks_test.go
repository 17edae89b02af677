package docs

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The pages whose examples this package tests: README.md and every page
// of docs/ but templates.md, whose examples internal/template's
// TestDocExamples renders.
func pages(t *testing.T) []string {
	t.Helper()
	found, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	out := []string{filepath.Join(root, "README.md")}
	for _, p := range found {
		if filepath.Base(p) != "templates.md" {
			out = append(out, p)
		}
	}
	if len(out) < 15 {
		t.Fatalf("found %d pages; docs/ has more", len(out))
	}
	return out
}

// root is the repository's root, from this package's directory.
const root = "../.."

// A block is a fenced code block of a page.
type block struct {
	page   string   // path of the page
	line   int      // of the opening fence, from 1
	indent string   // of the fences, stripped from the body's lines
	lang   string   // the info string's first word
	words  []string // the rest of the info string
	body   []string // lines, indent stripped
	first  int      // index in the page's lines of the body's first line
}

// where names the block in a failure message.
func (b *block) where() string { return fmt.Sprintf("%s:%d", rel(b.page), b.line) }

func rel(page string) string {
	r, err := filepath.Rel(root, page)
	if err != nil {
		return page
	}
	return r
}

// has reports whether the info string has the word w.
func (b *block) has(w string) bool { return slices.Contains(b.words, w) }

// attr returns the value of the word name=VALUE of the info string.
func (b *block) attr(name string) (string, bool) {
	for _, w := range b.words {
		if v, ok := strings.CutPrefix(w, name+"="); ok {
			return v, true
		}
	}
	return "", false
}

// rest returns what follows the word w in the info string, such as the
// reason after norun or the command after generated.
func (b *block) rest(w string) string {
	i := slices.Index(b.words, w)
	if i < 0 {
		return ""
	}
	return strings.Join(b.words[i+1:], " ")
}

// text is the block's body as one string, with a final newline.
func (b *block) text() string {
	if len(b.body) == 0 {
		return ""
	}
	return strings.Join(b.body, "\n") + "\n"
}

// readPage returns a page's lines and its fenced blocks.
func readPage(t *testing.T, page string) ([]string, []*block) {
	t.Helper()
	data, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	var blocks []*block
	var cur *block
	for i, line := range lines {
		trimmed := strings.TrimLeft(line, " ")
		indent := line[:len(line)-len(trimmed)]
		switch {
		case cur == nil && strings.HasPrefix(trimmed, "```"):
			info := strings.Fields(strings.TrimPrefix(trimmed, "```"))
			cur = &block{page: page, line: i + 1, indent: indent, first: i + 1}
			if len(info) > 0 {
				cur.lang, cur.words = info[0], info[1:]
			}
		case cur != nil && trimmed == "```" && indent == cur.indent:
			blocks = append(blocks, cur)
			cur = nil
		case cur != nil:
			cur.body = append(cur.body, strings.TrimPrefix(line, cur.indent))
		}
	}
	if cur != nil {
		t.Errorf("%s: a fence that is never closed", cur.where())
	}
	return lines, blocks
}

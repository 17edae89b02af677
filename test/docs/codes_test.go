package docs

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestErrorCodes: docs/logs-and-errors.md has a row for each error code of
// valuefrom's own, every string constant named Code... of internal/awsapi,
// read from the source so that a new code cannot go undocumented.
func TestErrorCodes(t *testing.T) {
	page := filepath.Join(root, "docs", "logs-and-errors.md")
	doc, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(root, "internal", "awsapi", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(node ast.Node) bool {
			spec, ok := node.(*ast.ValueSpec)
			if !ok {
				return true
			}
			for i, name := range spec.Names {
				if !strings.HasPrefix(name.Name, "Code") || i >= len(spec.Values) {
					continue
				}
				lit, ok := spec.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					continue
				}
				code, _ := strconv.Unquote(lit.Value)
				n++
				if !strings.Contains(string(doc), "| `"+code+"` |") {
					t.Errorf("%s has no row for the error code %s (awsapi.%s)", rel(page), code, name.Name)
				}
			}
			return true
		})
	}
	if n < 10 {
		t.Errorf("found %d codes in internal/awsapi; it has more", n)
	}
}

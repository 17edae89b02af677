package docs

import (
	"path/filepath"
	"strings"
	"testing"
)

// fixtureHeading is the heading of docs/README.md under which the table of
// the examples' fixture stands: the page is its one definition.
const fixtureHeading = "## The fixture"

// A fixtureRow is a secret or a parameter that every page's examples find
// in moto.
type fixtureRow struct {
	name, kind, value string
}

// readFixture reads the fixture's table from docs/README.md: one row per
// secret or parameter, | `NAME` | KIND | `VALUE` |, KIND secret, String,
// StringList or SecureString.
func readFixture(t *testing.T) []fixtureRow {
	t.Helper()
	lines, _ := readPage(t, filepath.Join(root, "docs", "README.md"))
	var rows []fixtureRow
	in := false
	for i, l := range lines {
		switch {
		case l == fixtureHeading:
			in = true
		case in && strings.HasPrefix(l, "#"):
			in = false
		case in && strings.HasPrefix(l, "| `"):
			cells := strings.Split(strings.Trim(l, "|"), " | ")
			if len(cells) != 3 {
				t.Fatalf("docs/README.md:%d: a fixture row has 3 cells: | `NAME` | KIND | `VALUE` |", i+1)
			}
			row := fixtureRow{unquote(cells[0]), strings.TrimSpace(cells[1]), unquote(cells[2])}
			switch row.kind {
			case "secret", "String", "StringList", "SecureString":
			default:
				t.Fatalf("docs/README.md:%d: kind %q: secret, String, StringList or SecureString", i+1, row.kind)
			}
			rows = append(rows, row)
		}
	}
	if len(rows) == 0 {
		t.Fatalf("docs/README.md has no fixture table under %q", fixtureHeading)
	}
	return rows
}

func unquote(cell string) string {
	return strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(cell), "`"), "`")
}

// TestFixtureEndpoints: docs/README.md names every address the examples
// may use and says what the test puts there.
func TestFixtureEndpoints(t *testing.T) {
	readFixture(t)
	lines, _ := readPage(t, filepath.Join(root, "docs", "README.md"))
	text := strings.Join(lines, "\n")
	for addr := range endpoints {
		if !strings.Contains(text, "`"+addr+"`") {
			t.Errorf("docs/README.md does not say what answers at %s", addr)
		}
	}
	if !strings.Contains(text, "`"+motoAddr+"`") {
		t.Errorf("docs/README.md does not say that moto answers at %s", motoAddr)
	}
}

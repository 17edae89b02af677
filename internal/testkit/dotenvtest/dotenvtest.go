// Package dotenvtest parses the dotenv form that envfmt writes, exactly as
// envfmt's package comment documents it, rejecting anything else, so that
// tests can check that form end to end.
package dotenvtest

import (
	"errors"
	"fmt"
	"strings"

	"github.com/valuefrom/valuefrom/internal/envfmt"
)

// Parse reads lines of NAME="VALUE" with the escapes \\ \" \$ \` \n \r,
// and rejects a " $ ` or carriage return that is not escaped.
func Parse(data string) (map[string]string, error) {
	m := map[string]string{}
	if data == "" {
		return m, nil
	}
	if !strings.HasSuffix(data, "\n") {
		return nil, errors.New("no final newline")
	}
	for i, line := range strings.Split(strings.TrimSuffix(data, "\n"), "\n") {
		name, rest, ok := strings.Cut(line, "=")
		if !ok || !envfmt.IsIdentifier(name) || len(rest) < 2 || rest[0] != '"' || rest[len(rest)-1] != '"' {
			return nil, fmt.Errorf("line %d: not NAME=\"VALUE\"", i+1)
		}
		body := rest[1 : len(rest)-1]
		var b strings.Builder
		for j := 0; j < len(body); j++ {
			c := body[j]
			switch {
			case c == '"' || c == '$' || c == '`' || c == '\r':
				return nil, fmt.Errorf("line %d: unescaped %q", i+1, c)
			case c != '\\':
				b.WriteByte(c)
				continue
			}
			j++
			if j == len(body) {
				return nil, fmt.Errorf("line %d: backslash at the end", i+1)
			}
			switch body[j] {
			case '\\', '"', '$', '`':
				b.WriteByte(body[j])
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			default:
				return nil, fmt.Errorf("line %d: unknown escape \\%c", i+1, body[j])
			}
		}
		if _, dup := m[name]; dup {
			return nil, fmt.Errorf("line %d: %s set twice", i+1, name)
		}
		m[name] = b.String()
	}
	return m, nil
}

package server

import (
	"github.com/valuefrom/valuefrom/internal/readfile"
	"github.com/valuefrom/valuefrom/resolver/reference"

	"context"
	"errors"
	"fmt"
	"strings"
)

// ErrNoToken says no token was configured: the server refuses to start
// rather than answer anyone who can reach its port.
var ErrNoToken = errors.New("no token: set VALUEFROM_TOKEN or VALUEFROM_TOKEN_FILE " +
	"(or AWS_TOKEN, as the Secrets Manager Agent reads it) to a random string the task's containers share")

// LoadToken returns the token clients must send, read once at start-up
// from the first source that is set: value (VALUEFROM_TOKEN), file
// (VALUEFROM_TOKEN_FILE), then awsToken (AWS_TOKEN). A value that starts
// with file:// names a file to read instead, as the Secrets Manager
// Agent's AWS_TOKEN does. A file's content is trimmed of surrounding white
// space. Errors name the variable and the file, never the token.
func LoadToken(value, file, awsToken string) (string, error) {
	name, v := "VALUEFROM_TOKEN", value
	switch {
	case value != "":
	case file != "":
		name, v = "VALUEFROM_TOKEN_FILE", "file://"+file
	case awsToken != "":
		name, v = "AWS_TOKEN", awsToken
	default:
		return "", ErrNoToken
	}
	if path, ok := strings.CutPrefix(v, "file://"); ok {
		b, err := readfile.Read(context.Background(), path, 64<<10) // a Secrets Manager value's limit; see pipeline.Serve for the context
		if err != nil {
			return "", fmt.Errorf("%s: reading the token file: %w", name, err)
		}
		v = strings.TrimSpace(string(b))
		if v == "" {
			return "", fmt.Errorf("%s: the token file %s is empty", name, path)
		}
	}
	// A reference is public: anyone who can read the task definition
	// could present it. valuefrom does not resolve its own settings.
	if reference.Is(v) {
		return "", fmt.Errorf("%s holds a reference, not a token: give the token itself, through ECS secrets or a file", name)
	}
	return v, nil
}

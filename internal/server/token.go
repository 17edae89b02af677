package server

import (
	"github.com/valuefrom/valuefrom/internal/readfile"
	"github.com/valuefrom/valuefrom/internal/settings"
	"github.com/valuefrom/valuefrom/resolver/reference"

	"context"
	"errors"
	"fmt"
	"strings"
)

// MinTokenLen is the shortest token LoadToken accepts, in bytes: 16 random
// bytes' worth of characters is the least that cannot be guessed by a
// client that can reach the port (128 bits if each is a random byte, and
// still out of reach of an online guesser as hex or base64).
const MinTokenLen = 16

// ErrNoToken says no token was configured: the server refuses to start
// rather than answer anyone who can reach its port.
var ErrNoToken = errors.New("no token: set VALUEFROM_TOKEN or VALUEFROM_TOKEN_FILE " +
	"(or AWS_TOKEN, as the Secrets Manager Agent reads it) to a random string the task's containers share")

// LoadToken returns the token clients must send, read once at start-up
// from the first source that is set: value (VALUEFROM_TOKEN), file
// (VALUEFROM_TOKEN_FILE), then awsToken (AWS_TOKEN). A value that starts
// with file:// names a file to read instead, as the Secrets Manager
// Agent's AWS_TOKEN does; reading it (it may be a FIFO) is given up when
// ctx ends.
//
// Every source is trimmed of surrounding white space, the same way: an
// HTTP server drops the white space around a header's value, so a token
// that kept it could never match, and a trailing newline is what echo and
// most editors leave. What is left must be at least MinTokenLen bytes and
// hold no control character (a header carries printable characters).
// Errors name the variable and the file, never the token.
func LoadToken(ctx context.Context, value, file, awsToken string) (string, error) {
	name, v := settings.VarOf("Token"), value
	switch {
	case value != "":
	case file != "":
		name, v = settings.VarOf("TokenFile"), "file://"+file
	case awsToken != "":
		name, v = "AWS_TOKEN", awsToken
	default:
		return "", ErrNoToken
	}
	from := name
	if path, ok := strings.CutPrefix(strings.TrimSpace(v), "file://"); ok {
		b, err := readfile.Read(ctx, path, 64<<10) // a Secrets Manager value's limit
		if err != nil {
			return "", fmt.Errorf("%s: reading the token file: %w", name, err)
		}
		v = string(b)
		from = fmt.Sprintf("%s: the token file %s", name, path)
		if strings.TrimSpace(v) == "" {
			return "", fmt.Errorf("%s is empty", from)
		}
	}
	v = strings.TrimSpace(v)
	// A reference is public: anyone who can read the task definition
	// could present it. valuefrom does not resolve its own settings.
	if reference.Is(v) {
		return "", fmt.Errorf("%s holds a reference, not a token: give the token itself, through ECS secrets or a file", name)
	}
	if strings.ContainsFunc(v, isControl) {
		return "", fmt.Errorf("%s holds a control character inside the token: a token is printable characters, "+
			"as clients send it in a header", from)
	}
	if len(v) < MinTokenLen {
		return "", fmt.Errorf("%s holds a token shorter than %d bytes after trimming white space: "+
			"give at least %d random characters", from, MinTokenLen, MinTokenLen)
	}
	return v, nil
}

// isControl reports whether r is an ASCII or C1 control character.
func isControl(r rune) bool {
	return r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f
}

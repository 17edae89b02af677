package resolver

import (
	"github.com/valuefrom/valuefrom/internal/awsapi"
	"github.com/valuefrom/valuefrom/resolver/reference"

	"bytes"
	"encoding/json"
	"fmt"
)

// Render turns a fetched secret into the request's value: the whole value,
// or the JSON key the reference selects; a value with NUL bytes is refused
// unless it goes to a file (req.ToFile), as no environment variable can
// hold one. It is the one place these checks are made: valuefrom check
// applies it to what it reads, so that check fails what a start would.
// Its errors never quote the value: the JSON decoder's messages can hold
// a piece of it.
func Render(req reference.Request, s Secret) ([]byte, *Error) {
	v, err := value(req, s)
	if err == nil && !req.ToFile && bytes.IndexByte(v, 0) >= 0 {
		return nil, &Error{Code: awsapi.CodeBinary, Err: fmt.Errorf("the value holds NUL bytes, which an environment variable cannot")}
	}
	return v, err
}

// value is the whole value, or the JSON key the reference selects.
func value(req reference.Request, s Secret) ([]byte, *Error) {
	if req.Ref.JSONKey == "" {
		if s.String != nil {
			return []byte(*s.String), nil
		}
		return s.Binary, nil
	}
	if s.String == nil {
		return nil, &Error{Code: awsapi.CodeNotJSONObject, Err: fmt.Errorf("cannot select JSON key %q of a binary secret", req.Ref.JSONKey)}
	}
	v, err := JSONField([]byte(*s.String), req.Ref.JSONKey)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// JSONField returns the value of a top-level key of a JSON object, as an
// environment variable holds it: a string as its text; a number exactly as
// written (1000000 stays 1000000); true or false; null as empty; an object
// or array as compact JSON.
func JSONField(doc []byte, key string) ([]byte, *Error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(doc, &obj); err != nil || obj == nil {
		return nil, &Error{Code: awsapi.CodeNotJSONObject, Err: fmt.Errorf("cannot select JSON key %q: the value is not a JSON object", key)}
	}
	raw, ok := obj[key]
	if !ok {
		return nil, &Error{Code: awsapi.CodeJSONKey, Err: fmt.Errorf("JSON key %q is not in the secret", key)}
	}
	return jsonValue(key, raw)
}

// jsonValue renders the value raw of the JSON key key as JSONField does.
func jsonValue(key string, raw json.RawMessage) ([]byte, *Error) {
	raw = bytes.TrimSpace(raw)
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, &Error{Code: awsapi.CodeNotJSONObject, Err: fmt.Errorf("JSON key %q holds a string that does not decode", key)}
		}
		return []byte(s), nil
	case 'n':
		return []byte{}, nil
	case '{', '[':
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err != nil {
			return nil, &Error{Code: awsapi.CodeNotJSONObject, Err: fmt.Errorf("JSON key %q holds a value that does not compact", key)}
		}
		return b.Bytes(), nil
	}
	return raw, nil // a number or a boolean, as written
}

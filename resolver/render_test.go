package resolver

import (
	"github.com/valuefrom/valuefrom/internal/awsapi"
	"github.com/valuefrom/valuefrom/resolver/reference"

	"errors"
	"strings"
	"testing"
)

func TestJSONField(t *testing.T) {
	doc := `{"s":"p@ss=w:rd\n","num":1000000,"float":1.50,"exp":1e+06,"big":123456789012345678901234567890,
		"t":true,"f":false,"null":null,"obj":{ "a" : [1, 2 ,"x"] },"arr":[ ],"uni":"h\u00e9llo ☃","Case":"upper"}`
	tests := []struct{ key, want string }{
		{"s", "p@ss=w:rd\n"},
		{"num", "1000000"},
		{"float", "1.50"},
		{"exp", "1e+06"},
		{"big", "123456789012345678901234567890"},
		{"t", "true"},
		{"f", "false"},
		{"null", ""},
		{"obj", `{"a":[1,2,"x"]}`},
		{"arr", `[]`},
		{"uni", "héllo ☃"},
		{"Case", "upper"},
	}
	for _, tt := range tests {
		got, err := JSONField([]byte(doc), tt.key)
		if err != nil {
			t.Errorf("JSONField(%q): %v", tt.key, err)
			continue
		}
		if string(got) != tt.want {
			t.Errorf("JSONField(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}

func TestJSONFieldErrors(t *testing.T) {
	const canary = "canary-4c1d"
	tests := []struct{ name, doc, key, code string }{
		{"missing key", `{"a":"` + canary + `"}`, "b", awsapi.CodeJSONKey},
		{"key is case-sensitive", `{"user":"` + canary + `"}`, "User", awsapi.CodeJSONKey},
		{"not JSON", canary + `{`, "a", awsapi.CodeNotJSONObject},
		{"array", `["` + canary + `"]`, "a", awsapi.CodeNotJSONObject},
		{"string", `"` + canary + `"`, "a", awsapi.CodeNotJSONObject},
		{"null document", `null`, "a", awsapi.CodeNotJSONObject},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := JSONField([]byte(tt.doc), tt.key)
			if err == nil {
				t.Fatal("no error")
			}
			if err.Code != tt.code {
				t.Errorf("code = %q, want %q", err.Code, tt.code)
			}
			if strings.Contains(err.Error(), canary) {
				t.Error("error message leaks the secret value")
			}
			if !strings.Contains(err.Error(), tt.key) {
				t.Errorf("error %q does not name the key %q", err.Error(), tt.key)
			}
		})
	}
}

func TestRenderBinary(t *testing.T) {
	ref, _ := reference.Parse("secretsmanager:bin")
	keyed, _ := reference.Parse("secretsmanager:bin:k::")
	tests := []struct {
		name   string
		req    reference.Request
		binary []byte
		want   string
		code   string
	}{
		{"bytes without NUL", reference.Request{Var: "B", Ref: ref}, []byte{0xff, 'a', '\n'}, "\xffa\n", ""},
		{"NUL to env", reference.Request{Var: "B", Ref: ref}, []byte{'a', 0, 'b'}, "", awsapi.CodeBinary},
		{"NUL to file", reference.Request{Var: "B_FILE", Ref: ref, ToFile: true}, []byte{'a', 0, 'b'}, "a\x00b", ""},
		{"JSON key of binary", reference.Request{Var: "B", Ref: keyed}, []byte(`{"k":1}`), "", awsapi.CodeNotJSONObject},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Render(tt.req, Secret{Binary: tt.binary})
			if tt.code != "" {
				if err == nil || err.Code != tt.code {
					t.Fatalf("render error = %v, want code %s", err, tt.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("render = %q, want %q", got, tt.want)
			}
		})
	}
	nul := "a\x00b"
	if _, err := Render(reference.Request{Var: "S", Ref: ref}, Secret{String: &nul}); err == nil || err.Code != awsapi.CodeBinary {
		t.Errorf("a string with a NUL byte for the environment: error %v, want %s", err, awsapi.CodeBinary)
	}
	if v, err := Render(reference.Request{Var: "S_FILE", Ref: ref, ToFile: true}, Secret{String: &nul}); err != nil || string(v) != nul {
		t.Errorf("a string with a NUL byte for a file: %v", err)
	}
	var e *Error = &Error{Err: errors.New("x")}
	if !errors.Is(e, e.Err) {
		t.Error("Error does not unwrap")
	}
}

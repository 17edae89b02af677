package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPartitionsAreCurrent regenerates partitions.go from the SDK that
// go.mod requires and compares: an SDK upgrade that adds or changes a
// partition fails here until go generate ./resolver/reference is run.
func TestPartitionsAreCurrent(t *testing.T) {
	want, err := generateCurrent()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join("..", "..", "partitions.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("resolver/reference/partitions.go differs from the SDK's partitions.json: run go generate ./resolver/reference")
	}
}

func TestGenerate(t *testing.T) {
	src, err := generate([]byte(`{"partitions":[{"id":"aws-x","regionRegex":"^x\\-\\w+\\-\\d+$","regions":{"x-b-1":{},"x-a-1":{}},"outputs":{"dnsSuffix":"x.example"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`ID:            "aws-x"`, `RegionPattern: "^x\\-\\w+\\-\\d+$"`, `DNSSuffix:     "x.example"`, "\"x-a-1\",\n\t\t\t\"x-b-1\","} {
		if !strings.Contains(string(src), want) {
			t.Errorf("generated source lacks %q:\n%s", want, src)
		}
	}
	for _, bad := range []string{`{}`, `{"partitions":[{"id":"aws"}]}`, `not json`} {
		if _, err := generate([]byte(bad)); err == nil {
			t.Errorf("generate(%s) succeeded, want an error", bad)
		}
	}
}

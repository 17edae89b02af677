package template

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/valuefrom/valuefrom/internal/envfmt"
)

// seeds are the fuzz targets' seed corpus: the templates under testdata
// (the shapes of real config files) and small cases at the edges of the
// grammar.
func seeds(tb testing.TB) [][]byte {
	srcs := [][]byte{
		nil, []byte("{{"), []byte("}}"), []byte("{{}}"), []byte("{{ X"), []byte("{{ X }"), []byte("{ {X} }"),
		[]byte(`{{"{{"}}`), []byte(`{{ "}}" }}`), []byte(`{{ "a\"b\\" | json }}`), []byte(`{{ "\n" }}`),
		[]byte("{{ X.k }}"), []byte(`{{ X["a.b"] | yaml }}`), []byte("{{ X.a.b }}"), []byte("{{X|trim|json|base64}}"),
		[]byte("{{ X | nope }}"), []byte("{{ 1X }}"), []byte("é\n{{ \xff }}"), []byte("{{\n\tX\r\n|\tshell\n}}"),
	}
	files, err := filepath.Glob("testdata/*.tmpl")
	if err != nil || len(files) == 0 {
		tb.Fatalf("no seed templates in testdata: %v", err)
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		srcs = append(srcs, src)
	}
	return srcs
}

// FuzzParse checks that Parse never panics, that its errors are *Errors
// at a place in the template, that a template without {{ renders as
// itself, and that Names are distinct variable names, sorted.
func FuzzParse(f *testing.F) {
	for _, src := range seeds(f) {
		f.Add(src)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		tmpl, err := Parse("f", src)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Op != "parse" || e.Template != "f" {
				t.Fatalf("Parse error %v is not a parse *Error of template f", err)
			}
			if lines := bytes.Count(src, []byte("\n")) + 1; e.Pos.Line < 1 || e.Pos.Line > lines || e.Pos.Column < 1 {
				t.Fatalf("error at %d:%d, outside a template of %d lines", e.Pos.Line, e.Pos.Column, lines)
			}
			if !bytes.Contains(src, []byte("{{")) {
				t.Fatalf("Parse of text with no {{ failed: %v", err)
			}
			return
		}
		names := tmpl.Names()
		if !slices.IsSorted(names) || len(slices.Compact(slices.Clone(names))) != len(names) {
			t.Fatalf("Names = %q: not sorted, or a name twice", names)
		}
		for _, n := range names {
			if !envfmt.IsIdentifier(n) {
				t.Fatalf("Names holds %q, not a variable name", n)
			}
		}
		if !bytes.Contains(src, []byte("{{")) {
			out, err := tmpl.Render(func(string) ([]byte, bool) { return nil, false })
			if err != nil || !bytes.Equal(out, src) {
				t.Fatalf("a template with no actions rendered as %q, %v; want itself", out, err)
			}
		}
	})
}

// FuzzRender renders any template that parses with every variable set to
// value, and checks that no error holds the value, that Render gives
// output or errors but not both, that an error joins render *Errors, and
// that rendering is repeatable.
func FuzzRender(f *testing.F) {
	for _, src := range seeds(f) {
		for _, v := range []string{"s3cr3t-value", `{"k":"s3cr3t-value","a.b":"x"}`, "bad\xff\x00utf8", "  padded\n"} {
			f.Add(src, []byte(v))
		}
	}
	f.Fuzz(func(t *testing.T, src, value []byte) {
		tmpl, err := Parse("f", src)
		if err != nil {
			return
		}
		// A value starting with \x01 cannot come from the template: errors
		// quote what they show of it, so a raw \x01 is never in one.
		marked := append([]byte("\x01"), value...)
		for _, v := range [][]byte{value, marked} {
			lookup := func(string) ([]byte, bool) { return v, true }
			out, err := tmpl.Render(lookup)
			if err == nil {
				again, err := tmpl.Render(lookup)
				if err != nil || !bytes.Equal(again, out) {
					t.Fatalf("a second Render differs")
				}
				continue
			}
			if out != nil {
				t.Fatalf("Render returned output and an error")
			}
			errs := failures(err)
			if len(errs) == 0 || len(errs) != len(err.(interface{ Unwrap() []error }).Unwrap()) {
				t.Fatalf("Render error %v does not join *Errors", err)
			}
			for _, e := range errs {
				if e.Op != "render" || e.Template != "f" {
					t.Fatalf("Render error %v is not a render *Error of template f", e)
				}
			}
			msg := []byte(err.Error())
			if bytes.Contains(msg, marked) {
				t.Fatalf("an error holds the value")
			}
			if q := strconv.Quote(string(value)); len(value) >= 6 && !bytes.Contains(src, value) &&
				(bytes.Contains(msg, value) || bytes.Contains(msg, []byte(q[1:len(q)-1]))) {
				t.Fatalf("an error holds the value")
			}
		}
	})
}

// FuzzFilters checks the filters that a Go parser reads back: json, url,
// base64 and xml give the value back, or refuse it with a reason when the
// package comment says they cannot carry it.
func FuzzFilters(f *testing.F) {
	for _, v := range hostile {
		f.Add([]byte(v))
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		decode := map[string]func(out []byte) (string, error){
			"json": func(out []byte) (string, error) {
				var s string
				err := json.Unmarshal(out, &s)
				return s, err
			},
			"url": func(out []byte) (string, error) { return url.PathUnescape(string(out)) },
			"base64": func(out []byte) (string, error) {
				b, err := base64.StdEncoding.DecodeString(string(out))
				return string(b), err
			},
			"xml": func(out []byte) (string, error) {
				var d struct {
					Text string `xml:",chardata"`
					Attr string `xml:"a,attr"`
				}
				err := xml.Unmarshal([]byte(`<v a="`+string(out)+`">`+string(out)+`</v>`), &d)
				if err == nil && d.Attr != d.Text {
					return "", errors.New("the attribute and the text differ")
				}
				return d.Text, err
			},
		}
		for name, dec := range decode {
			out, reason := lookupFilter(name).apply(v)
			if carries(name, string(v)) != (reason == "") {
				t.Fatalf("%s: reason %q for a value it can carry: %v", name, reason, carries(name, string(v)))
			}
			if reason != "" {
				continue
			}
			if got, err := dec(out); err != nil || got != string(v) {
				t.Fatalf("%s does not read back as the value (err %v)", name, err)
			}
		}
	})
}

package template

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// hostile are values that break naive escaping in one format or another.
// Each that would run a command in a shell runs "touch pwned". Failure
// messages name a value by its index and hash, never print it.
var hostile = []string{
	"", "plain", "it's", `say "hi"`, `'"'"''`, `\`, `\\`, `a\`, `\"`, `\'`, `\n`, `\u0041`, `\x41`, `\0`,
	"$(touch pwned)", "${HOME}", "${x:=$(touch pwned)}", "$HOME $$ $1 $@ $", "`touch pwned`", "a`touch pwned`b",
	"'; touch pwned; '", `"; touch pwned; "`,
	"\n", "line1\nline2\n\n", "a\r\nb\r", "\r", "\t tab\t", "  spaces  ", "\v\f",
	"]]>", "<![CDATA[x]]>", "<script>alert(1)</script>", "&amp; &lt; &#0; &#x41; &bogus;", "a\"b'c<d>e&f",
	"%", "%41", "%zz", "a+b c", "a b&c=d?e#f/g:h@i", "~._-",
	"- item", ": colon", "key: value", "#comment", "a #b", "yes", "no", "null", "~", "0x10", "1e3", ".inf", "!!str",
	"*alias", "&anchor", "|", ">", "@at", "%YAML", "---", "...", "{a: b}", "[a, b]", "? x",
	"ünïcødé ☃ 𝄞 🔑", "\u00a0nbsp\u00a0", "\u0085nel", "\x7fdel", "\x01\x1b[31mred\x1b[0m",
	"\u202eevil\u202c", "\u2066isolate\u2069", "\u200b\u200c\u200d\u200e\u200f", "\u2028\u2029", "\ufeffbom", "\u00adsoft",
	"\U000e0001tag", "\U0001d173", "\ufffe\uffff", "\ufffd",
	"a\x00b", "\x00", // NUL: not in shell or xml
	"\xff\xfe", "a\xc3", "\xed\xa0\x80", // not UTF-8: not in json, yaml or xml
	strings.Repeat("a'\"$`\\<&]]>\n", 6000),
	strings.Repeat("x", 64<<10),
}

func label(i int, v string) string {
	return fmt.Sprintf("value %d (sha256 %.8x)", i, sha256.Sum256([]byte(v)))
}

// carries reports whether the filter f can carry v: the rule the
// package comment states, written again here as the test's oracle.
func carries(f, v string) bool {
	switch f {
	case "json", "yaml":
		return utf8.ValidString(v)
	case "xml":
		return utf8.ValidString(v) && !strings.ContainsFunc(v, func(r rune) bool {
			return r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xfffe || r == 0xffff
		})
	case "shell":
		return !strings.Contains(v, "\x00")
	}
	return true
}

// filterOutputs renders each hostile value through the filter f and
// returns the outputs of the values f can carry, by index; it checks
// that the others are refused with CodeUnencodable and no output.
func filterOutputs(t *testing.T, f string) map[int]string {
	t.Helper()
	tmpl, err := Parse("t", []byte("{{ V | "+f+" }}"))
	if err != nil {
		t.Fatal(err)
	}
	outs := map[int]string{}
	for i, v := range hostile {
		out, err := tmpl.Render(vars(map[string]string{"V": v}))
		switch e := (*Error)(nil); {
		case carries(f, v) && err != nil:
			t.Errorf("%s: %s refused: %v", label(i, v), f, err)
		case carries(f, v):
			outs[i] = string(out)
		case !errors.As(err, &e) || e.Code != CodeUnencodable || out != nil:
			t.Errorf("%s: %s = %d bytes, %v; want it refused with %s", label(i, v), f, len(out), err, CodeUnencodable)
		}
	}
	return outs
}

func TestJSONRoundTrip(t *testing.T) {
	for i, out := range filterOutputs(t, "json") {
		var got string
		if err := json.Unmarshal([]byte(out), &got); err != nil || got != hostile[i] {
			t.Errorf("%s: json.Unmarshal does not give it back (err %v)", label(i, hostile[i]), err)
		}
		if strings.ContainsFunc(out, invisible) {
			t.Errorf("%s: the output holds an invisible character", label(i, hostile[i]))
		}
	}
}

func TestURLRoundTrip(t *testing.T) {
	for i, out := range filterOutputs(t, "url") {
		v := hostile[i]
		q, err1 := url.QueryUnescape(out)
		p, err2 := url.PathUnescape(out)
		u, err3 := url.Parse("postgres://user:" + out + "@db.example:5432/" + out + "?sslpassword=" + out)
		if err1 != nil || err2 != nil || err3 != nil {
			t.Errorf("%s: does not unescape: %v, %v, %v", label(i, v), err1, err2, err3)
			continue
		}
		pass, _ := u.User.Password()
		if q != v || p != v || pass != v || u.Path != "/"+v || u.Query().Get("sslpassword") != v {
			t.Errorf("%s: the query, path segment or password do not read back as the value", label(i, v))
		}
	}
}

func TestBase64RoundTrip(t *testing.T) {
	for i, out := range filterOutputs(t, "base64") {
		got, err := base64.StdEncoding.DecodeString(out)
		if err != nil || string(got) != hostile[i] {
			t.Errorf("%s: base64 does not decode back (err %v)", label(i, hostile[i]), err)
		}
	}
}

// TestXMLRoundTrip reads each output back with encoding/xml as element
// text and as attribute values in both kinds of quotes.
func TestXMLRoundTrip(t *testing.T) {
	type doc struct {
		Text   string `xml:",chardata"`
		Double string `xml:"d,attr"`
		Single string `xml:"s,attr"`
	}
	for i, out := range filterOutputs(t, "xml") {
		var got doc
		src := `<?xml version="1.0"?><v d="` + out + `" s='` + out + `'>` + out + `</v>`
		if err := xml.Unmarshal([]byte(src), &got); err != nil {
			t.Errorf("%s: encoding/xml cannot read it: %v", label(i, hostile[i]), err)
			continue
		}
		if got.Text != hostile[i] || got.Double != hostile[i] || got.Single != hostile[i] {
			t.Errorf("%s: the text or an attribute does not read back as the value", label(i, hostile[i]))
		}
	}
}

// TestShellRoundTrip has real shells read each output as a word and print
// it back with printf %s.
func TestShellRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs real shells")
	}
	outs := filterOutputs(t, "shell")
	for _, sh := range []string{"sh", "dash", "bash"} {
		path, err := exec.LookPath(sh)
		if err != nil {
			continue
		}
		t.Run(sh, func(t *testing.T) {
			dir := t.TempDir()
			for i, out := range outs {
				// The script comes on standard input: a 64 KiB word is
				// more than one argument may hold.
				cmd := exec.Command(path, "-s")
				cmd.Dir = dir
				cmd.Stdin = strings.NewReader("printf %s " + out + "\n")
				got, err := cmd.Output()
				if err != nil || string(got) != hostile[i] {
					t.Errorf("%s: %s does not print it back (err %v)", label(i, hostile[i]), sh, err)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "pwned")); err == nil {
				t.Errorf("a value ran a command in %s", sh)
			}
		})
	}
}

// TestYAMLRoundTrip has PyYAML read each output back as a mapping value,
// a block sequence item and a flow sequence item. PyYAML is there
// wherever moto is (moto needs it).
func TestYAMLRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("runs python3 with PyYAML")
	}
	outs := filterOutputs(t, "yaml")
	var doc bytes.Buffer
	for i, out := range outs {
		fmt.Fprintf(&doc, "v%d:\n  value: %s\n  block:\n    - %s\n  flow: [%s, %s]\n", i, out, out, out, out)
	}
	// json.dumps with ensure_ascii writes only ASCII: every character of
	// the value comes back as it is or as a \u escape.
	const script = `import json, sys, yaml
doc = yaml.safe_load(sys.stdin.buffer.read().decode("utf-8"))
out = {k: [v["value"], v["block"][0]] + v["flow"] for k, v in doc.items()}
sys.stdout.write(json.dumps(out, ensure_ascii=True))`
	cmd := exec.Command("python3", "-c", script)
	cmd.Stdin = &doc
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	got, err := cmd.Output()
	if err != nil {
		if strings.Contains(stderr.String(), "No module named") {
			t.Skipf("python3 has no PyYAML: %v", err)
		}
		t.Fatalf("PyYAML cannot read the document: %v (%s)", err, pythonError(stderr.String()))
	}
	var read map[string][]string
	if err := json.Unmarshal(got, &read); err != nil {
		t.Fatal(err)
	}
	for i := range outs {
		vs := read[fmt.Sprintf("v%d", i)]
		if len(vs) != 4 {
			t.Errorf("%s: PyYAML read %d values, want 4", label(i, hostile[i]), len(vs))
			continue
		}
		for j, v := range vs {
			if v != hostile[i] {
				t.Errorf("%s: PyYAML reads it back changed, in context %d", label(i, hostile[i]), j)
			}
		}
	}
}

// pythonError returns the kind of the exception in a Python traceback,
// such as yaml.reader.ReaderError, without its message: PyYAML's
// messages quote the document, values included.
func pythonError(traceback string) string {
	kind := ""
	for line := range strings.Lines(traceback) {
		if line != "" && line[0] != ' ' && !strings.HasPrefix(line, "Traceback") {
			kind, _, _ = strings.Cut(line, ":")
		}
	}
	return kind
}

func TestTrim(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"secret\n", "secret"},
		{"\r\n\t secret with spaces \t\r\n", "secret with spaces"},
		{"\u00a0\u2028secret\u3000\u0085", "secret"},
		{"a\nb", "a\nb"},
		{"\xff secret \xfe", "\xff secret \xfe"},
	}
	for _, tt := range tests {
		got, reason := trim([]byte(tt.in))
		if string(got) != tt.want || reason != "" {
			t.Errorf("trim(%q) = %q, %q; want %q", tt.in, got, reason, tt.want)
		}
	}
}

// TestEscapesShowInvisibleCharacters: json, yaml and xml write no
// character a reader cannot see; the other filters write bytes.
func TestEscapesShowInvisibleCharacters(t *testing.T) {
	tests := []struct{ filter, in, want string }{
		{"json", "\u202e\u2028\ufeff\x00\x1b\u0085", `"\u202e\u2028\ufeff\u0000\u001b\u0085"`},
		{"json", "\U000e0001", `"\udb40\udc01"`},
		{"json", "\U0001F511 ünï", "\"\U0001F511 ünï\""},
		{"yaml", "\u202e\u2028\ufeff\x00\x1b\u0085\x7f", `"\u202e\u2028\ufeff\0\x1b\x85\x7f"`},
		{"yaml", "\U000e0001", `"\U000e0001"`},
		{"yaml", "a\tb\r\nc", `"a\tb\r\nc"`},
		{"xml", "\u202e\u0085 a\tb\r\n", "&#x202E;&#x85; a&#x9;b&#xD;&#xA;"},
		{"xml", "\U000e0001", "&#xE0001;"},
	}
	for _, tt := range tests {
		got, reason := lookupFilter(tt.filter).apply([]byte(tt.in))
		if string(got) != tt.want || reason != "" {
			t.Errorf("%s(%q) = %s, %q; want %s", tt.filter, tt.in, got, reason, tt.want)
		}
	}
}

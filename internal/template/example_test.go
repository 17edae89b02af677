package template_test

import (
	"fmt"
	"os"

	"github.com/valuefrom/valuefrom/internal/template"
)

// lookup gives a template the resolved variables: here, from a map.
func lookup(values map[string]string) func(string) ([]byte, bool) {
	return func(name string) ([]byte, bool) {
		v, ok := values[name]
		return []byte(v), ok
	}
}

func Example() {
	src := `spring:
  datasource:
    url: "jdbc:postgresql://{{ DB.host }}:{{ DB.port }}/{{ DB.dbname }}"
    username: {{ DB.username | yaml }}
    password: {{ DB.password | yaml }}
`
	tmpl, err := template.Parse("application.yml.tmpl", []byte(src))
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := tmpl.Render(lookup(map[string]string{
		"DB": `{"host":"db.internal","port":5432,"dbname":"orders","username":"app","password":"p\"w: #1"}`,
	}))
	if err != nil {
		fmt.Println(err)
		return
	}
	os.Stdout.Write(out)
	// Output:
	// spring:
	//   datasource:
	//     url: "jdbc:postgresql://db.internal:5432/orders"
	//     username: "app"
	//     password: "p\"w: #1"
}

// Each filter, on a value with a quote, a dollar sign and a newline.
func Example_filters() {
	value := map[string]string{"V": "it's $5\n"}
	for _, f := range []string{"json", "yaml", "shell", "url", "base64", "xml", "trim | json"} {
		tmpl, _ := template.Parse("filters", []byte("{{ V | "+f+" }}"))
		out, _ := tmpl.Render(lookup(value))
		fmt.Printf("%-12s %s\n", f, out)
	}
	// Output:
	// json         "it's $5\n"
	// yaml         "it's $5\n"
	// shell        'it'\''s $5
	// '
	// url          it%27s%20%245%0A
	// base64       aXQncyAkNQo=
	// xml          it&apos;s $5&#xA;
	// trim | json  "it's $5"
}

// A template that uses a name it is not given fails as a whole: Render
// returns no output, and an error for each action that failed, naming
// the place and the variable, never a value.
func ExampleTemplate_Render_errors() {
	tmpl, _ := template.Parse("userlist.txt.tmpl", []byte(`"{{ PGB_USER }}" "{{ PGB_SCRAM }}"
"{{ STATS.username }}" "{{ STATS.verifier }}"
`))
	out, err := tmpl.Render(lookup(map[string]string{
		"PGB_USER": "app",
		"STATS":    `{"username":"stats","password":"not-a-verifier"}`,
	}))
	fmt.Println(len(out))
	fmt.Println(err)
	// Output:
	// 0
	// userlist.txt.tmpl:1:22: PGB_SCRAM: no such variable: a template reads only the variables valuefrom resolved, and with --template-env the environment's
	// userlist.txt.tmpl:2:34: STATS: JSON key "verifier" is not in the secret
}

func ExampleTemplate_Names() {
	tmpl, _ := template.Parse("settings.json.tmpl", []byte(`{"user": {{ DB.username | json }}, "key": {{ API_KEY | trim | json }}, "also": {{ DB.password | json }}}`))
	fmt.Println(tmpl.Names())
	// Output:
	// [API_KEY DB]
}

// Parse errors name the template, line and column.
func ExampleParse_error() {
	_, err := template.Parse("nginx.conf.tmpl", []byte("server {\n    ssl_password {{ TLS_PASS | jsno }};\n}\n"))
	fmt.Println(err)
	// Output:
	// nginx.conf.tmpl:2:32: unknown filter "jsno"; the filters are json, yaml, shell, url, base64, xml and trim
}

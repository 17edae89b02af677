package template

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// worldValues are hostile values for the templates under testdata: each
// holds what breaks the format it lands in, and a command that a careless
// shell would run.
var worldValues = func() map[string]string {
	password := "p@ss: \"w0rd\" #{x}'$(touch pwned)`touch pwned`\n\t<&>]]> ${HOME} \u202e%20+"
	db, err := json.Marshal(map[string]any{
		"username": "app'\"", "password": password, "host": "db.internal", "port": 5432, "dbname": "orders",
	})
	if err != nil {
		panic(err)
	}
	return map[string]string{
		"DB":            string(db),
		"API_KEY":       "  key-'\"<&>\n",
		"SMTP_PASSWORD": "\tsmtp: [x] {y} 'z'\n",
		"WEBHOOK_TOKEN": "a b&c=d#e/f?g+h%",
		"SLACK_WEBHOOK": "https://hooks.slack.com/services/T0/B0/x?y=1#z",
		"CA_PEM":        "-----BEGIN CERTIFICATE-----\nMIIB\x00\xff\n-----END CERTIFICATE-----\n",
		"K8S_TOKEN":     "eyJhbGciOi.J9: #token\n",
	}
}()

func renderFile(t *testing.T, name string) []byte {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := Parse(name, src)
	if err != nil {
		t.Fatal(err)
	}
	out, err := tmpl.Render(vars(worldValues))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func dbField(t *testing.T, key string) string {
	var db map[string]any
	if err := json.Unmarshal([]byte(worldValues["DB"]), &db); err != nil {
		t.Fatal(err)
	}
	return db[key].(string)
}

// The checks below compare values and report only which one differs.

func TestRealConfigJSON(t *testing.T) {
	var got struct {
		Database struct{ User, Password string }
		APIKey   string `json:"api_key"`
		Webhook  string
	}
	if err := json.Unmarshal(renderFile(t, "settings.json.tmpl"), &got); err != nil {
		t.Fatalf("settings.json is not JSON: %v", err)
	}
	u, err := url.Parse(got.Webhook)
	if err != nil {
		t.Fatal(err)
	}
	for what, ok := range map[string]bool{
		"database.user":     got.Database.User == dbField(t, "username"),
		"database.password": got.Database.Password == dbField(t, "password"),
		"api_key":           got.APIKey == strings.TrimSpace(worldValues["API_KEY"]),
		"webhook token":     u.Query().Get("token") == worldValues["WEBHOOK_TOKEN"],
	} {
		if !ok {
			t.Errorf("settings.json: %s does not read back as the value", what)
		}
	}
}

func TestRealConfigXML(t *testing.T) {
	var got struct {
		Resource struct {
			Username string `xml:"username,attr"`
			Password string `xml:"password,attr"`
		}
		Environment struct {
			Value string `xml:"value,attr"`
		}
	}
	if err := xml.Unmarshal(renderFile(t, "context.xml.tmpl"), &got); err != nil {
		t.Fatalf("context.xml is not XML: %v", err)
	}
	for what, ok := range map[string]bool{
		"username": got.Resource.Username == dbField(t, "username"),
		"password": got.Resource.Password == dbField(t, "password"),
		"apiKey":   got.Environment.Value == strings.TrimSpace(worldValues["API_KEY"]),
	} {
		if !ok {
			t.Errorf("context.xml: %s does not read back as the value", what)
		}
	}
}

// TestRealConfigShell runs the rendered entrypoint.sh with sh, a psql on
// PATH that reports what it was given.
func TestRealConfigShell(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs a real shell")
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "entrypoint.sh")
	if err := os.WriteFile(script, renderFile(t, "entrypoint.sh.tmpl"), 0o700); err != nil {
		t.Fatal(err)
	}
	psql := "#!/bin/sh\nprintf '%s\\0%s' \"$PGPASSWORD\" \"$1\"\n"
	if err := os.WriteFile(filepath.Join(dir, "psql"), []byte(psql), 0o700); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", script)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + dir + ":/usr/bin:/bin", "HOME=/nonexistent"}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sh entrypoint.sh: %v", err)
	}
	pgpassword, dsn, _ := bytes.Cut(out, []byte{0})
	u, err := url.Parse(string(dsn))
	if err != nil {
		t.Fatalf("psql's argument is not a URL: %v", err)
	}
	pass, _ := u.User.Password()
	for what, ok := range map[string]bool{
		"PGPASSWORD":       string(pgpassword) == dbField(t, "password"),
		"the URL's user":   u.User.Username() == dbField(t, "username"),
		"the URL password": pass == dbField(t, "password"),
	} {
		if !ok {
			t.Errorf("entrypoint.sh: %s does not read back as the value", what)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "pwned")); err == nil {
		t.Error("a value ran a command")
	}
}

// TestRealConfigYAML reads the rendered YAML files with PyYAML.
func TestRealConfigYAML(t *testing.T) {
	if testing.Short() {
		t.Skip("runs python3 with PyYAML")
	}
	files := []string{"application.yml.tmpl", "kubeconfig.tmpl", "alertmanager.yml.tmpl"}
	var docs bytes.Buffer
	for _, f := range files {
		docs.Write(renderFile(t, f))
		docs.WriteString("\n---\n")
	}
	const script = `import json, sys, yaml
sys.stdout.write(json.dumps([d for d in yaml.safe_load_all(sys.stdin.buffer.read().decode("utf-8")) if d], ensure_ascii=True))`
	cmd := exec.Command("python3", "-c", script)
	cmd.Stdin = &docs
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("PyYAML cannot read the files: %v (%s)", err, pythonError(stderr.String()))
	}
	var got []struct {
		Spring struct {
			Datasource struct{ URL, Username, Password string }
			Mail       struct{ Password string }
		}
		Management struct{ Endpoints []string }
		Clusters   []struct {
			Cluster struct {
				CA string `json:"certificate-authority-data"`
			}
		}
		Users []struct {
			User struct{ Token string }
		}
		Receivers []struct {
			SlackConfigs []struct {
				APIURL string `json:"api_url"`
				Title  string
			} `json:"slack_configs"`
		}
	}
	if err := json.Unmarshal(out, &got); err != nil || len(got) != len(files) {
		t.Fatalf("PyYAML read %d documents (%v), want %d", len(got), err, len(files))
	}
	app, kube, alert := got[0], got[1], got[2]
	ca, _ := base64.StdEncoding.DecodeString(kube.Clusters[0].Cluster.CA)
	for what, ok := range map[string]bool{
		"the datasource URL":  app.Spring.Datasource.URL == "jdbc:postgresql://db.internal:5432/orders",
		"the username":        app.Spring.Datasource.Username == dbField(t, "username"),
		"the password":        app.Spring.Datasource.Password == dbField(t, "password"),
		"the mail password":   app.Spring.Mail.Password == strings.TrimSpace(worldValues["SMTP_PASSWORD"]),
		"a flow item":         strings.Join(app.Management.Endpoints, ",") == "health,info",
		"the CA":              string(ca) == worldValues["CA_PEM"],
		"the token":           kube.Users[0].User.Token == strings.TrimSpace(worldValues["K8S_TOKEN"]),
		"the webhook":         alert.Receivers[0].SlackConfigs[0].APIURL == worldValues["SLACK_WEBHOOK"],
		"Alertmanager braces": alert.Receivers[0].SlackConfigs[0].Title == "{{ .CommonLabels.alertname }}",
	} {
		if !ok {
			t.Errorf("YAML: %s does not read back as the value", what)
		}
	}
}

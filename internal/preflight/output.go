package preflight

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

// WriteJSON writes the report as indented JSON (see Report and Row for
// the schema).
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// WriteTable writes the report as a table, a row per variable, under a
// header that names the credentials and their identity, followed by each
// warning and failure with its hint.
func (r *Report) WriteTable(w io.Writer) error {
	if cr := r.Credentials; cr != nil {
		fmt.Fprintf(w, "credentials: %s\n", cr.Source)
		if cr.Error != "" {
			fmt.Fprintf(w, "identity: unknown: %s\n\n", cr.Error)
		} else {
			fmt.Fprintf(w, "identity: %s (account %s)\n\n", cr.Identity, cr.Account)
		}
	}
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "VARIABLE\tREGION\tEXISTS\tVERSION\tJSON KEY\tKMS KEY\tKEY STATE\tKEY ROTATION\tSECRET ROTATION\tVERDICT")
	for _, row := range r.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", row.Var, dash(row.Region),
			cell(row.Exists), cell(row.Version), cell(row.JSONKey),
			keyCell(row), keyStateCell(row.KMS), keyRotationCell(row.KMS), rotationCell(row), row.Verdict)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, row := range r.Rows {
		if len(row.Replicas) > 0 {
			fmt.Fprintf(w, "\n%s: fallback regions: %s\n", row.Var, replicasCell(row.Replicas))
		}
	}
	for _, row := range r.Rows {
		for _, p := range row.Problems {
			what := p.Code
			if row.Ref != "" {
				what = strconv.Quote(row.Ref) + " " + p.Code
			}
			fmt.Fprintf(w, "\n%s: %s: %s: %s\n", row.Var, p.Verdict, what, p.Message)
			if p.Hint != "" {
				fmt.Fprintf(w, "  hint: %s\n", p.Hint)
			}
		}
	}
	n := countRows(r.Rows, nil)
	counted := fmt.Sprintf("%d %s", n.refs, plural(n.refs, "reference", "references"))
	if n.settings > 0 {
		counted += fmt.Sprintf(", %d %s", n.settings, plural(n.settings, "setting", "settings"))
	}
	if n.templates > 0 {
		counted += fmt.Sprintf(", %d %s", n.templates, plural(n.templates, "template", "templates"))
	}
	if n.entries > 0 {
		counted += fmt.Sprintf(", %d refused %s", n.entries, plural(n.entries, "task-definition entry", "task-definition entries"))
	}
	fmt.Fprintf(w, "\n%s: %d ok, %d warning, %d fail\n", counted, r.Summary.OK, r.Summary.Warning, r.Summary.Fail)
	if n.refs == 0 && n.entries == 0 {
		fmt.Fprintln(w, "no references found: no variable's value is a secretsmanager: or ssm: reference or an ARN, so nothing was resolved or checked")
	}
	return nil
}

// replicasCell says, for each fallback region, whether a copy is there,
// its replication status and its key's state.
func replicasCell(reps []Replica) string {
	parts := make([]string, len(reps))
	for i, rep := range reps {
		switch rep.Exists {
		case No:
			parts[i] = rep.Region + " no replica"
			continue
		case Unknown:
			parts[i] = rep.Region + " ?"
			continue
		}
		parts[i] = rep.Region + " " + rep.Status
		if rep.KMS != nil {
			parts[i] += ", key " + keyCell(Row{KMS: rep.KMS}) + " " + keyStateCell(rep.KMS)
		}
	}
	return strings.Join(parts, "; ")
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func cell(s Status) string {
	switch s {
	case NotApplicable:
		return "-"
	case Unknown:
		return "?"
	}
	return string(s)
}

func keyCell(row Row) string {
	switch {
	case row.KMS != nil:
		id := strings.TrimPrefix(row.KMS.ID, "alias/")
		if i := strings.Index(id, ":key/"); i >= 0 {
			id = id[i+1:]
		}
		return id
	case row.Service == "ssm" && row.Type != "" && row.Type != "SecureString":
		return "none (" + row.Type + ")"
	case !row.Parses || row.Exists == No || row.Template != "":
		return "-"
	}
	return "?"
}

func keyStateCell(k *Key) string {
	if k == nil {
		return "-"
	}
	s := k.State
	if s == "unknown" {
		s = "?"
	}
	if k.DeletionDate != nil {
		s += " " + day(*k.DeletionDate)
	}
	if k.Manager != "unknown" {
		s += " (" + k.Manager
		if k.MultiRegion != "" {
			s += ", MRK " + k.MultiRegion
		}
		s += ")"
	}
	return s
}

func keyRotationCell(k *Key) string {
	if k == nil {
		return "-"
	}
	return cell(k.Rotation)
}

func rotationCell(row Row) string {
	rot := row.Rotation
	switch {
	case rot == nil && row.Service == "secretsmanager" && row.Exists != No:
		return "?"
	case rot == nil:
		return "-"
	case !rot.Enabled:
		return "off"
	case rot.NextRotation != nil:
		return "on, next " + day(*rot.NextRotation)
	}
	return "on"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

package main

import (
	"context"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strconv"

	"github.com/valuefrom/valuefrom/exec"
	"github.com/valuefrom/valuefrom/internal/envfmt"
	"github.com/valuefrom/valuefrom/internal/render"
	"github.com/valuefrom/valuefrom/internal/settings"
)

const renderUsage = `Usage:
  valuefrom render --out PATH [--format dotenv|json|shell|files] [--group GROUP]
                   [--task-def FILE [--container NAME]] [--profile P] [--region R]
                   [flags]

Resolves the references, writes them to PATH, and exits: an ECS init
container that the task's other containers wait for (dependsOn, condition
SUCCESS) and read from a shared volume. What is written: every variable of
the environment whose value is a reference, and with --task-def every
variable of the container, with references resolved; no VALUEFROM_*
setting. A _FILE name has no special meaning here: its value is written
like any other.

Writing is atomic and all or nothing: files are written under temporary
names, synced, then renamed into place. If any reference fails, or any
write, nothing is changed at PATH and the exit code is not 0. Files are
mode 0400, or 0440 and owned by GROUP with --group: run the other
containers with that group (or as render's user) so that they can read
them. render must run as root, or as a member of GROUP, to set the group.

Formats:
  dotenv   one file, NAME="VALUE" (see valuefrom env -h for the escapes)
  json     one file, a JSON object NAME to VALUE
  shell    one file, export NAME='VALUE', for a shell entrypoint to source
  files    a directory: one file per variable, named after it, holding its
           value byte for byte (binary secrets too). A missing directory is
           built beside PATH and renamed into place (mode 0700, 0750 with
           --group); an existing one, such as a volume's mount point, keeps
           its mode. The names written are kept in PATH/.valuefrom-files;
           a later render removes the files listed there that it no longer
           writes, and never touches other files.
  dotenv and json need UTF-8 values; a secret with NUL bytes needs files.

Flags:
  --out PATH           the file, or for --format files the directory (required;
                       its parent directory must exist)
  --format F           dotenv, json, shell or files (default dotenv)
  --group GROUP        group name or number to own the files, mode 0440
  --task-def FILE      read the variables of a container of this task definition
  --container NAME     the container (needed when FILE has several)
  --profile P          AWS shared-config profile (default: AWS_PROFILE, or the SDK's chain)
  --region R           default AWS region (default: AWS_REGION, the profile's, or metadata)
  --concurrency, --max-attempts, --timeout, --ignore,
  --log-format, --log-level: as for valuefrom itself (see valuefrom -h)
  -h, --help           print this help and exit

Exit codes:
  0    written
  2    usage: a bad flag or task definition, a missing container, no region,
       an unknown group
  3    a value starts like a reference but does not parse
  4    a reference could not be resolved (each failing variable is named)
  5    the output could not be written, or a value cannot be carried by the
       format
`

// renderCmd is valuefrom render: write the resolved variables, then exit.
func renderCmd(ctx context.Context, s *settings.Settings, args, environ []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("render", s)
	td := addTaskDefFlags(fs)
	a := addAWSFlags(fs)
	out := fs.String("out", "", "the file or directory to write")
	format := fs.String("format", string(envfmt.Dotenv), "dotenv, json, shell or files")
	group := fs.String("group", "", "group to own the files")
	if err := parseFlags(fs, args, s, renderUsage, stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("valuefrom render takes no arguments, got %q", fs.Arg(0))
	}
	if *out == "" {
		return usagef("--out is required: valuefrom render --out PATH")
	}
	if err := render.ParseFormat(*format); err != nil {
		return usagef("--format: %v", err)
	}
	gid, err := lookupGroup(*group)
	if err != nil {
		return err
	}
	// Before any AWS call: the directory that will hold --out.
	if fi, err := os.Stat(filepath.Dir(filepath.Clean(*out))); err != nil || !fi.IsDir() {
		return usagef("--out %s: its parent directory %s does not exist", *out, filepath.Dir(filepath.Clean(*out)))
	}
	environ, own, err := td.load(s, environ)
	if err != nil {
		return err
	}
	reqs, err := references(*s, environ)
	if err != nil {
		return err
	}
	for i := range reqs {
		reqs[i].ToFile = *format == render.Files // only a file of its own can hold any byte
	}
	values, err := resolve(ctx, *s, a, reqs, environ, newLogger(*s, stderr))
	if err != nil {
		return err
	}
	set := make(map[string]string, len(values))
	for _, v := range values {
		set[v.Var] = string(v.Value)
	}
	env := exec.Environ(environ, set, settings.IsSetting)
	vars := envfmt.Select(env, func(name string) bool {
		_, resolved := set[name]
		return own[name] || resolved
	})
	return render.Write(*out, vars, render.Options{Format: *format, Group: gid})
}

// lookupGroup returns the id of the group named or numbered by name, or -1
// for none.
func lookupGroup(name string) (int, error) {
	if name == "" {
		return -1, nil
	}
	if gid, err := strconv.Atoi(name); err == nil && gid >= 0 {
		return gid, nil
	}
	g, err := user.LookupGroup(name)
	if err != nil {
		return 0, usagef("--group %s: no such group", name)
	}
	gid, err := strconv.Atoi(g.Gid)
	if err != nil {
		return 0, usagef("--group: group %s has the id %q, not a number", name, g.Gid)
	}
	return gid, nil
}

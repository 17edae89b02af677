package main

import (
	"cmp"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// version, commit and date are set at build time with
// -ldflags "-X main.version=... -X main.commit=... -X main.date=...", as
// make build does (scripts/buildinfo says what they are: the git tag, the
// commit and the commit's time, from git or from a source archive's
// .git_archival.txt), else read from the build information.
var version, commit, date string

// build is what valuefrom knows of how it was built; a field is "" when
// unknown.
type build struct {
	version, commit, date string
}

// buildInfo returns the stamped version, commit and date, each falling
// back to the build information the go command records.
func buildInfo() build {
	b := build{version, commit, date}
	if info, ok := debug.ReadBuildInfo(); ok {
		if info.Main.Version != "(devel)" {
			b.version = cmp.Or(b.version, info.Main.Version)
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				b.commit = cmp.Or(b.commit, s.Value)
			case "vcs.time":
				b.date = cmp.Or(b.date, s.Value)
			}
		}
	}
	return b
}

// appVersion is the version every request to AWS names in its
// User-Agent: the version, else "devel".
func appVersion() string {
	return cmp.Or(buildInfo().version, "devel")
}

// printVersion prints the one line of valuefrom --version:
//
//	valuefrom VERSION (commit COMMIT, GOVERSION, OS/ARCH, built DATE)
//
// Scripts may read it by position: a new field goes at the end.
func printVersion(w io.Writer) {
	b := buildInfo()
	fmt.Fprintf(w, "valuefrom %s (commit %s, %s, %s/%s, built %s)\n",
		cmp.Or(b.version, "(devel)"), cmp.Or(b.commit, "unknown"),
		runtime.Version(), runtime.GOOS, runtime.GOARCH, cmp.Or(b.date, "unknown"))
}

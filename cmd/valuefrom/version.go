package main

import (
	"cmp"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// version and commit are set at build time with
// -ldflags "-X main.version=... -X main.commit=...", else read from the
// build information.
var version, commit string

// buildVersion returns the version and the commit valuefrom was built
// from, either "" when unknown.
func buildVersion() (v, c string) {
	v, c = version, commit
	if info, ok := debug.ReadBuildInfo(); ok {
		if info.Main.Version != "(devel)" {
			v = cmp.Or(v, info.Main.Version)
		}
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				c = cmp.Or(c, s.Value)
			}
		}
	}
	return v, c
}

// appVersion is the version every request to AWS names in its
// User-Agent: the version, else "devel".
func appVersion() string {
	v, _ := buildVersion()
	return cmp.Or(v, "devel")
}

func printVersion(w io.Writer) {
	v, c := buildVersion()
	fmt.Fprintf(w, "valuefrom %s (commit %s, %s, %s/%s)\n", cmp.Or(v, "(devel)"), cmp.Or(c, "unknown"), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

package main

import (
	"fmt"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// versionText is the version a release was built as (-X main.version),
// or else the module's version and the VCS revision the binary was built
// from, as the Go toolchain recorded them.
func versionText() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return version
	}
	v := version
	if v == "dev" && bi.Main.Version != "" {
		v = bi.Main.Version
	}
	var rev, when string
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return v + ", " + bi.GoVersion
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "+changes"
	}
	if when != "" {
		rev += " " + when
	}
	return fmt.Sprintf("%s (revision %s), %s", v, rev, bi.GoVersion)
}

// reportVersion is the version reports and the JSON summary name: a
// release's, or else the revision the binary was built from ("dev" when
// the toolchain recorded none, as in tests).
func reportVersion() string {
	bi, ok := debug.ReadBuildInfo()
	return reportVersionOf(version, bi, ok)
}

// reportVersionOf is reportVersion for a version set at link time and the
// build information the toolchain recorded.
func reportVersionOf(version string, bi *debug.BuildInfo, ok bool) string {
	if version != "dev" || !ok {
		return version
	}
	v := version
	if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return v
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "+changes"
	}
	return v + " (revision " + rev + ")"
}

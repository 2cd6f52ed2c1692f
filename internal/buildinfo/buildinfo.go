// Package buildinfo says which rstsniff this is: the version a release
// was built as, else the module version and VCS revision the Go toolchain
// recorded. Standard library only.
package buildinfo

import (
	"fmt"
	"runtime/debug"
)

// Text is the version a release was built as (version, set at link
// time), or else the module's version and the VCS revision the binary was
// built from, as the Go toolchain recorded them, and the toolchain.
func Text(version string) string {
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

// Report is the version reports and the JSON summary name: a release's
// (version, set at link time), or else the revision the binary was built
// from ("dev" when the toolchain recorded none, as in tests).
func Report(version string) string {
	bi, ok := debug.ReadBuildInfo()
	return reportOf(version, bi, ok)
}

// reportOf is Report for the build information the toolchain recorded.
func reportOf(version string, bi *debug.BuildInfo, ok bool) string {
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

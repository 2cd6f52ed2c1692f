package buildinfo

import (
	"runtime/debug"
	"testing"
)

// TestReport: the version reports name is the release's, or the revision
// the binary was built from, as --version says it (without the toolchain).
func TestReport(t *testing.T) {
	rev := []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "true"}}
	for _, c := range []struct {
		version string
		bi      *debug.BuildInfo
		want    string
	}{
		{"v1.2.3", &debug.BuildInfo{Settings: rev}, "v1.2.3"},
		{"dev", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: rev}, "dev (revision 0123456789ab+changes)"},
		{"dev", &debug.BuildInfo{Main: debug.Module{Version: "v0.4.0"}}, "v0.4.0"},
		{"dev", &debug.BuildInfo{}, "dev"},
	} {
		if got := reportOf(c.version, c.bi, true); got != c.want {
			t.Errorf("%s %+v: %q, want %q", c.version, c.bi.Main, got, c.want)
		}
	}
}

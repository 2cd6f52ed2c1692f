// Package docgentest checks docgen's outputs with the tools that read
// them, for tests: groff for the man page, each shell's -n for its
// completion. A missing tool skips the test, except in CI (CI set), where
// make lab-deps installs them.
package docgentest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// NeedTool returns a tool's path; missing, the test is skipped, or fails
// in CI.
func NeedTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("no %s in CI: make lab-deps installs it", name)
		}
		t.Skipf("no %s", name)
	}
	return p
}

// Lint fails the test when the tool that reads doc complains: what is
// "man" (groff -man -Tutf8 -ww -z: any warning) or a shell, "bash", "zsh"
// or "fish" (its -n: the script does not parse).
func Lint(t testing.TB, what, doc string) {
	t.Helper()
	var cmd *exec.Cmd
	if what == "man" {
		cmd = exec.Command(NeedTool(t, "groff"), "-man", "-Tutf8", "-ww", "-z")
		cmd.Stdin = strings.NewReader(doc)
	} else {
		f := filepath.Join(t.TempDir(), "completion."+what)
		if err := os.WriteFile(f, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd = exec.Command(NeedTool(t, what), "-n", f)
	}
	if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("%s: %v\n%s", cmd, err, out)
	}
}

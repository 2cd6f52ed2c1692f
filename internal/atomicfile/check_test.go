package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCheckPathAndSameFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, want string }{
		{"", ""},
		{"-", ""},
		{filepath.Join(dir, "new.html"), ""},
		{dir, dir + " is a directory: give a file name, e.g. " + filepath.Join(dir, "rstsniff-report.html")},
		{filepath.Join(dir, "no", "x"), filepath.Join(dir, "no", "x") + ": directory " + filepath.Join(dir, "no") + ": no such file or directory"},
		{filepath.Join(file, "x"), filepath.Join(file, "x") + ": " + file + " is not a directory"},
	} {
		got := ""
		if err := CheckPath(c.path); err != nil {
			got = err.Error()
		}
		if got != c.want {
			t.Errorf("CheckPath(%q) = %q, want %q", c.path, got, c.want)
		}
	}
	if !SameFile(file, filepath.Join(dir, ".", "f")) || !SameFile(filepath.Join(dir, "a"), filepath.Join(dir, "b", "..", "a")) {
		t.Error("SameFile: one file under two names not seen")
	}
	if SameFile(file, filepath.Join(dir, "g")) || SameFile("-", "-") {
		t.Error("SameFile: two files (or standard output) taken for one")
	}
}

package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

// names lists what dir holds.
func names(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var n []string
	for _, e := range es {
		n = append(n, e.Name())
	}
	return n
}

// TestCommitAbort: the target changes only on Commit, Abort leaves it as it
// was, and neither leaves a temporary file.
func TestCommitAbort(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "out.json")
	if err := os.WriteFile(target, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Create(target)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("half")
	f.Abort()
	f.Abort()
	if b, _ := os.ReadFile(target); string(b) != "old" {
		t.Errorf("after Abort the target holds %q", b)
	}
	if n := names(t, dir); len(n) != 1 {
		t.Errorf("Abort left %v", n)
	}
	f, err = Create(target)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("new")
	if b, _ := os.ReadFile(target); string(b) != "old" {
		t.Errorf("before Commit the target holds %q", b)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(target); string(b) != "new" {
		t.Errorf("after Commit the target holds %q", b)
	}
	if st, err := os.Stat(target); err != nil || st.Mode().Perm()&0o044 == 0 {
		t.Errorf("the output is not readable by others: %v %v", st.Mode(), err)
	}
	if n := names(t, dir); len(n) != 1 {
		t.Errorf("Commit left %v", n)
	}
}

// TestCommitOverDirectory: a target that became a directory fails Commit,
// and no temporary file is left.
func TestCommitOverDirectory(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "r.md")
	f, err := Create(target)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(target, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(target, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if f.Commit() == nil {
		t.Error("commit over a directory succeeded")
	}
	if n := names(t, dir); len(n) != 1 || n[0] != "r.md" {
		t.Errorf("commit left %v", n)
	}
}

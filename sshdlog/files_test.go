package sshdlog

import (
	"os"
	"path/filepath"
	"testing"
)

func TestMissing(t *testing.T) {
	dir := t.TempDir()
	there := filepath.Join(dir, "auth.log")
	if err := os.WriteFile(there, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if n, err := Missing([]string{"-", JournalSource, there}); err != nil {
		t.Errorf("Missing = %q, %v; want none", n, err)
	}
	gone := filepath.Join(dir, "gone.log")
	if n, err := Missing([]string{there, gone, "also-gone"}); n != gone || !os.IsNotExist(err) {
		t.Errorf("Missing = %q, %v; want %s, not found", n, err, gone)
	}
}

package capture

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLeadingFiles(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "capture")
	if err := os.WriteFile(f, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want int
	}{
		{nil, 0},
		{[]string{f, "missing.PCAPNG.gz", "port", "22"}, 2},
		{[]string{"port", f}, 0},
		{[]string{dir}, 0}, // a directory is no capture
		{[]string{"a.cap", "b.dmp", "c.pcap"}, 3},
	} {
		if got := LeadingFiles(c.args); got != c.want {
			t.Errorf("LeadingFiles(%q) = %d, want %d", c.args, got, c.want)
		}
	}
}

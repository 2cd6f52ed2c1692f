package capture

import (
	"os"
	"path/filepath"
	"testing"
)

// A small file's buffers hold the file, in steps of 64 KiB; a larger
// file and a pipe get 1 MiB.
func TestBufferFor(t *testing.T) {
	dir := t.TempDir()
	for size, want := range map[int]int{0: 64 << 10, 1: 64 << 10, 64 << 10: 64 << 10, 64<<10 + 1: 128 << 10, 1<<20 - 1: 1 << 20, 5 << 20: 1 << 20} {
		name := filepath.Join(dir, "f")
		if err := os.WriteFile(name, make([]byte, size), 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		if got := bufferFor(f); got != want {
			t.Errorf("a file of %d bytes: %d, want %d", size, got, want)
		}
		f.Close()
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if got := bufferFor(r); got != 1<<20 {
		t.Errorf("a pipe: %d, want %d", got, 1<<20)
	}
}

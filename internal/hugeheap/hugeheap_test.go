//go:build linux

package hugeheap

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// anonHuge is how much of the process's memory the kernel backs with
// transparent huge pages.
func anonHuge(t *testing.T) int {
	f, err := os.Open("/proc/self/smaps_rollup")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "AnonHugePages:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return kb << 10
		}
	}
	t.Skip("no AnonHugePages in smaps_rollup")
	return 0
}

// After a reservation, what the heap grows into comes in huge pages;
// small files reserve nothing.
func TestReserve(t *testing.T) {
	if !Advised() {
		b, _ := os.ReadFile(thp + "enabled")
		t.Skipf("transparent huge pages: %s (the reservation is for \"madvise\")", strings.TrimSpace(string(b)))
	}
	dir := t.TempDir()
	small := filepath.Join(dir, "small.pcap")
	if err := os.WriteFile(small, make([]byte, 1000), 0o600); err != nil {
		t.Fatal(err)
	}
	if ForFiles([]string{small, "-", filepath.Join(dir, "absent")}, nil) {
		t.Error("a reservation for 1,000 bytes of input")
	}
	before := anonHuge(t)
	large := filepath.Join(dir, "large.pcap")
	f, err := os.Create(large)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MinInput); err != nil { // sparse: its size is what counts
		t.Fatal(err)
	}
	f.Close()
	if !ForFiles([]string{large}, nil) {
		t.Fatal("no reservation for a large input")
	}
	// What a run keeps: many small objects with pointers.
	type node struct {
		next *node
		pad  [120]byte
	}
	var keep *node
	for range (48 << 20) / 128 {
		keep = &node{next: keep}
	}
	got := anonHuge(t) - before
	if got < 16<<20 {
		t.Errorf("%d MB of the heap in huge pages after the reservation, want at least 16", got>>20)
	}
	t.Logf("%d MB in huge pages", got>>20)
	_ = keep.next
}

// The input's size: regular files, and standard input ("-") only when it
// is a regular file itself; a file named "-" is not standard input.
func TestInputSize(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.pcap")
	if err := os.WriteFile(a, make([]byte, 1000), 0o600); err != nil {
		t.Fatal(err)
	}
	in, err := os.Open(a)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	t.Chdir(dir)
	if err := os.WriteFile("-", make([]byte, 5000), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		names []string
		stdin io.Reader
		want  int64
	}{
		{[]string{a, dir, filepath.Join(dir, "absent")}, nil, 1000},
		{[]string{a, "-"}, in, 2000},
		{[]string{"-"}, r, 0},
		{[]string{"-"}, strings.NewReader("x"), 0},
		{[]string{"-"}, nil, 0},
	} {
		if got := inputSize(c.names, c.stdin); got != c.want {
			t.Errorf("inputSize(%q, %T) = %d, want %d", c.names, c.stdin, got, c.want)
		}
	}
}

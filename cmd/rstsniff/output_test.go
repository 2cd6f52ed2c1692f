package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Outputs never destroy what is there: -o or -w naming an input is refused
// before anything is opened, a run that fails leaves an existing file as
// it was, and a run that succeeds replaces it whole, leaving no temporary
// file behind.
func TestOutputsAreSafe(t *testing.T) {
	dir := t.TempDir()
	capture, err := os.ReadFile("../../testdata/pcaps/reject-banner/capture.pcap")
	if err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, "x.pcap")
	if err := os.WriteFile(in, capture, 0o644); err != nil {
		t.Fatal(err)
	}
	unchanged := func(path string, want []byte) {
		t.Helper()
		if got, err := os.ReadFile(path); err != nil || string(got) != string(want) {
			t.Errorf("%s changed (%d bytes, want %d): %v", path, len(got), len(want), err)
		}
	}
	for _, flag := range []string{"-o", "-w"} {
		_, errOut, code := runCLI(t, "", "-r", in, flag, in)
		if code != exitUsage || !strings.Contains(errOut, "is also an input") {
			t.Errorf("%s naming the input: exit %d, %q", flag, code, errOut)
		}
		unchanged(in, capture)
		// The same file by another name.
		_, _, code = runCLI(t, "", "-r", in, flag, filepath.Join(dir, ".", "x.pcap"))
		if code != exitUsage {
			t.Errorf("%s naming the input by another path: exit %d", flag, code)
		}
		unchanged(in, capture)
	}
	// A run that fails (its input is missing) leaves existing outputs alone.
	old := []byte("an earlier report\n")
	for _, flag := range []string{"-o", "-w"} {
		out := filepath.Join(dir, "out"+flag)
		if err := os.WriteFile(out, old, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, _, code := runCLI(t, "", "-r", filepath.Join(dir, "missing.pcap"), flag, out); code != exitUsage {
			t.Errorf("%s with a missing input: exit %d", flag, code)
		}
		unchanged(out, old)
		// A run that succeeds (exit 1: a forged reset) replaces it.
		if _, _, code := runCLI(t, "", "-r", in, flag, out); code != exitAbnormal {
			t.Errorf("%s: exit %d", flag, code)
		}
		if got, _ := os.ReadFile(out); len(got) == 0 || string(got) == string(old) {
			t.Errorf("%s was not written: %q", flag, got)
		}
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "out-o")); !strings.Contains(string(got), "FORGED") {
		t.Errorf("-o holds %q", got)
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*tmp-*"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

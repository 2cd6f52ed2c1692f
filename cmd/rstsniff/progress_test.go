package main

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/rstsniff/rstsniff/internal/pcaptest"
)

// A capture over 100 MB read with stderr on a terminal shows the progress
// bar and erases it; with stderr on a pipe, nothing is written there.
// script(1) provides the terminal.
func TestProgressBar(t *testing.T) {
	script, err := exec.LookPath("script")
	if err != nil || testing.Short() {
		t.Skip("needs script(1) (util-linux), and not -short")
	}
	dir := t.TempDir()
	// 70,000 ARP-sized Ethernet frames of 1514 bytes: 107 MB that are no TCP.
	frame := make([]byte, 1514)
	binary.BigEndian.PutUint16(frame[12:], 0x0806)
	frames := make([]pcaptest.Frame, 70000)
	t0 := time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)
	for i := range frames {
		frames[i] = pcaptest.Frame{Data: frame, TS: t0.Add(time.Duration(i) * time.Microsecond)}
	}
	big := filepath.Join(dir, "big.pcap")
	if err := os.WriteFile(big, pcaptest.Encode(frames, binary.LittleEndian, false, 1, 65535), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := buildRstsniff(t)
	// On a terminal: script runs the command with its stdio on a pty and
	// copies what it wrote, stdout and stderr alike.
	out, err := exec.Command(script, "-qefc", bin+" -r "+big+" >/dev/null", "/dev/null").CombinedOutput()
	if err != nil {
		t.Fatalf("script: %v\n%q", err, out)
	}
	if !regexp.MustCompile(`\r\x1b\[K\S*big\.pcap: \d+ of 102 MB \(\d+%\)`).Match(out) {
		t.Errorf("no progress bar on the terminal: %q", out)
	}
	if !bytes.HasSuffix(bytes.TrimRight(out, "\r\n"), []byte("\r\x1b[K")) {
		t.Errorf("the bar was not erased at the end: %q", out[max(0, len(out)-40):])
	}
	// On a pipe: nothing on stderr.
	cmd := exec.Command(bin, "-r", big)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr on a pipe: %q", stderr.String())
	}
}

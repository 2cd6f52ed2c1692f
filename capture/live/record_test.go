package live

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/rstsniff/rstsniff/capture"
)

// TestRecord: a recording on the loopback keeps a connection's packets in
// a pcap file that package capture reads. It needs the right to capture
// (root); without it the test is skipped.
func TestRecord(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	path := filepath.Join(t.TempDir(), "own.pcap")
	rec, err := Record(Options{Interface: "lo", Filter: "tcp port " + itoa(port), Timeout: 20 * time.Millisecond}, path)
	if err != nil {
		t.Skipf("cannot capture on lo: %v", err)
	}
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if err := rec.Stop(200 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	rec.Remove() // not a temporary file: kept
	src, err := capture.Open(rec.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	n := 0
	for {
		if _, _, err := src.ReadFrame(); err != nil {
			break
		}
		n++
	}
	if n < 3 {
		t.Errorf("%d packets recorded, want the handshake at least", n)
	}
	// A temporary recording is removed.
	tmp, err := Record(Options{Interface: "lo", Filter: "tcp port " + itoa(port), Timeout: 20 * time.Millisecond}, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := tmp.Stop(0); err != nil {
		t.Fatal(err)
	}
	tmp.Remove()
	if _, err := os.Stat(tmp.Path()); !os.IsNotExist(err) {
		t.Errorf("temporary recording %s left: %v", tmp.Path(), err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

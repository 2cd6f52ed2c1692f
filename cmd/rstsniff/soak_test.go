package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSoakShort is make soak made short (bench/soak.sh): 20,000
// connections of the benchmark's failing mix replayed by tcpreplay at
// 100,000 packets/s through a veth pair into rstsniff -i with the kernel
// witness and --metrics. The kernel drops nothing, the metrics are served,
// and the live capture reports the same outcomes as reading the replayed
// file with the live capture's port filter. (Too short to see memory stay
// flat: make soak replays 1,000,000 connections for that.) Root and
// tcpreplay only; about 15 s.
func TestSoakShort(t *testing.T) {
	if os.Geteuid() != 0 || testing.Short() {
		t.Skip("root only (a network namespace and a veth pair)")
	}
	if _, err := exec.LookPath("tcpreplay"); err != nil {
		t.Skip("no tcpreplay (make test installs it as root)")
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "soak.pcap")
	out := filepath.Join(dir, "soak")
	cmd := exec.Command("bash", filepath.Join("..", "..", "bench", "soak.sh"))
	cmd.Env = append(os.Environ(), "N=20000", "PPS=100000", "WARMUP=1000", "SOAK_FILE="+file, "OUT="+out,
		"RSTSNIFF="+filepath.Join(dir, "rstsniff"))
	msg, err := cmd.CombinedOutput()
	t.Logf("%s", msg)
	if err != nil {
		t.Fatalf("bench/soak.sh: %v", err)
	}
	live := summaryOf(t, readFileT(t, out+".json"))
	// The live capture's default filter takes port 22 (and ICMP errors).
	var stdout bytes.Buffer
	run(context.Background(), []string{"-r", file, "--format", "json", "tcp", "port", "22"}, strings.NewReader(""), &stdout, io.Discard)
	offline := summaryOf(t, stdout.Bytes())
	if live.Flows < 19000 || live.Flows != offline.Flows || !maps.Equal(live.Outcomes, offline.Outcomes) {
		t.Errorf("live: %d connections %v; the file: %d %v", live.Flows, live.Outcomes, offline.Flows, offline.Outcomes)
	}
	if live.Dropped == nil || *live.Dropped != 0 {
		t.Errorf("kernel drops %v, want 0", live.Dropped)
	}
}

type soakSummary struct {
	Flows    int            `json:"flows"`
	Outcomes map[string]int `json:"outcomes"`
	Dropped  *int           `json:"kernel_drops"`
}

// summaryOf parses the summary, the last JSON line.
func summaryOf(t *testing.T, b []byte) soakSummary {
	t.Helper()
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	var s soakSummary
	if err := json.Unmarshal(lines[len(lines)-1], &s); err != nil {
		t.Fatalf("summary: %v", err)
	}
	return s
}

func readFileT(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

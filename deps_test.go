package rstsniff_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestPackageGraph keeps the data flow one-way: decode knows no capture
// library, analyze sees neither gopacket nor capture, report never reads
// packets, reading files needs no libpcap (capture does not pull in
// capture/live), pipeline joins capture, decode and analyze without libpcap
// or any output, correlate works on analyze's results only, sshdlog (the
// server's log) needs nothing but the standard library, and only
// cmd/rstsniff sees every package.
func TestPackageGraph(t *testing.T) {
	forbidden := map[string][]string{
		"decode":       {"github.com/gopacket/", "/capture", "/analyze", "/report", "/metrics"},
		"capture":      {"/decode", "/analyze", "/report", "/metrics", "gopacket/pcap$", "/live"},
		"capture/live": {"/decode", "/analyze", "/report", "/metrics"},
		"analyze":      {"github.com/gopacket/", "/capture", "/report", "/metrics", "prometheus", "/correlate"},
		"correlate":    {"github.com/gopacket/", "/capture", "/report", "/metrics", "prometheus"},
		"report":       {"github.com/gopacket/", "/capture", "/metrics", "prometheus"},
		"metrics":      {"github.com/gopacket/", "/capture", "/report"},
		// The kernel witness: facts with no BPF code; the loader sees no analysis.
		"kernel":       {"github.com/gopacket/", "/capture", "/analyze", "/report", "/metrics", "cilium"},
		"kernel/probe": {"github.com/gopacket/", "/capture", "/analyze", "/report", "/metrics", "/decode"},
		// The firewall's rules: the standard library and google/nftables
		// (with the netlink packages it needs), nothing of the analysis.
		"kernel/rules": {"github.com/gopacket/", "/capture", "/decode", "/analyze", "/report", "/metrics", "prometheus", "cilium", "/kernel/probe"},
		"explain":      {"github.com/gopacket/", "/capture", "/report", "/metrics", "prometheus", "/correlate"},
		"probe":        {"github.com/gopacket/", "/capture", "/decode", "/analyze", "/report", "/metrics", "prometheus"},
		"pipeline":     {"/report", "/metrics", "prometheus", "/correlate", "gopacket/pcap$", "/live"},
		"sshdlog":      {"github.com/", "/capture", "/decode", "/analyze", "/correlate", "/report", "/metrics"},
		// -w's recorder: the pipeline's seam and a pcapng writer, no output.
		"pipeline/record": {"/report", "/metrics", "prometheus", "/correlate", "gopacket/pcap$", "/live"},
		// The kernel witness during a live capture: facts joined to flows,
		// no words and no metrics (a callback counts).
		"kernel/watch": {"github.com/gopacket/", "/capture", "/report", "/metrics", "prometheus", "/pipeline"},
		// Outputs written beside and renamed: the standard library only.
		"internal/atomicfile": {"github.com/"},
		"internal/buildinfo":  {"github.com/"},
		// Huge pages for the heap: the standard library and x/sys.
		"internal/hugeheap": {"github.com/"},
		// Dropping root (-Z): the standard library only.
		"internal/privs": {"github.com/"},
		// The terminal and the progress bar: no analysis, no words.
		"internal/term": {"/capture", "/analyze", "/report"},
		// Flows written as lines on a goroutine: the encoder is the caller's.
		"internal/lines": {"/capture", "/report", "/pipeline"},
		// The JSON contract and its documentation: the standard library only.
		"schema": {"github.com/"},
		// The one catalog of findings, for every witness: likewise.
		"catalog": {"github.com/"},
		// rstsniff run: facts report may read (no BPF), and the runner that
		// neither captures nor speaks.
		"runcmd":        {"github.com/gopacket/", "/capture", "/report", "/metrics", "prometheus", "cilium", "/runner", "/pipeline"},
		"runcmd/runner": {"github.com/gopacket/", "/capture", "/report", "/metrics", "prometheus", "/pipeline", "/kernel/probe"},
		// OTLP export carries report's words; it reads no packets and serves
		// no metrics.
		"otlp": {"github.com/gopacket/", "/capture", "/pipeline", "/metrics", "prometheus"},
		// Capture files judged into report's results, the server's log
		// joined: no metrics, no OTLP, no kernel witness (BPF), no
		// command to run.
		"ingest": {"/metrics", "prometheus", "/otlp", "go.opentelemetry.io/", "cilium", "/kernel/", "/runcmd/runner"},
		// rstsniff probe's sequence: the probe, its capture and the
		// judging, no output, no metrics.
		"probe/session": {"/metrics", "prometheus", "/otlp", "go.opentelemetry.io/", "/runcmd/runner"},
		// The man page and completions: pflag and the standard library.
		"internal/docgen": {"github.com/rstsniff/rstsniff/", "github.com/gopacket/", "prometheus", "cilium"},
	}
	// The OpenTelemetry SDK stays in package otlp (and the binary).
	for _, pkg := range []string{"analyze", "pipeline", "report", "metrics"} {
		forbidden[pkg] = append(forbidden[pkg], "go.opentelemetry.io/")
	}
	for pkg, bad := range forbidden {
		out, err := exec.Command("go", "list", "-deps", "./"+pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, b := range bad {
				match := strings.Contains(dep, b)
				if exact, ok := strings.CutSuffix(b, "$"); ok {
					match = strings.HasSuffix(dep, exact)
				}
				if match && !strings.HasSuffix(dep, "rstsniff/"+pkg) && !strings.HasPrefix(dep, "github.com/rstsniff/rstsniff/"+pkg+"/") {
					t.Errorf("%s depends on %s", pkg, dep)
				}
			}
		}
	}
}

// Package session is rstsniff probe's whole sequence, between its flags
// (cmd/rstsniff) and its report (report.WriteProbe): capture on the
// interface the route to the target leaves by (capture/live), open the
// connections (probe), once more with a small MSS when one stalled after
// the handshake, judge the probe's own packets as -r judges a capture
// (ingest, in this process), join the server's log and the kernel
// witness's word to them, decide --locate on the sender of each reset
// (PlanLocate: a device on the path yes, a host's own firewall never) and
// repeat its trigger with growing TTLs.
//
// Package probe stays free of packets and analysis; this package is where
// its results meet them. It writes nothing: errors say which step failed
// (-w, capture, analysis, --locate), and the caller words the line.
//
// Goroutines: Run works on the caller's goroutine; probe.Run's and the
// recording's goroutines are described in their packages.
package session

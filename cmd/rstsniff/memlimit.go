package main

import (
	"os"
	"runtime/debug"
)

// A live capture runs for days as a service: left alone, Go's collector
// lets the heap grow to twice what is live, and the live heap follows the
// connections held at once (--max-flows, about 3 KB each). make soak
// (1,000,000 connections at 300,000 packets/s, 2026-12-04) measured a live
// heap of 145-180 MB and a resident size that kept climbing to 412 MB; with
// a soft limit of 256 MiB it stayed flat at 278 MB, with no kernel drop and
// the same connections reported.
const (
	liveMemBase    = 112 << 20 // everything but the held connections: buffers, baselines, history, runtime
	liveMemPerFlow = 3 << 10   // one held connection (analyze.DefaultMaxFlows' measurement)
)

// liveMemoryLimit is the soft memory limit (runtime/debug.SetMemoryLimit) of
// a live capture holding up to maxFlows connections: about 258 MiB at the
// default 50,000.
func liveMemoryLimit(maxFlows int) int64 {
	return liveMemBase + int64(maxFlows)*liveMemPerFlow
}

// setLiveMemoryLimit sets it, unless GOMEMLIMIT already says what the
// operator wants.
func setLiveMemoryLimit(maxFlows int) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(liveMemoryLimit(maxFlows))
}

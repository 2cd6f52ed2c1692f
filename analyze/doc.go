// Package analyze rebuilds TCP connections from decoded segments, follows
// the SSH protocol through its cleartext part and says how each connection
// ended, who really sent each reset and which patterns it shows. It
// returns facts (typed values); package report turns them into words.
//
// Data flow: the caller feeds decode.Segment values in capture order to an
// Analyzer (Packet), takes the connections that ended out of its table
// (Collect, CollectAll) and has them judged in the order they were taken
// (Judge), which returns plain Flow values. Time comes only from packet
// timestamps, so a replayed capture and a live run agree. Memory per flow
// is bounded: each direction buffers at most one partial line or KEXINIT
// and maxPending bytes of out-of-order data, and nothing after NEWKEYS.
//
// Ownership: an Analyzer is not safe for concurrent use. Packet and
// Collect must run on one goroutine (they own the flow table); Judge may
// run on another, batch after batch in the order Collect made them, since
// it alone owns the host TTL baselines and the rate history. A Flow handed
// over is never touched again by the analyzer.
//
// Files, by what they hold:
//
//	analyzer.go    Analyzer, New, Packet: a segment finds its flow
//	config.go      Config
//	ports.go       ParsePorts: a list of server ports for Config.Ports
//	thresholds.go  every threshold, with its source
//	flowkey.go     the flow key and its hash
//	flowtable.go   the open-addressed flow table
//	flow.go        per-flow and per-direction state
//	duplicates.go  copies of one packet seen at two interfaces
//	packetlog.go   the packets kept for reports (Config.KeepPackets)
//	tcp.go         how the TCP state advances: segments, resets, stages
//	stream.go      reassembly of each direction
//	ssh.go         the SSH walker (RFC 4253 cleartext part)
//	auth.go        the authentication heuristic (Zeek's)
//	observe.go     per-packet observations for the forensics (hot path)
//	ttl.go         TTL histograms and hop counts
//	baselines.go   per-host TTL baselines across flows
//	table.go       the bounded tables Judge keeps across connections
//	verdict.go     each reset's origin from its evidence
//	facts.go       the evidence types (Signal, Evidence, SeqState, ...)
//	catalog.go     finding IDs (= rank) and their names; package catalog holds the rest
//	detectors.go   the per-connection and cross-connection detectors
//	residual.go    residual blocks: forged resets remembered across connections
//	fingerprints.go published fingerprints of forged resets: catalog and matchers
//	strength.go    how strong each origin verdict is, and what decided it
//	outcome.go     how a connection ended, finishing a flow
//	handover.go    Collect, Judge, Expire: when a flow is handed over
//	icmp.go        ICMP errors filed under their connection
//	zeek.go        Zeek's conn_state, history and Community ID
//	logconn.go     what sshdlog's join needs of a flow (Flow.LogConn)
//	median.go      the median cut the bounded tables are pruned by
//	types.go       the result types: Flow, Reset, Stage, Outcome, Side
package analyze

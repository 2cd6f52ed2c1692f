// Package pipeline runs one capture through decoding and analysis and
// streams the judged connections to a sink: the same loop for capture files
// and for a live capture, which differ only in the Expiry they pass (packet
// time or the wall clock).
//
// Data flow: capture.Source -> decode.Decode -> analyze.Analyzer.Packet;
// as time goes by, Collect takes the connections that ended out of the
// table, Judge gives their verdicts, the Recorder (if any) is told, and
// the Sink gets each flow. Run returns Stats: facts about the input
// (frames, time span, frames skipped and why, how it ended); the caller
// words them.
//
// Goroutines and what each owns:
//   - The caller's goroutine (the packet loop) owns the Source, the
//     decode.Segment, the Analyzer's table (Packet, Collect, CollectAll,
//     Open, OldestOpen) and the Stats. It calls Recorder.Add.
//   - With no Recorder and a second CPU (files and live alike), one
//     judging goroutine owns the Analyzer's verdict state (Judge: host
//     baselines, rate history) and, with PacketTime, the heap of flows
//     waiting for earlier ones, and alone calls the Sink. Batches reach it
//     in the order Collect made them, over a channel of judgeQueue, so the
//     verdicts are those of a serial run. A Sink error stops the packet
//     loop at its next collection. Otherwise (with a Recorder, or on one
//     CPU) the packet loop judges, calls Recorder.Done and the Sink itself.
//   - Run returns only after the judging goroutine has ended: the Sink is
//     not called after Run returns.
//
// Read-ahead of capture files is capture.ReadAhead's, which the caller
// wraps around the Source; a live source is read directly, as its
// ReadFrame times out (capture.ErrTimeout) so that expiry goes on when no
// packet comes.
package pipeline

package ingest

import (
	"context"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/capture/live"
	"github.com/rstsniff/rstsniff/pipeline"
	"github.com/rstsniff/rstsniff/pipeline/record"
	"github.com/rstsniff/rstsniff/report"
)

// LiveHooks are a live capture's counters (--metrics); nil ones are not
// called.
type LiveHooks struct {
	Frame func()                  // each frame read
	Drops func(kernel, iface int) // the capture's drop counters, at each tick
}

// Live judges a live capture (src, opened on iface) on the caller's
// goroutine until ctx ends, limit packets were read (0: no limit) or sink
// returns an error, passing each flow to sink as soon as it is judged.
// Packet timestamps come from the system clock, so the capture's "now" is
// the clock too. rec (nil: none) is -w's recorder. It returns the capture
// as report names it and fills tally's capture counters and evictions.
func Live(ctx context.Context, c *Config, src *live.Source, iface string, limit int, rec *record.Writer, h LiveHooks, tally *report.Tally, sink func(*analyze.Flow) error) (report.Input, error) {
	in := report.Input{Name: iface, Format: src.Format()}
	a := c.Analyzer(iface, 0)
	cfg := pipeline.Config{Analyzer: a, MaxFlows: c.MaxFlows, Limit: limit, Tick: func() {
		if st, err := src.Stats(); err == nil && h.Drops != nil {
			h.Drops(st.Dropped, st.IfDropped)
		}
	}}
	if rec != nil {
		cfg.Recorder = rec
	}
	st, err := pipeline.Run(ctx, live.Frames(src, iface, h.Frame), cfg, pipeline.WallClock(), sink)
	if err != nil {
		return in, err
	}
	in.Frames, in.Start, in.End, in.Tunnelled = st.Frames, st.Start, st.End, st.Tunnelled
	in.Warnings = append(in.Warnings, report.InputWarnings(skipsOf(st))...)
	if st, err := src.Stats(); err == nil {
		tally.Capture = &report.CaptureStats{Received: st.Received, Dropped: st.Dropped, IfDropped: st.IfDropped}
	}
	tally.Evicted = a.Evicted()
	return in, nil
}

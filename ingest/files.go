package ingest

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/capture"
	"github.com/rstsniff/rstsniff/capture/live"
	"github.com/rstsniff/rstsniff/internal/term"
	"github.com/rstsniff/rstsniff/pipeline"
	"github.com/rstsniff/rstsniff/pipeline/record"
	"github.com/rstsniff/rstsniff/report"
)

// Config is how captures are judged: the analyzer's settings, the filter
// expression and how many files are read at once.
type Config struct {
	Ports                             []uint16
	IdleThreshold, Grace, FlowTimeout time.Duration
	MaxFlows                          int
	KeepPackets                       int    // per connection, for the reports (analyze.KeepAll: every one)
	Filter                            string // pcap-filter(7) expression; "" for none
	Jobs                              int    // files read at once
}

// Analyzer sets up the analyzer of the index-th input of a run. Each gets
// its own range of flow handles: the -w recorder tells flows apart by
// handle across files.
func (c *Config) Analyzer(name string, index int) *analyze.Analyzer {
	return analyze.New(analyze.Config{Ports: c.Ports, File: name, IdleThreshold: c.IdleThreshold,
		Grace: c.Grace, FlowTimeout: c.FlowTimeout, MaxFlows: c.MaxFlows, KeepPackets: c.KeepPackets, HandleBase: uint64(index) << 40})
}

// Files reads every input ("-" is stdin) into r.Inputs, passing each flow
// to sink. Several files are read at once (up to c.Jobs), each into its
// own analyzer; their flows then go to the sink file by file, so the
// output is the one a serial run prints. Standard input and a packet
// limit (budget: the packets still allowed, 0 for no limit) keep the
// serial path. rec (nil: none) is -w's recorder.
func Files(ctx context.Context, c *Config, names []string, stdin io.Reader, stderr io.Writer, budget *int, rec *record.Writer, sink func(*analyze.Flow), r *report.Run) error {
	parallel := len(names) > 1 && c.Jobs > 1 && *budget == 0 && !slices.Contains(names, "-")
	if !parallel {
		for i, name := range names {
			in, err := File(ctx, c, name, i, stdin, stderr, budget, rec, sink)
			if err != nil {
				return err
			}
			r.Inputs = append(r.Inputs, in)
		}
		return nil
	}
	type result struct {
		in    report.Input
		flows []*analyze.Flow
		err   error
	}
	results := make([]result, len(names))
	slots := make(chan struct{}, c.Jobs)
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			res := &results[i]
			keep := func(f *analyze.Flow) { res.flows = append(res.flows, f) }
			if i == 0 {
				// The first file's flows are printed first anyway: no need to hold them.
				keep = sink
			}
			res.in, res.err = File(ctx, c, name, i, stdin, io.Discard, budget, rec, keep)
		}()
	}
	wg.Wait()
	for _, res := range results {
		if res.err != nil {
			return res.err
		}
		for _, f := range res.flows {
			sink(f)
		}
		r.Inputs = append(r.Inputs, res.in)
	}
	return nil
}

// File reads one capture, the index-th of the run, through the pipeline
// by packet time. budget counts down the packets still allowed (0: no
// limit).
func File(ctx context.Context, c *Config, name string, index int, stdin io.Reader, stderr io.Writer, budget *int, rec *record.Writer, sink func(*analyze.Flow)) (report.Input, error) {
	in := report.Input{Name: name}
	var src capture.Source
	var err error
	if name == "-" {
		src, err = capture.NewReader("-", stdin)
	} else {
		src, err = capture.Open(name)
	}
	if err != nil {
		return in, err
	}
	in.Format = src.Format()
	bar := term.StartProgress(stderr, name, report.Safe(name), src)
	defer bar.Stop()
	stopper, _ := src.(capture.Stopper)
	src = capture.ReadAhead(src)
	defer src.Close()
	a := c.Analyzer(name, index)
	cfg := pipeline.Config{Analyzer: a, MaxFlows: c.MaxFlows, Limit: *budget}
	if c.Filter != "" {
		cfg.Match = live.NewMatcher(c.Filter)
	}
	if rec != nil {
		cfg.Recorder = rec
	}
	st, err := pipeline.Run(ctx, src, cfg, pipeline.PacketTime(), func(f *analyze.Flow) error {
		sink(f)
		return nil
	})
	if *budget > 0 {
		*budget -= st.Frames
	}
	in.Frames, in.Start, in.End, in.Tunnelled = st.Frames, st.Start, st.End, st.Tunnelled
	if stopper != nil {
		in.Stopped = stopper.Stopped()
	}
	if err != nil {
		return in, err
	}
	skips := skipsOf(st)
	skips.Interrupted = st.Interrupted
	if re := st.Damaged; re != nil {
		skips.Damaged = &report.InputDamage{Frame: re.Frame, Offset: re.Offset, Err: re.Err}
	}
	skips.Evicted = a.Evicted()
	in.Warnings = append(in.Warnings, report.InputWarnings(skips)...)
	if in.Frames == 0 && len(in.Warnings) > 0 {
		return in, fmt.Errorf("%s: no packet could be read: %s", name, in.Warnings[0])
	}
	return in, nil
}

// skipsOf are the frames a run skipped: frames that could not be decoded,
// fragments that were not reassembled and frames of link types rstsniff
// does not read.
func skipsOf(st pipeline.Stats) report.InputSkips {
	return report.InputSkips{Undecodable: st.Undecodable, FirstBad: st.FirstUndecodable, Unsupported: st.Unsupported,
		Fragments: st.Fragments, FirstFragment: st.FirstFragment}
}

// List is a sink for Files that numbers the flows from 1, counts each in
// r's tally and passes it to also (nil: none); then lines (nil: none)
// takes it, or r.Flows keeps it if a listing shows it: every one with all,
// else the notable ones, up to limit, the others shown counted as unlisted.
// Memory follows what is listed, not the length of the capture.
func List(r *report.Run, all bool, limit int, also, lines func(*analyze.Flow)) func(*analyze.Flow) {
	nextID := 1
	return func(f *analyze.Flow) {
		f.ID = nextID
		nextID++
		r.Tally.Add(f)
		if also != nil {
			also(f)
		}
		switch {
		case lines != nil:
			lines(f)
		case all || f.Notable():
			if len(r.Flows) < limit {
				r.Flows = append(r.Flows, f)
			} else {
				r.Tally.Unlisted++
			}
		}
	}
}

// KeepAll is List keeping every connection in r.Flows (the server's log
// and the probe join them all); also (nil: none) sees each.
func KeepAll(r *report.Run, also func(*analyze.Flow)) func(*analyze.Flow) {
	return List(r, true, math.MaxInt, also, nil)
}

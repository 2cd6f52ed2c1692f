package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/capture"
	"github.com/rstsniff/rstsniff/capture/live"
	"github.com/rstsniff/rstsniff/internal/lines"
	"github.com/rstsniff/rstsniff/internal/term"
	"github.com/rstsniff/rstsniff/pipeline"
	"github.com/rstsniff/rstsniff/pipeline/record"
	"github.com/rstsniff/rstsniff/report"
)

// runFiles reads the capture files (-r) and prints the verdicts in the
// chosen format.
func runFiles(ctx context.Context, o *options, stdin io.Reader, stdout, stderr io.Writer) error {
	r := &report.Run{Tally: &report.Tally{}, Version: reportVersion()}
	budget := o.count
	rec, err := newRecorder(o.write)
	if err != nil {
		return err
	}
	defer rec.Abort() // unless Close wrote it whole
	// Flows arrive in order of first packet. JSON prints each at once; the
	// other formats keep only what they show, so memory follows the
	// connections open at once, not the length of the capture.
	multi := len(o.reads) > 1
	nextID := 1
	// JSON and ECS lines are written on a goroutine of their own
	// (internal/lines), ECS one document per connection and per reset, no
	// summary.
	var out *lines.Writer
	switch o.format {
	case formatJSON:
		out = lines.Start(stdout, multi, report.JSONFlow)
	case formatECS:
		out = lines.Start(stdout, multi, report.ECS)
	}
	ot, err := startOTLP(ctx, o, multi, stderr, nil) // otlp.go
	if err != nil {
		return err
	}
	sink := func(f *analyze.Flow) {
		f.ID = nextID
		nextID++
		r.Tally.Add(f)
		ot.flow(f)
		switch {
		case out != nil:
			out.Send(f)
		case o.all || f.Notable():
			if len(r.Flows) < listLimit(o.format) {
				r.Flows = append(r.Flows, f)
			} else {
				r.Tally.Unlisted++
			}
		}
	}
	err = analyzeFiles(ctx, o, stdin, stderr, &budget, rec, sink, r)
	if err != nil {
		ot.close(nil)
	} else {
		ot.close(r)
	}
	var outErr error
	if out != nil {
		outErr = out.Close()
	}
	if err != nil {
		return err
	}
	if outErr != nil {
		return fmt.Errorf("writing output: %v", outErr)
	}
	if rec != nil {
		if err := rec.Close(); err != nil {
			return err
		}
	}
	tm := term.Of(stdout)
	// Warnings go to standard error, where they are seen even when the
	// report goes to a file or a pipe; the report holds them too (the
	// table's own lines say them on a terminal already).
	if !(tm.TTY && o.format == formatTable) {
		for _, w := range r.Warnings() {
			fmt.Fprintf(stderr, "rstsniff: warning: %s\n", report.Safe(w))
		}
	}
	meta := report.Meta{Version: reportVersion(), Command: o.command, All: o.all}
	switch o.format {
	case formatJSON:
		err = report.JSONSummary(stdout, r)
	case formatECS:
	case formatMarkdown:
		err = report.Markdown(stdout, r, meta)
	case formatHTML:
		err = report.HTML(stdout, r, meta)
	default:
		err = report.Table(stdout, r, report.TableOptions{All: o.all, Explain: o.explain, Width: tm.Width, Color: tm.Color})
	}
	if err != nil {
		return fmt.Errorf("writing output: %v", err)
	}
	if r.Abnormal() {
		return exitWith(exitAbnormal, nil)
	}
	return nil
}

// analyzeFiles reads every input. Several files are read at once (up to
// --jobs), each into its own analyzer; their flows then go to the sink file
// by file, so the output is the one a serial run prints. Standard input and
// -c keep the serial path.
func analyzeFiles(ctx context.Context, o *options, stdin io.Reader, stderr io.Writer, budget *int, rec *record.Writer, sink func(*analyze.Flow), r *report.Run) error {
	parallel := len(o.reads) > 1 && o.jobs > 1 && o.count == 0 && !slices.Contains(o.reads, "-")
	if !parallel {
		for i, name := range o.reads {
			in, err := analyzeFile(ctx, name, i, stdin, stderr, o, budget, rec, sink)
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
	results := make([]result, len(o.reads))
	slots := make(chan struct{}, o.jobs)
	var wg sync.WaitGroup
	for i, name := range o.reads {
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
			res.in, res.err = analyzeFile(ctx, name, i, stdin, io.Discard, o, budget, rec, keep)
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

// analyzeFile reads one capture, the index-th of the run, through the
// pipeline by packet time. budget counts down the packets -c still allows
// (0: no limit).
func analyzeFile(ctx context.Context, name string, index int, stdin io.Reader, stderr io.Writer, o *options, budget *int, rec *record.Writer, sink func(*analyze.Flow)) (report.Input, error) {
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
	a := newAnalyzer(o, name, index)
	cfg := pipeline.Config{Analyzer: a, MaxFlows: o.maxFlows, Limit: *budget}
	if o.filter != "" {
		cfg.Match = live.NewMatcher(o.filter)
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
	in.Frames, in.Start, in.End = st.Frames, st.Start, st.End
	if stopper != nil {
		in.Stopped = stopper.Stopped()
	}
	if err != nil {
		return in, err
	}
	if st.Interrupted {
		in.Warnings = append(in.Warnings, "interrupted: results cover the packets read so far")
	}
	if re := st.Damaged; re != nil {
		in.Warnings = append(in.Warnings, fmt.Sprintf("capture damaged or cut short after %d packets (byte %d): %v; results cover the packets before it", re.Frame-1, re.Offset, re.Err))
	}
	in.Warnings = append(in.Warnings, frameWarnings(st)...)
	if n := a.Evicted(); n > 0 {
		in.Warnings = append(in.Warnings, fmt.Sprintf("%d connection%s reported early: more than --max-flows were open at once", n, plural(n)))
	}
	if in.Frames == 0 && len(in.Warnings) > 0 {
		return in, fmt.Errorf("%s: no packet could be read: %s", name, in.Warnings[0])
	}
	return in, nil
}

// newAnalyzer sets up the analyzer of the index-th input of a run. Each
// gets its own range of flow handles: the -w recorder tells flows apart
// by handle across files.
func newAnalyzer(o *options, name string, index int) *analyze.Analyzer {
	keep := 0
	if o.format.report() {
		keep = reportPackets // the reports draw each connection's packets
	}
	if o.correlate {
		keep = correlatePackets
	}
	return analyze.New(analyze.Config{Ports: o.ports, File: name, IdleThreshold: o.idle,
		Grace: o.grace, FlowTimeout: o.timeout, MaxFlows: o.maxFlows, KeepPackets: keep, HandleBase: uint64(index) << 40})
}

// reportPackets is how many packets per connection the reports keep.
const reportPackets = 120

// listLimit is how many connections the table or a report lists; past it
// they are counted (JSON prints every one). It bounds memory too.
func listLimit(f format) int {
	if f.report() {
		return 200
	}
	return 1000
}

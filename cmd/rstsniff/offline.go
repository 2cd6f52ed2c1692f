package main

import (
	"context"
	"fmt"
	"io"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/ingest"
	"github.com/rstsniff/rstsniff/internal/hugeheap"
	"github.com/rstsniff/rstsniff/internal/lines"
	"github.com/rstsniff/rstsniff/internal/term"
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
	// JSON and ECS lines are written on a goroutine of their own
	// (internal/lines), ECS one document per connection and per reset, no
	// summary.
	var out *lines.Writer
	switch o.format {
	case report.FormatJSON:
		out = lines.Start(stdout, multi, report.JSONFlow)
	case report.FormatECS:
		out = lines.Start(stdout, multi, report.ECS)
	}
	ot, err := startOTLP(ctx, o, multi, stderr, nil) // otlp.go
	if err != nil {
		return err
	}
	var send func(*analyze.Flow)
	if out != nil {
		send = out.Send
	}
	sink := ingest.List(r, o.all, o.format.ListLimit(), ot.Flow, send)
	hugeheap.ForFiles(o.reads, stdin) // a large capture's heap in huge pages (internal/hugeheap)
	err = ingest.Files(ctx, ingestConfig(o), o.reads, stdin, stderr, &budget, rec, sink, r)
	if err != nil {
		ot.Close(nil)
	} else {
		ot.Close(r)
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
	if !(tm.TTY && o.format == report.FormatTable) {
		for _, w := range r.Warnings() {
			fmt.Fprintf(stderr, "rstsniff: warning: %s\n", report.Safe(w))
		}
	}
	meta := report.Meta{Version: reportVersion(), Command: o.command, All: o.all}
	// JSON and ECS went out line by line: JSON's summary is left.
	err = report.WriteFlows(stdout, o.format, r, nil, meta, multi, report.TableOptions{All: o.all, Explain: o.explain, Width: tm.Width, Color: tm.Color})
	if err != nil {
		return fmt.Errorf("writing output: %v", err)
	}
	if r.Abnormal() {
		return exitWith(exitAbnormal, nil)
	}
	return nil
}

// ingestConfig is how the options judge captures (package ingest): the
// reports keep each connection's packets to draw them, --correlate every
// packet.
func ingestConfig(o *options) *ingest.Config {
	keep := 0
	if o.format.Report() {
		keep = reportPackets // the reports draw each connection's packets
	}
	if o.correlate {
		keep = correlatePackets
	}
	return &ingest.Config{Ports: o.ports, IdleThreshold: o.idle, Grace: o.grace, FlowTimeout: o.timeout,
		MaxFlows: o.maxFlows, KeepPackets: keep, Filter: o.filter, Jobs: o.jobs}
}

// reportPackets is how many packets per connection the reports keep.
const reportPackets = 120

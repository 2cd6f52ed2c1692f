package main

import (
	"context"
	"fmt"
	"io"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/capture/live"
	"github.com/rstsniff/rstsniff/ingest"
	"github.com/rstsniff/rstsniff/internal/privs"
	"github.com/rstsniff/rstsniff/metrics"
	"github.com/rstsniff/rstsniff/report"
)

// runLive captures on an interface and prints each connection's verdict
// as soon as it is known; on SIGINT/SIGTERM, -c or --duration it prints the
// summary. It is the pipeline of a file, by the wall clock.
func runLive(ctx context.Context, o *options, stdout, stderr io.Writer) error {
	setLiveMemoryLimit(o.maxFlows) // memlimit.go
	src, err := live.Open(live.Options{Interface: o.iface, Snaplen: o.snaplen, BufferKiB: o.bufKiB,
		Promisc: o.promisc, Filter: o.filter, Ports: o.ports})
	if err != nil {
		return err
	}
	defer src.Close()
	ll, err := startLiveLog(ctx, o, stderr) // --sshd-log: sshdlog_live.go
	if err != nil {
		return err
	}
	var m *metrics.Metrics
	if o.metrics != "" {
		// Listen before dropping privileges, as a low port may need them.
		if m, err = metrics.Serve(o.metrics); err != nil {
			return err
		}
		defer m.Close()
	}
	// Before dropping privileges: the TLS files it reads may be root's.
	ot, err := startOTLP(ctx, o, false, stderr, m) // otlp.go
	if err != nil {
		return err
	}
	// The kernel witness loads its programs before privileges are dropped.
	kw := startKernel(o, stderr, m)
	defer kw.Close()
	if o.user != "" {
		if err := privs.Drop(o.user); err != nil {
			return fmt.Errorf("-Z %s: %v", o.user, err)
		}
		fmt.Fprintf(stderr, "rstsniff: dropped privileges to %s\n", o.user)
	}
	// Opened after dropping privileges, as tcpdump does.
	rec, err := newRecorder(o.write)
	if err != nil {
		return err
	}
	defer rec.Abort() // unless Close wrote it whole
	fmt.Fprintf(stderr, "rstsniff: %s\n", src.Format())

	tally := &report.Tally{}
	nextID := 1
	sink := func(f *analyze.Flow) error {
		kw.Attribute([]*analyze.Flow{f})
		f.ID = nextID
		nextID++
		tally.Add(f)
		m.Flow(f)
		ot.Flow(f)
		return report.StreamFlow(stdout, o.format, f, o.all, o.explain, ll.join())
	}
	if o.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.duration)
		defer cancel()
	}
	in, err := ingest.Live(ctx, ingestConfig(o), src, o.iface, o.count, rec, ingest.LiveHooks{Frame: m.Packet, Drops: m.Drops}, tally, sink)
	if err != nil {
		ot.Close(nil)
		return err
	}
	// Every connection is attributed: the witness's losses are the input's
	// warnings, said with the others in the summary.
	in.Warnings = append(in.Warnings, kernelLosses(kw)...)
	if rec != nil {
		tally.Recorded = &report.RecordStats{Path: o.write, Flows: rec.Flows, Packets: rec.Packets, Omitted: rec.Omitted}
		if err := rec.Close(); err != nil {
			fmt.Fprintf(stderr, "rstsniff: %v\n", err)
		}
	}
	r := &report.Run{Inputs: []report.Input{in}, Tally: tally, Version: reportVersion()}
	ot.Close(r)
	if err := report.WriteSummary(stdout, stderr, o.format, r); err != nil {
		return exitWith(exitUsage, nil)
	}
	if r.Abnormal() {
		return exitWith(exitAbnormal, nil)
	}
	return nil
}

// listInterfaces is -D: the interfaces rstsniff can capture on.
func listInterfaces(stdout io.Writer) error {
	ifs, err := live.Interfaces()
	if err != nil {
		return err
	}
	for i, f := range ifs {
		fmt.Fprintf(stdout, "%d.%s\n", i+1, f)
	}
	return nil
}

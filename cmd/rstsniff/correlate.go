package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/correlate"
	"github.com/rstsniff/rstsniff/ingest"
	"github.com/rstsniff/rstsniff/internal/hugeheap"
	"github.com/rstsniff/rstsniff/report"
)

// correlatePackets is how many packets per connection --correlate keeps:
// all of them, as a packet missing from one capture is the point (112
// bytes each).
const correlatePackets = analyze.KeepAll

// runCorrelate analyses each capture keeping every packet of every
// connection, then compares the two, or looks for jump-host legs in one.
func runCorrelate(ctx context.Context, o *options, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(o.reads) == 2 {
		a, errA := os.Stat(o.reads[0])
		b, errB := os.Stat(o.reads[1])
		if errA == nil && errB == nil && os.SameFile(a, b) {
			return fmt.Errorf("--correlate: %s and %s are the same file: give the captures of the two ends", o.reads[0], o.reads[1])
		}
	}
	c := &report.Correlation{All: o.all, Limit: o.format.ListLimit()}
	var caps []*correlate.Capture
	budget := o.count
	cfg := ingestConfig(o)
	hugeheap.ForFiles(o.reads, stdin) // every packet kept: a large heap (internal/hugeheap)
	for i, name := range o.reads {
		capt := &correlate.Capture{Name: name}
		id := 1
		in, err := ingest.File(ctx, cfg, name, i, stdin, stderr, &budget, nil, func(f *analyze.Flow) {
			f.ID = id
			id++
			capt.Flows = append(capt.Flows, f)
		})
		if err != nil {
			return err
		}
		capt.Start, capt.End, capt.Stopped = in.Start, in.End, in.Stopped
		c.Inputs = append(c.Inputs, in)
		caps = append(caps, capt)
		if jumps := correlate.Legs(capt); len(jumps) > 0 {
			c.Jumps = append(c.Jumps, report.CaptureJumps{Capture: name, Jumps: jumps})
		}
	}
	if len(caps) == 2 {
		c.Result = correlate.Compare(caps[0], caps[1])
	}
	if len(caps) == 1 && len(c.Jumps) == 0 {
		return &usageError{fmt.Sprintf("--correlate: %s holds no jump host's two legs, and one capture has nothing to be compared with: give the client side's and the server side's captures (-r client.pcap -r server.pcap)", o.reads[0])}
	}
	meta := report.Meta{Version: reportVersion(), Command: o.command, All: o.all}
	// The server's log (--sshd-log), joined to each capture: sshdlog.go.
	err := report.WriteCorrelation(stdout, o.format, c, meta, o.all, func() ([]report.CaptureServerLog, error) {
		return correlateServerLogs(o, stdin, caps)
	})
	if err != nil {
		return fmt.Errorf("writing output: %v", err)
	}
	if c.Abnormal() {
		return exitWith(exitAbnormal, nil)
	}
	return nil
}

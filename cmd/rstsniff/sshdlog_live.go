package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/report"
	"github.com/rstsniff/rstsniff/sshdlog"
)

// liveLog is the server's log followed during a live capture
// (sshdlog.Live), each connection joined to it as it is handed over. Its
// methods work on a nil *liveLog (no log given): they write the flow as
// without one.
type liveLog struct{ *sshdlog.Live }

// startLiveLog opens every log now (before -Z drops privileges) and follows
// them until ctx ends. Nil when no log was given.
func startLiveLog(ctx context.Context, o *options, stderr io.Writer) (*liveLog, error) {
	names := append(append([]string{}, o.sshdLogs...), o.fail2banLogs...)
	if len(names) == 0 {
		return nil, nil
	}
	zone, err := logZone(o)
	if err != nil {
		return nil, err
	}
	l, err := sshdlog.StartLive(ctx, names, sshdlog.ReadOptions{Zone: zone, Near: time.Now()}, os.Stdin, func(name string, err error) {
		fmt.Fprintf(stderr, "rstsniff: following %s: %v\n", name, err)
	})
	if err != nil {
		return nil, err
	}
	return &liveLog{l}, nil
}

// jsonFlow writes f as a JSON line, with "sshd_log" when the log speaks of
// it.
func (ll *liveLog) jsonFlow(w io.Writer, f *analyze.Flow) error {
	if ll == nil {
		return report.JSONFlow(w, f, false)
	}
	return report.JSONFlowServerLog(w, f, false, ll.Join(f.LogConn()))
}

// streamLine writes f's line and, under it, the server's account of it.
func (ll *liveLog) streamLine(w io.Writer, f *analyze.Flow, explain bool) error {
	if err := report.StreamLine(w, f, explain); err != nil || ll == nil {
		return err
	}
	return report.ServerLogStream(w, f, ll.Join(f.LogConn()))
}

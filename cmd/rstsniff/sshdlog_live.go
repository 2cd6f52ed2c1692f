package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/rstsniff/rstsniff/analyze"
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

// join is report.StreamFlow's question to the log about a connection:
// nil when no log was given.
func (ll *liveLog) join() func(*analyze.Flow) *sshdlog.Result {
	if ll == nil {
		return nil
	}
	return func(f *analyze.Flow) *sshdlog.Result { return ll.Join(f.LogConn()) }
}

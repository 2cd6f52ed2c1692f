package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/rstsniff/rstsniff/correlate"
	"github.com/rstsniff/rstsniff/ingest"
	"github.com/rstsniff/rstsniff/internal/hugeheap"
	"github.com/rstsniff/rstsniff/report"
	"github.com/rstsniff/rstsniff/sshdlog"
)

// runServerLog reads the captures, then sshd's (and fail2ban's) logs, joins
// the lines to the connections and reports both: the server's word beside
// the packets (issue 18). It holds every connection, as the join needs
// them all to estimate the log's clock before placing a line.
func runServerLog(ctx context.Context, o *options, stdin io.Reader, stdout, stderr io.Writer) error {
	if err := checkServerLogFlags(o); err != nil {
		return err
	}
	for _, n := range append(append([]string{}, o.sshdLogs...), o.fail2banLogs...) {
		if n == "-" || (n == sshdlog.JournalSource && o.iface != "") {
			continue
		}
		if _, err := os.Stat(n); err != nil && o.iface == "" {
			return err
		}
	}
	if o.iface != "" {
		return runLive(ctx, o, stdout, stderr) // it follows the logs (sshdlog_live.go)
	}
	if o.correlate {
		return runCorrelate(ctx, o, stdin, stdout, stderr) // it joins the logs to each capture (correlateServerLog)
	}
	for _, n := range o.sshdLogs {
		if n == sshdlog.JournalSource {
			return &usageError{fmt.Sprintf("--sshd-log %s follows journald during a live capture (-i); to read a capture, give journalctl -u ssh -o json's output", sshdlog.JournalSource)}
		}
	}
	if o.logTZ != "" {
		if _, err := sshdlog.ParseZone(o.logTZ); err != nil {
			return &usageError{fmt.Sprintf("--log-tz: %v", err)}
		}
	}
	r := &report.Run{Tally: &report.Tally{}, Version: reportVersion()}
	budget := o.count
	rec, err := newRecorder(o.write)
	if err != nil {
		return err
	}
	defer rec.Abort() // unless Close wrote it whole
	ot, err := startOTLP(ctx, o, len(o.reads) > 1, stderr, nil)
	if err != nil {
		return err
	}
	hugeheap.ForFiles(o.reads, stdin)
	if err := ingest.Files(ctx, ingestConfig(o), o.reads, stdin, stderr, &budget, rec, ingest.KeepAll(r, ot.Flow), r); err != nil {
		ot.Close(nil)
		return err
	}
	ot.Close(r)
	if rec != nil {
		if err := rec.Close(); err != nil {
			return err
		}
	}
	lines, files, err := readServerLogs(o, stdin, ingest.Near(r))
	if err != nil {
		return err
	}
	sl := &report.ServerLog{Files: files, Result: ingest.JoinServerLog(r.Flows, lines)}
	// Only the connections a listing shows, as without a log; the JSON
	// lines carry every one.
	if o.format != report.FormatJSON {
		ingest.ListWithLog(r, sl, o.all, o.format.ListLimit())
	}
	meta := report.Meta{Version: reportVersion(), Command: o.command, All: o.all}
	bw := bufio.NewWriterSize(stdout, 64<<10)
	err = report.WriteFlows(bw, o.format, r, sl, meta, len(o.reads) > 1, report.TableOptions{All: o.all, Explain: o.explain})
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return fmt.Errorf("writing output: %v", err)
	}
	if r.Abnormal() {
		return exitWith(exitAbnormal, nil)
	}
	return nil
}

// readServerLogs reads every --sshd-log and --fail2ban-log.
func readServerLogs(o *options, stdin io.Reader, near time.Time) ([]sshdlog.Line, []report.ServerLogFile, error) {
	zone, err := logZone(o)
	if err != nil {
		return nil, nil, err
	}
	return ingest.ReadServerLogs(append(append([]string{}, o.sshdLogs...), o.fail2banLogs...), stdin, zone, near)
}

// logZone is --log-tz's zone (nil: none given).
func logZone(o *options) (*time.Location, error) {
	if o.logTZ == "" {
		return nil, nil
	}
	z, err := sshdlog.ParseZone(o.logTZ)
	if err != nil {
		return nil, fmt.Errorf("--log-tz: %v", err)
	}
	return z, nil
}

// correlateServerLogs reads the logs and joins them to each capture's
// connections for --correlate (none when no log was given).
func correlateServerLogs(o *options, stdin io.Reader, caps []*correlate.Capture) ([]report.CaptureServerLog, error) {
	if len(o.sshdLogs)+len(o.fail2banLogs) == 0 || len(caps) == 0 {
		return nil, nil
	}
	lines, files, err := readServerLogs(o, stdin, caps[0].Start)
	if err != nil {
		return nil, err
	}
	return ingest.JoinServerLogs(caps, lines, files), nil
}

// checkServerLogFlags: standard input is read once, by the capture or one
// log.
func checkServerLogFlags(o *options) error {
	stdin := 0
	for _, n := range append(append(append([]string{}, o.reads...), o.sshdLogs...), o.fail2banLogs...) {
		if n == "-" {
			stdin++
		}
	}
	if stdin > 1 {
		return &usageError{"standard input (-) can be read only once: give the capture or one log as -, not both"}
	}
	return nil
}

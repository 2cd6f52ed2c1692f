package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/correlate"
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
	nextID := 1
	sink := func(f *analyze.Flow) {
		f.ID = nextID
		nextID++
		r.Tally.Add(f)
		r.Flows = append(r.Flows, f)
		ot.flow(f)
	}
	if err := analyzeFiles(ctx, o, stdin, stderr, &budget, rec, sink, r); err != nil {
		ot.close(nil)
		return err
	}
	ot.close(r)
	if rec != nil {
		if err := rec.Close(); err != nil {
			return err
		}
	}
	near := time.Now()
	if len(r.Inputs) > 0 && !r.Inputs[0].Start.IsZero() {
		near = r.Inputs[0].Start
	}
	lines, files, err := readServerLogs(o, stdin, near)
	if err != nil {
		return err
	}
	sl := &report.ServerLog{Files: files, Result: joinServerLog(r.Flows, lines)}
	// Only the connections a listing shows, as without a log; the JSON
	// lines carry every one.
	if o.format != formatJSON {
		var shown []*analyze.Flow
		for _, f := range r.Flows {
			a := sl.Result.Accounts[f.ID]
			if o.all || f.Notable() || (a != nil && len(a.Findings) > 0) {
				if len(shown) < listLimit(o.format) {
					shown = append(shown, f)
				} else {
					r.Tally.Unlisted++
				}
			}
		}
		r.Flows = shown
	}
	meta := report.Meta{Version: reportVersion(), Command: o.command, All: o.all}
	bw := bufio.NewWriterSize(stdout, 64<<10)
	err = writeJudged(bw, o.format, r, sl, meta, len(o.reads) > 1, report.TableOptions{All: o.all, Explain: o.explain})
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

// writeJudged writes the verdicts of r in format f, with the server's log
// joined to them when sl is not nil (rstsniff -r with --sshd-log, and
// rstsniff probe): JSON lines (the flows, the log's, the summary; the
// caller flushes w), a table, or a Markdown or HTML report whose page
// also takes the sections in more (the probe's).
func writeJudged(w io.Writer, f format, r *report.Run, sl *report.ServerLog, meta report.Meta, multi bool, topt report.TableOptions, more ...report.Section) error {
	switch f {
	case formatJSON:
		for _, fl := range r.Flows {
			var err error
			if sl != nil {
				err = report.JSONFlowServerLog(w, fl, multi, sl.Result)
			} else {
				err = report.JSONFlow(w, fl, multi)
			}
			if err != nil {
				return err
			}
		}
		if sl != nil {
			if err := report.JSONServerLog(w, sl, topt.All); err != nil {
				return err
			}
		}
		return report.JSONSummary(w, r)
	case formatMarkdown, formatHTML:
		var sections []report.Section
		if sl != nil {
			sections = append(sections, report.ServerLogSection(r, sl, topt.All))
		}
		sections = append(sections, more...)
		if f == formatMarkdown {
			return report.Markdown(w, r, meta, sections...)
		}
		return report.HTML(w, r, meta, sections...)
	}
	if err := report.Table(w, r, topt); err != nil || sl == nil {
		return err
	}
	return report.ServerLogExplain(w, r, sl, topt.All)
}

// readServerLogs reads every --sshd-log and --fail2ban-log.
func readServerLogs(o *options, stdin io.Reader, near time.Time) ([]sshdlog.Line, []report.ServerLogFile, error) {
	zone, err := logZone(o)
	if err != nil {
		return nil, nil, err
	}
	names := append(append([]string{}, o.sshdLogs...), o.fail2banLogs...)
	lines, stats, err := sshdlog.ReadFiles(names, stdin, sshdlog.ReadOptions{Zone: zone, Near: near})
	if err != nil {
		return nil, nil, err
	}
	files := make([]report.ServerLogFile, len(names))
	for i, name := range names {
		files[i] = report.ServerLogFile{Name: name, Stats: stats[i]}
	}
	return lines, files, nil
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

// correlateServerLogSections joins the logs to each capture's connections
// for a --correlate Markdown or HTML page: one section per capture (none
// when no log was given).
func correlateServerLogSections(o *options, stdin io.Reader, caps []*correlate.Capture) ([]report.Section, error) {
	if len(o.sshdLogs)+len(o.fail2banLogs) == 0 || len(caps) == 0 {
		return nil, nil
	}
	lines, files, err := readServerLogs(o, stdin, caps[0].Start)
	if err != nil {
		return nil, err
	}
	var more []report.Section
	for _, c := range caps {
		sl := &report.ServerLog{Files: files, Result: joinServerLog(c.Flows, lines), Capture: c.Name}
		more = append(more, report.ServerLogSection(&report.Run{Flows: c.Flows}, sl, o.all))
	}
	return more, nil
}

// correlateServerLog joins the logs to each capture's connections after a
// --correlate report (nothing when no log was given): the table, or JSON
// lines of type sshd_log_flow and sshd_log, per capture. (Markdown and HTML
// take them as sections of their page: correlateServerLogSections.)
func correlateServerLog(stdout, stderr io.Writer, o *options, stdin io.Reader, caps []*correlate.Capture) error {
	if len(o.sshdLogs)+len(o.fail2banLogs) == 0 || len(caps) == 0 {
		return nil
	}
	lines, files, err := readServerLogs(o, stdin, caps[0].Start)
	if err != nil {
		return err
	}
	for _, c := range caps {
		sl := &report.ServerLog{Files: files, Result: joinServerLog(c.Flows, lines), Capture: c.Name}
		switch o.format {
		case formatJSON:
			err = report.ServerLogCaptureJSON(stdout, c.Flows, sl, o.all)
		case formatTable:
			err = report.ServerLogCaptureTable(stdout, c.Flows, sl, o.all)
		default: // markdown, html: correlateServerLogSections, inside the page
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
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

// joinServerLog joins the log's lines to the flows (by their IDs).
func joinServerLog(flows []*analyze.Flow, lines []sshdlog.Line) *sshdlog.Result {
	conns := make([]sshdlog.Conn, 0, len(flows))
	for _, f := range flows {
		conns = append(conns, f.LogConn())
	}
	return sshdlog.Join(conns, lines, sshdlog.Options{})
}

package ingest

import (
	"io"
	"time"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/correlate"
	"github.com/rstsniff/rstsniff/report"
	"github.com/rstsniff/rstsniff/sshdlog"
)

// ReadServerLogs reads every log named (sshd's and fail2ban's; "-" is
// stdin), lines without a zone in zone (nil: found from the connections),
// near the time given.
func ReadServerLogs(names []string, stdin io.Reader, zone *time.Location, near time.Time) ([]sshdlog.Line, []report.ServerLogFile, error) {
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

// JoinServerLog joins the log's lines to the flows (by their IDs).
func JoinServerLog(flows []*analyze.Flow, lines []sshdlog.Line) *sshdlog.Result {
	conns := make([]sshdlog.Conn, 0, len(flows))
	for _, f := range flows {
		conns = append(conns, f.LogConn())
	}
	return sshdlog.Join(conns, lines, sshdlog.Options{})
}

// Near is the time a log read for r is placed near: its first capture's
// start, else now.
func Near(r *report.Run) time.Time {
	if len(r.Inputs) > 0 && !r.Inputs[0].Start.IsZero() {
		return r.Inputs[0].Start
	}
	return time.Now()
}

// JoinServerLogs joins the logs' lines (read from files) to each capture's
// connections, for --correlate: one ServerLog per capture, named by it.
func JoinServerLogs(caps []*correlate.Capture, lines []sshdlog.Line, files []report.ServerLogFile) []report.CaptureServerLog {
	var logs []report.CaptureServerLog
	for _, c := range caps {
		sl := &report.ServerLog{Files: files, Result: JoinServerLog(c.Flows, lines), Capture: c.Name}
		logs = append(logs, report.CaptureServerLog{Flows: c.Flows, Log: sl})
	}
	return logs
}

// ListWithLog keeps in r.Flows only the connections a listing (not the
// JSON lines, which carry every one) shows beside the server's log sl: all
// of them with all, else those notable or with a finding of the log's, up
// to limit; the others shown are counted as unlisted in r.Tally.
func ListWithLog(r *report.Run, sl *report.ServerLog, all bool, limit int) {
	var shown []*analyze.Flow
	for _, f := range r.Flows {
		a := sl.Result.Accounts[f.ID]
		if all || f.Notable() || (a != nil && len(a.Findings) > 0) {
			if len(shown) < limit {
				shown = append(shown, f)
			} else {
				r.Tally.Unlisted++
			}
		}
	}
	r.Flows = shown
}

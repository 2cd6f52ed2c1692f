package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/sshdlog"
)

// The server's log on a terminal: after the table of connections
// (ServerLogExplain), after a --correlate table (ServerLogCaptureTable),
// or beside each connection a live capture hands over (ServerLogStream).

// ServerLogExplain writes the server's account of each listed connection
// that has one, then what the log held overall; with all, every
// connection's account and the lines that joined none.
func ServerLogExplain(w io.Writer, r *Run, sl *ServerLog, all bool) error {
	var b strings.Builder
	t0, _ := timeRange(r)
	v := viewServerLog(r.Flows, sl, all)
	serverLogText(&b, &v, sl.Result, t0, all)
	if len(v.Unjoined) > 0 {
		b.WriteString("Lines that joined no connection:\n")
		for _, u := range v.Unjoined {
			fmt.Fprintf(&b, "  %s  %-16s %s\n", Safe(u.Ref), u.By, Safe(u.Message))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// ServerLogCaptureTable writes, after a --correlate table, the server's
// account of each connection of one capture that has a finding from it
// (or of every connection it speaks of, with all), then what the log held.
func ServerLogCaptureTable(w io.Writer, flows []*analyze.Flow, sl *ServerLog, all bool) error {
	var b strings.Builder
	fmt.Fprintf(&b, "\nThe server's log joined to %s:\n", Safe(sl.Capture))
	var t0 time.Time
	for _, f := range flows {
		if t0.IsZero() || f.Start.Before(t0) {
			t0 = f.Start
		}
	}
	v := viewServerLog(flows, sl, false)
	serverLogText(&b, &v, sl.Result, t0, all)
	_, err := io.WriteString(w, b.String())
	return err
}

// ServerLogStream writes the server's account of one connection handed
// over by a live capture (nothing when the log says nothing of it), times
// as clock times in UTC.
func ServerLogStream(w io.Writer, f *analyze.Flow, res *sshdlog.Result) error {
	var b strings.Builder
	for _, a := range viewAccounts([]*analyze.Flow{f}, res) {
		accountText(&b, &a, res, time.Time{})
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// serverLogText writes the accounts of the connections that ended
// abnormally or have a finding from the log (every one, with all), then
// what the log held.
func serverLogText(b *strings.Builder, v *serverLogView, res *sshdlog.Result, t0 time.Time, all bool) {
	for i := range v.Accounts {
		if a := &v.Accounts[i]; all || a.F.Notable() || len(a.Findings) > 0 {
			accountText(b, a, res, t0)
		}
	}
	b.WriteString("\n")
	for _, s := range v.Summary {
		fmt.Fprintf(b, "%s\n", s)
	}
}

// accountText writes one connection's account; times relative to t0, or
// as clock times when t0 is zero.
func accountText(b *strings.Builder, a *accountView, res *sshdlog.Result, t0 time.Time) {
	if len(a.Lines) == 0 {
		fmt.Fprintf(b, "\nConnection %d: %s: %s\n", a.F.ID, a.Title, noLogLine)
	} else {
		fmt.Fprintf(b, "\nConnection %d: %s: the server's log says\n", a.F.ID, a.Title)
	}
	for _, l := range a.Lines {
		at := "       -"
		if c := logClock(l.Line, res); !c.IsZero() {
			if t0.IsZero() {
				at = c.UTC().Format("15:04:05.000")
			} else {
				at = fmt.Sprintf("%+8.3fs", c.Sub(t0).Seconds())
			}
		}
		fmt.Fprintf(b, "  %s  %-20s %s  (%s, by %s)\n", at, l.Kind, Safe(l.Message), Safe(l.Ref), l.By)
	}
	for _, fd := range a.Findings {
		fmt.Fprintf(b, "  Finding %s (blame: %s): %s\n", fd.ID, fd.Blame, fd.Summary)
		for _, i := range fd.Lines {
			fmt.Fprintf(b, "    supported by %s: %s\n", Safe(a.Lines[i].Ref), Safe(a.Lines[i].Message))
		}
		for _, c := range fd.Causes {
			fmt.Fprintf(b, "    - likely cause: %s\n", c)
		}
		for _, c := range fd.NextSteps {
			fmt.Fprintf(b, "    - check next: %s\n", c)
		}
	}
}

package report

import (
	"bufio"
	"fmt"
	"io"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/sshdlog"
)

// The entries below write one witness's results in a format, so that a
// command calls one function whatever --format said: the sequence of
// report calls per format lives here, beside the formats.

// WriteFlows writes the verdicts of r in format f, with the server's log
// joined to them when sl is not nil (rstsniff -r, with or without
// --sshd-log, and rstsniff probe): JSON lines (the flows in r.Flows, the
// log's, the summary; w is not buffered here), a table, or a Markdown or
// HTML report whose page also takes the sections in more (the probe's).
// ECS documents went out one by one (rstsniff -r): nothing is left to
// write, except with a server log, which ECS does not carry: then the
// table.
func WriteFlows(w io.Writer, f Format, r *Run, sl *ServerLog, meta Meta, multi bool, topt TableOptions, more ...Section) error {
	switch f {
	case FormatJSON:
		for _, fl := range r.Flows {
			var err error
			if sl != nil {
				err = JSONFlowServerLog(w, fl, multi, sl.Result)
			} else {
				err = JSONFlow(w, fl, multi)
			}
			if err != nil {
				return err
			}
		}
		if sl != nil {
			if err := JSONServerLog(w, sl, topt.All); err != nil {
				return err
			}
		}
		return JSONSummary(w, r)
	case FormatECS:
		if sl == nil {
			return nil
		}
	case FormatMarkdown, FormatHTML:
		var sections []Section
		if sl != nil {
			sections = append(sections, ServerLogSection(r, sl, topt.All))
		}
		sections = append(sections, more...)
		if f == FormatMarkdown {
			return Markdown(w, r, meta, sections...)
		}
		return HTML(w, r, meta, sections...)
	}
	if err := Table(w, r, topt); err != nil || sl == nil {
		return err
	}
	return ServerLogExplain(w, r, sl, topt.All)
}

// StreamFlow writes one connection of a live capture as soon as it is
// judged, in format f: a JSON line (with "sshd_log" when the server's log
// speaks of it), an ECS document, or, for a connection the table lists
// (every one with all), its line and under it the server's account.
// join is the server's log followed live (nil: none given); it is asked
// only about the connections written.
func StreamFlow(w io.Writer, f Format, fl *analyze.Flow, all, explain bool, join func(*analyze.Flow) *sshdlog.Result) error {
	switch {
	case f == FormatJSON && join != nil:
		return JSONFlowServerLog(w, fl, false, join(fl))
	case f == FormatJSON:
		return JSONFlow(w, fl, false)
	case f == FormatECS:
		return ECS(w, fl, false)
	case !all && !fl.Notable():
		return nil
	}
	if err := StreamLine(w, fl, explain); err != nil || join == nil {
		return err
	}
	return ServerLogStream(w, fl, join(fl))
}

// WriteSummary writes a live capture's summary in format f: a JSON line,
// or the table's summary (on stderr with ECS, as stdout holds only ECS
// documents).
func WriteSummary(stdout, stderr io.Writer, f Format, r *Run) error {
	switch f {
	case FormatJSON:
		return JSONSummary(stdout, r)
	case FormatECS:
		return Summary(stderr, r)
	}
	return Summary(stdout, r)
}

// WriteProbe writes rstsniff probe's report in format f: the verdicts on
// its capture (r, with the server's log sl; r nil when it captured
// nothing), what the sockets saw and where --locate found the hop, as
// JSON lines, a table, or a Markdown or HTML report whose command line is
// the probe command typed.
func WriteProbe(w io.Writer, f Format, r *Run, sl *ServerLog, meta Meta, topt TableOptions, sec *ProbeSection) error {
	switch f {
	case FormatJSON:
		bw := bufio.NewWriterSize(w, 64<<10)
		if r != nil {
			if err := WriteFlows(bw, FormatJSON, r, sl, meta, false, topt); err != nil {
				return err
			}
		}
		if err := ProbeJSON(bw, sec.Results); err != nil {
			return err
		}
		if sec.MTU != nil {
			if err := MTUCheckJSON(bw, sec.MTU); err != nil {
				return err
			}
		}
		switch {
		case sec.Locate != nil:
			if err := LocateJSON(bw, sec.Locate); err != nil {
				return err
			}
		case sec.Plan != nil:
			if err := LocateNotRunJSON(bw, *sec.Plan); err != nil {
				return err
			}
		}
		return bw.Flush()
	case FormatMarkdown, FormatHTML:
		if r == nil {
			return ProbeOnly(w, f.String(), meta, sec)
		}
		return WriteFlows(w, f, r, sl, meta, false, topt, sec)
	}
	if r != nil {
		if err := WriteFlows(w, FormatTable, r, sl, meta, false, topt); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	if err := ProbeTable(w, sec.Results); err != nil {
		return err
	}
	if sec.MTU != nil {
		if err := MTUCheckText(w, sec.MTU); err != nil {
			return err
		}
	}
	switch {
	case sec.Locate != nil:
		fmt.Fprintln(w)
		return LocateText(w, sec.Locate)
	case sec.Plan != nil:
		fmt.Fprintln(w)
		_, err := fmt.Fprintln(w, LocateNotRun(*sec.Plan))
		return err
	}
	return nil
}

// WriteRun writes rstsniff run's -o in format f: the command's
// connections (r, with the kernel witness's word on each reset), then the
// command, its status and what it printed.
func WriteRun(w io.Writer, f Format, r *Run, meta Meta, facts *RunFacts) error {
	switch f {
	case FormatJSON:
		for _, fl := range r.Flows {
			if err := JSONFlow(w, fl, false); err != nil {
				return err
			}
		}
		if err := JSONSummary(w, r); err != nil {
			return err
		}
		return RunJSON(w, facts)
	case FormatMarkdown:
		return Markdown(w, r, meta, facts)
	case FormatHTML:
		return HTML(w, r, meta, facts)
	}
	if err := Table(w, r, TableOptions{All: true, Explain: true}); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n"+RunSection(facts))
	return err
}

// CaptureServerLog is the server's log joined to one capture's
// connections, for --correlate (sl.Capture names the capture).
type CaptureServerLog struct {
	Flows []*analyze.Flow
	Log   *ServerLog
}

// WriteCorrelation writes --correlate's comparison c in format f, and the
// server's log joined to each capture: logs reads and joins it (nil when
// no log was given), before a Markdown or HTML page, whose sections they
// become, and after the table or the JSON lines (of type sshd_log_flow and
// sshd_log, per capture). logs's error is returned as it is.
func WriteCorrelation(w io.Writer, f Format, c *Correlation, meta Meta, all bool, logs func() ([]CaptureServerLog, error)) error {
	if logs == nil {
		logs = func() ([]CaptureServerLog, error) { return nil, nil }
	}
	switch f {
	case FormatJSON:
		if err := CorrelationJSON(w, c); err != nil {
			return err
		}
	case FormatMarkdown, FormatHTML:
		ls, err := logs()
		if err != nil {
			return err
		}
		var more []Section
		for _, l := range ls {
			more = append(more, ServerLogSection(&Run{Flows: l.Flows}, l.Log, all))
		}
		if f == FormatMarkdown {
			return CorrelationMarkdown(w, c, meta, more...)
		}
		return CorrelationHTML(w, c, meta, more...)
	default:
		if err := CorrelationTable(w, c); err != nil {
			return err
		}
	}
	ls, err := logs()
	if err != nil {
		return err
	}
	for _, l := range ls {
		if f == FormatJSON {
			err = ServerLogCaptureJSON(w, l.Flows, l.Log, all)
		} else {
			err = ServerLogCaptureTable(w, l.Flows, l.Log, all)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

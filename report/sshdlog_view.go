package report

import (
	"fmt"
	"sort"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/sshdlog"
)

// serverLogView is the server's log laid out for every format that shows
// it (the terminal's account, Markdown, HTML): what the logs held, and each
// connection's account, every sentence worded once. Text from the log
// (Capture, Ref, Message) is kept as it came; each format escapes it its
// own way.
type serverLogView struct {
	Capture  string   // the capture the log was joined to (--correlate), "" otherwise
	Summary  []string // what the logs held (serverLogSummary)
	Accounts []accountView
	Unjoined []logLineView // the lines that joined no connection, with all
}

// accountView is what the log said of one connection.
type accountView struct {
	F        *analyze.Flow
	Title    string // "CLIENT -> SERVER, OUTCOME"
	Lines    []logLineView
	Findings []logFindingView
}

// logLineView is one log line: where it is, its kind, how it was joined
// (or why not) and its message.
type logLineView struct {
	Line    *sshdlog.Line
	Ref     string // FILE:N (network text: the file is the user's, its name may be anything)
	Kind    string
	By      string // how it joined the connection, or why it joined none
	Message string
}

// logFindingView is one finding from the log, with the lines that
// support it (indexes into the account's Lines) and its advice.
type logFindingView struct {
	ID, Blame, Summary string
	Lines              []int
	Causes, NextSteps  []string
}

// viewServerLog lays out the log's account of flows, in their order;
// with all, the unjoined lines too.
func viewServerLog(flows []*analyze.Flow, sl *ServerLog, all bool) serverLogView {
	res := sl.Result
	v := serverLogView{Capture: sl.Capture, Summary: serverLogSummary(sl), Accounts: viewAccounts(flows, res)}
	if all {
		for i := range res.Unjoined {
			u := &res.Unjoined[i]
			v.Unjoined = append(v.Unjoined, viewLogLine(&u.Line, u.Why.String()))
		}
	}
	return v
}

// viewAccounts lays out what the log said of each of flows that it speaks
// of, in their order.
func viewAccounts(flows []*analyze.Flow, res *sshdlog.Result) []accountView {
	var out []accountView
	for _, f := range flows {
		a := res.Accounts[f.ID]
		if a == nil {
			continue
		}
		av := accountView{F: f, Title: fmt.Sprintf("%s -> %s, %s", Endpoint(f.Client), Endpoint(f.Server), f.Outcome)}
		for i := range a.Lines {
			j := &a.Lines[i]
			av.Lines = append(av.Lines, viewLogLine(&j.Line, j.By.String()))
		}
		for _, fd := range a.Findings {
			adv, _ := serverEntry(fd.ID)
			av.Findings = append(av.Findings, logFindingView{ID: fd.ID, Blame: serverBlame(fd), Summary: serverFindingWords(fd),
				Lines: fd.Lines, Causes: adv.Causes, NextSteps: adv.NextSteps})
		}
		out = append(out, av)
	}
	return out
}

func viewLogLine(l *sshdlog.Line, by string) logLineView {
	return logLineView{Line: l, Ref: fmt.Sprintf("%s:%d", l.Source, l.Number), Kind: l.Kind.String(), By: by, Message: l.Message}
}

// byID sorts the accounts by connection number (Markdown lists them so).
func (v *serverLogView) byID() []accountView {
	out := append([]accountView(nil), v.Accounts...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].F.ID < out[j].F.ID })
	return out
}

package report

import (
	"fmt"
	"strings"

	"github.com/rstsniff/rstsniff/analyze"
)

// The connections' view: each connection's sentences worded once (by
// words.go, flows_headline.go, flows_words.go, flows_client.go and the
// kernel's words), then laid out by every format that explains it: the
// table's explanation, Markdown and HTML. Text from the network is kept as
// it came; each format escapes it its own way (Safe for a terminal,
// mdText and mdCode for Markdown, html/template and Safe for HTML), as
// escaping is the format's, not the words'.

// reportView is a Markdown or HTML report of connections: the facts
// about the run, the table's rows, and each connection it explains.
type reportView struct {
	Meta     Meta
	Inputs   []Input
	Range    string // the capture's time range in UTC, "" without packets
	Capture  string // libpcap's counters for a live capture, "" for files
	Summary  string // the summary line without warnings
	Warnings []string
	Rows     []rowView  // the listed connections
	Flows    []flowView // the notable ones, explained
}

// rowView is one connection in a report's table.
type rowView struct {
	F              *analyze.Flow
	Time           string
	Client, Server string
	Reset, Who     string
	Main           string // the main finding's ID, "" for none
}

// flowView is one connection explained.
type flowView struct {
	F              *analyze.Flow
	Client, Server string
	Time           string // the start, with its date
	Line           string // the verdict line, with its date
	Ending         string
	Verdict        string
	ClientError    []string // what the OpenSSH client most likely printed, by line
	ServerText     string   // the server's banner, or its first line of text instead (network text)
	Resets         []resetWords
	Dropped        string // what the kernel witness said of the packets the firewall dropped
	Findings       []findingWords
	Causes         []string
	NextSteps      []string
	Packets        []string
	Filter         string // Wireshark's display filter for the connection
}

// resetWords is one reset explained: who sent it, the kernel's word, the
// evidence and how strong the verdict is.
type resetWords struct {
	R        *analyze.Reset
	Origin   string
	Kernel   string // the kernel witness, "" without one
	Evidence []string
	Notes    []string
}

// findingWords is one finding explained. Summary quotes network text as a
// Go string literal; Markdown puts Quote in a code span between Pre and
// Post instead when Quotes.
type findingWords struct {
	ID, Blame string
	Summary   string
	Pre, Post string
	Quote     string
	Quotes    bool
}

// viewReport lays out a Markdown or HTML report of r.
func viewReport(r *Run, meta Meta) reportView {
	v := reportView{Meta: meta, Inputs: r.Inputs, Summary: summaryText(r, meta.All), Warnings: r.Warnings()}
	if start, end := timeRange(r); !start.IsZero() {
		v.Range = start.UTC().Format(TimeFormat) + " to " + end.UTC().Format(TimeFormat)
	}
	if t := r.Tally; t != nil && t.Capture != nil {
		v.Capture = fmt.Sprintf("%d received by filter, %d dropped by the kernel, %d by the interface", t.Capture.Received, t.Capture.Dropped, t.Capture.IfDropped)
	}
	for _, f := range listedFlows(r, meta.All) {
		row := rowView{F: f, Time: when(f.Start, true), Client: Endpoint(f.Client), Server: Endpoint(f.Server), Main: mainFinding(f)}
		row.Reset, row.Who = endingCells(f)
		v.Rows = append(v.Rows, row)
	}
	for _, f := range notableFlows(r) {
		v.Flows = append(v.Flows, viewFlow(f))
	}
	return v
}

// viewFlow words one connection for every format that explains it.
func viewFlow(f *analyze.Flow) flowView {
	v := flowView{F: f, Client: Endpoint(f.Client), Server: Endpoint(f.Server), Time: when(f.Start, true), Line: VerdictLine(f, true),
		Ending: ending(f), Verdict: verdict(f), ServerText: serverText(f), Dropped: DropsSentence(f.Dropped),
		Packets: packetLines(f), Filter: wiresharkFilter(f)}
	if ce := clientError(f); ce != "" {
		v.ClientError = strings.Split(ce, "\n")
	}
	for i := range f.Resets {
		r := &f.Resets[i]
		v.Resets = append(v.Resets, resetWords{R: r, Origin: originSentence(*r), Kernel: KernelSentence(r.Kernel),
			Evidence: evidenceTexts(f, r, len(r.Evidence)), Notes: verdictNotes(r)})
	}
	for i := range f.Findings {
		fd := &f.Findings[i]
		w := findingWords{ID: fd.ID.String(), Blame: fd.Blame.String(), Summary: summary(f, fd), Quote: fd.Quote}
		w.Pre, w.Quotes, w.Post = summaryParts(f, fd)
		v.Findings = append(v.Findings, w)
	}
	v.Causes, v.NextSteps = advice(f.Findings)
	return v
}

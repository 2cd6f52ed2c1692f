package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
	"sync"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/probe"
)

// Why rstsniff probe --locate runs or not, and the probe's own sections of
// its Markdown and HTML reports: what the sockets saw and the hop found.

// LocateWhy says why --locate ran or did not, as a fact.
type LocateWhy uint8

const (
	LocatePath         LocateWhy = iota // a reset the path forged: locate its hop
	LocateNoCapture                     // no capture: no reset can be judged
	LocateNoReset                       // no reset at all
	LocateHostFirewall                  // the resets came from a firewall on an endpoint's own host: no hop to find
	LocateNotForged                     // the resets came from the endpoints' own stacks, or could not be told
)

var locateWhyNames = [...]string{"path", "no-capture", "no-reset", "host-firewall", "not-forged"}

func (w LocateWhy) String() string {
	if int(w) < len(locateWhyNames) {
		return locateWhyNames[w]
	}
	return "unknown"
}

// LocatePlan is the decision on --locate: Why, and the reset it rests on
// (the first forged on the path, or the first of the others; nil for none).
type LocatePlan struct {
	Why   LocateWhy
	Flow  *analyze.Flow
	Reset *analyze.Reset
}

// Run reports whether --locate should repeat a trigger.
func (p LocatePlan) Run() bool { return p.Why == LocatePath }

// LocateNotRun says in one line why --locate did not run.
func LocateNotRun(p LocatePlan) string {
	switch p.Why {
	case LocateNoCapture:
		return "Locate: not run: without a capture no reset can be judged forged on the path."
	case LocateNoReset:
		return "Locate: not run: no connection was reset, so there is no forged reset to locate."
	case LocateHostFirewall:
		return fmt.Sprintf("Locate: not run: the reset (frame %d) was %s; no device on the path forged it, so there is no hop to find. Look at that host's firewall rules.",
			p.Reset.Packet, senderText(p.Reset))
	case LocateNotForged:
		return fmt.Sprintf("Locate: not run: the reset (frame %d) was %s, not forged on the path.", p.Reset.Packet, senderText(p.Reset))
	}
	return ""
}

// LocateNotRunJSON writes the {"type":"locate-not-run"} line.
func LocateNotRunJSON(w io.Writer, p LocatePlan) error {
	v := struct {
		Type string `json:"type"`
		// SchemaVersion is report.SchemaVersion, in every line.
		SchemaVersion int `json:"schema_version"`
		// The line.
		Reason string `json:"reason"`
		Frame  int    `json:"frame,omitempty"`
		Sender string `json:"sender,omitempty"`
		Text   string `json:"text"`
	}{Type: "locate-not-run", SchemaVersion: SchemaVersion, Reason: p.Why.String(), Text: LocateNotRun(p)}
	if p.Reset != nil {
		v.Frame, v.Sender = p.Reset.Packet, p.Reset.Sender.String()
	}
	return writeLine(w, v)
}

// ProbeSection is what the probe adds to a report of its capture: the
// sockets' lines, the MTU check, and --locate's hop or why it did not run.
type ProbeSection struct {
	Results   []probe.Result
	MTU       *probe.MTUCheck // nil when no connection stalled
	Locate    *probe.Location // nil when --locate did not run
	Plan      *LocatePlan     // nil without --locate
	NoCapture string          // why there is no capture ("" when there is)
}

// text is the section as the terminal prints it.
func (s *ProbeSection) text() (string, error) {
	var b strings.Builder
	if err := ProbeTable(&b, s.Results); err != nil {
		return "", err
	}
	if s.MTU != nil {
		if err := MTUCheckText(&b, s.MTU); err != nil {
			return "", err
		}
	}
	if s.Locate != nil {
		b.WriteString("\n")
		if err := LocateText(&b, s.Locate); err != nil {
			return "", err
		}
	} else if s.Plan != nil {
		b.WriteString("\n" + LocateNotRun(*s.Plan) + "\n")
	}
	return b.String(), nil
}

// ProbeSection is a section of a Markdown or HTML page.
var _ Section = (*ProbeSection)(nil)

func (s *ProbeSection) markdown(b *strings.Builder) error {
	t, err := s.text()
	if err != nil {
		return err
	}
	b.WriteString("\n## What the probe's sockets saw\n\n")
	if s.NoCapture != "" {
		fmt.Fprintf(b, "%s\n\n", mdText(ProbeNoCapture(s.NoCapture)))
	}
	b.WriteString(mdFence(t))
	if l := s.Locate; l != nil {
		b.WriteString("\n## Where the reset is forged\n\n")
		fmt.Fprintf(b, "%s\n", mdText(locateVerdict(l)))
	}
	return nil
}

func (s *ProbeSection) html(b *strings.Builder) error {
	t, err := s.text()
	if err != nil {
		return err
	}
	b.WriteString("<h2 id=\"probe\">What the probe's sockets saw</h2>\n")
	if s.NoCapture != "" {
		fmt.Fprintf(b, "<p class=\"warn\">%s</p>\n", template.HTMLEscapeString(ProbeNoCapture(s.NoCapture)))
	}
	fmt.Fprintf(b, "<pre>%s</pre>\n", template.HTMLEscapeString(t))
	if l := s.Locate; l != nil {
		fmt.Fprintf(b, "<h2 id=\"locate\">Where the reset is forged</h2>\n<p>%s</p>\n", template.HTMLEscapeString(locateVerdict(l)))
	}
	return nil
}

// locateVerdict is LocateText's last line: where the reset is forged.
func locateVerdict(l *probe.Location) string {
	var b strings.Builder
	LocateText(&b, l)
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	return lines[len(lines)-1]
}

// ProbeOnly writes a Markdown or HTML report (format) of a probe that could
// not capture: no verdicts on packets, only what the sockets saw.
func ProbeOnly(w io.Writer, format string, meta Meta, s *ProbeSection) error {
	var b strings.Builder
	if format == "markdown" {
		b.WriteString("# rstsniff probe report\n\n| | |\n|---|---|\n")
		fmt.Fprintf(&b, "| rstsniff | %s |\n| Command | %s |\n", mdText(meta.Version), mdCode(meta.Command, true))
		if err := markdownSections(&b, []Section{s}); err != nil {
			return err
		}
		_, err := io.WriteString(w, b.String())
		return err
	}
	more, err := htmlSections([]Section{s})
	if err != nil {
		return err
	}
	return probeTmpl().Execute(w, struct {
		Meta Meta
		More []template.HTML
	}{meta, more})
}

// probeHTML is the page of a probe that could not capture.
//
//go:embed templates/probe.html
var probeHTML string

// Its two values are escaped as the page always escaped them
// (template.HTMLEscapeString, which leaves a "+" as it is).
var probeTmpl = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("probe").Funcs(pageFuncs(template.FuncMap{
		"escape": func(s string) template.HTML { return template.HTML(template.HTMLEscapeString(s)) },
	})).Parse(probeHTML))
})

package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"strings"
	"sync"

	"github.com/rstsniff/rstsniff/analyze"
)

// ServerLogSection is the server's log as a section of a Markdown or HTML
// page: what the logs held, then the account of each connection of r the
// log speaks of; with all, the lines that joined no connection too.
func ServerLogSection(r *Run, sl *ServerLog, all bool) Section {
	return &serverLogSection{flows: r.Flows, log: sl, all: all}
}

type serverLogSection struct {
	flows []*analyze.Flow
	log   *ServerLog
	all   bool
}

func (s *serverLogSection) markdown(b *strings.Builder) error {
	v := viewServerLog(s.flows, s.log, s.all)
	if v.Capture != "" {
		fmt.Fprintf(b, "\n## The server's log joined to %s\n\n", mdCode(v.Capture, false))
	} else {
		b.WriteString("\n## The server's log\n\n")
	}
	for _, s := range v.Summary {
		fmt.Fprintf(b, "- %s\n", mdText(s))
	}
	for _, a := range v.byID() {
		fmt.Fprintf(b, "\n### Connection %d: %s\n\n", a.F.ID, mdText(a.Title))
		if len(a.Lines) == 0 {
			b.WriteString(noLogLineSentence + "\n")
		} else {
			b.WriteString("| Line | Kind | Joined by | Message |\n|---|---|---|---|\n")
		}
		for _, l := range a.Lines {
			fmt.Fprintf(b, "| %s | %s | %s | %s |\n", mdCode(l.Ref, true), l.Kind, l.By, mdCode(l.Message, true))
		}
		for _, fd := range a.Findings {
			fmt.Fprintf(b, "\n**%s** (blame: %s): %s\n", fd.ID, fd.Blame, mdText(fd.Summary))
			for _, i := range fd.Lines {
				fmt.Fprintf(b, "- supported by %s\n", mdCode(a.Lines[i].Message, false))
			}
		}
	}
	if len(v.Unjoined) > 0 {
		b.WriteString("\n### Lines that joined no connection\n\n| Line | Why | Message |\n|---|---|---|\n")
		for _, u := range v.Unjoined {
			fmt.Fprintf(b, "| %s | %s | %s |\n", mdCode(u.Ref, true), u.By, mdCode(u.Message, true))
		}
	}
	return nil
}

// html writes the section with html/template, which escapes every log
// text; the log's text goes through Safe first (format characters such as
// bidirectional overrides, which html/template leaves as they are).
func (s *serverLogSection) html(b *strings.Builder) error {
	type hLine struct{ Ref, Kind, By, Message string }
	type hFinding struct {
		ID, Blame, Summary string
		Lines              []string
		Causes, NextSteps  []string
	}
	type hFlow struct {
		Title    string
		Lines    []hLine
		Findings []hFinding
	}
	v := viewServerLog(s.flows, s.log, s.all)
	page := struct {
		Capture  string
		Summary  []string
		Flows    []hFlow
		Unjoined []hLine
		NoLine   string
	}{Capture: Safe(v.Capture), Summary: v.Summary, NoLine: noLogLineSentence}
	hl := func(l logLineView) hLine { return hLine{Safe(l.Ref), l.Kind, l.By, Safe(l.Message)} }
	for _, a := range v.Accounts {
		hf := hFlow{Title: fmt.Sprintf("Connection %d: %s", a.F.ID, a.Title)}
		for _, l := range a.Lines {
			hf.Lines = append(hf.Lines, hl(l))
		}
		for _, fd := range a.Findings {
			hd := hFinding{ID: fd.ID, Blame: fd.Blame, Summary: fd.Summary, Causes: fd.Causes, NextSteps: fd.NextSteps}
			for _, i := range fd.Lines {
				hd.Lines = append(hd.Lines, Safe(a.Lines[i].Message))
			}
			hf.Findings = append(hf.Findings, hd)
		}
		page.Flows = append(page.Flows, hf)
	}
	for _, u := range v.Unjoined {
		page.Unjoined = append(page.Unjoined, hl(u))
	}
	return serverLogTmpl().Execute(b, page)
}

// serverLogHTML is the server's log section of an HTML page.
//
//go:embed templates/sshdlog.html
var serverLogHTML string

// serverLogTmpl is parsed on first use, like every page's template: a run
// that prints no HTML does not pay for parsing them at start.
var serverLogTmpl = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("sshdlog").Parse(serverLogHTML))
})

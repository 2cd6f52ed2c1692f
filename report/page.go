package report

import (
	_ "embed"
	"html/template"
	"strings"
)

// Pages and their sections. A Markdown or HTML report is one page: the
// connections (Markdown, HTML) or the comparison (CorrelationMarkdown,
// CorrelationHTML) first, then the sections of the other witnesses the
// command heard, in the order given: the server's log (ServerLogSection),
// the command rstsniff ran (*RunFacts), the probe's sockets and --locate
// (*ProbeSection). A page is rendered whole, its sections in their place;
// it is never finished and then cut open.

// Section is one witness's part of a report page, after the page's own
// content. Only this package makes them.
type Section interface {
	// markdown appends the section as Markdown (a "##" heading first).
	markdown(b *strings.Builder) error
	// html appends the section as HTML, every untrusted text escaped.
	html(b *strings.Builder) error
}

// markdownSections appends each section's Markdown.
func markdownSections(b *strings.Builder, more []Section) error {
	for _, s := range more {
		if err := s.markdown(b); err != nil {
			return err
		}
	}
	return nil
}

// htmlSections renders each section's HTML for a page template, which
// puts them before its </body>.
func htmlSections(more []Section) ([]template.HTML, error) {
	out := make([]template.HTML, 0, len(more))
	for _, s := range more {
		var b strings.Builder
		if err := s.html(&b); err != nil {
			return nil, err
		}
		out = append(out, template.HTML(b.String())) // escaped by the section
	}
	return out, nil
}

// htmlHead opens every HTML page: no script, font or style from elsewhere,
// and a Content-Security-Policy that forbids them.
//
//go:embed templates/head.html
var htmlHead string

// htmlCSS styles every HTML page and its diagrams.
//
//go:embed templates/style.css
var htmlCSS string

// pageFuncs are the functions every page template may call: escaping for
// terminals (which html/template leaves to us) and the diagrams' geometry.
func pageFuncs(more template.FuncMap) template.FuncMap {
	m := template.FuncMap{
		"safe":  Safe,
		"mid":   func(a, b int) int { return (a + b) / 2 },
		"width": func() int { return svgWidth },
		"laneX": func(n string) int {
			return map[string]int{"client": laneClient, "middle": laneMiddle, "server": laneServer}[n]
		},
	}
	for k, f := range more {
		m[k] = f
	}
	return m
}

package main

import (
	_ "embed"
	"io"

	"github.com/rstsniff/rstsniff/internal/term"
	"github.com/rstsniff/rstsniff/report"
)

// helpWidth is the width help text is wrapped to: the terminal's, or 80
// columns on a pipe (and for a terminal that does not say).
func helpWidth(w io.Writer) int {
	if t := term.Of(w); t.Width > 0 {
		return t.Width
	}
	return 80
}

// wrapHelp wraps a help paragraph to width, continuing long lines
// indented (report.Wrap).
func wrapHelp(s string, width int) string { return report.Wrap(s, width) }

// The subcommands' usage lines (help/*.txt).
var (
	//go:embed help/probe-usage.txt
	probeUsage string
	//go:embed help/explain-usage.txt
	explainUsage string
	//go:embed help/run-usage.txt
	runUsage string
)

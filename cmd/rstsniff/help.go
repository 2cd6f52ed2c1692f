package main

import (
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

// The subcommands' usage lines.
const (
	probeUsage = `usage: rstsniff probe [options] HOST[:PORT]

Opens SSH connections as far as a client without credentials goes, captures its own packets and judges them as -r does.
`
	explainUsage = `usage: rstsniff explain [--format json] 'MESSAGE'
       ssh -v ... 2>&1 | rstsniff explain [--format json] -

What an OpenSSH client message (or a whole ssh -v log) means on the wire, the stage, the likely causes and what to capture.
`
)

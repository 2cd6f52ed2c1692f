package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"github.com/rstsniff/rstsniff/explain"
	"github.com/rstsniff/rstsniff/internal/term"
	"github.com/rstsniff/rstsniff/report"
)

// runExplain is "rstsniff explain [TEXT | -]": what an OpenSSH client
// message (or a whole ssh -v log on standard input) means on the wire, the
// stage, the ranked causes and what to capture. Exit status 0 when it
// explained something, 1 when it recognised nothing, 2 for bad usage or
// input.
func runExplain(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	format, help := new(string), new(bool)
	fs := explainFlags(format, help)
	err := fs.Parse(args)
	if err != nil {
		fmt.Fprintf(stderr, "rstsniff explain: %v\nsee rstsniff explain --help\n", flagError(err))
		return exitUsage
	}
	if *help {
		width := helpWidth(stdout)
		fmt.Fprintf(stdout, "%s\n%s", wrapHelp(explainUsage, width), fs.FlagUsagesWrapped(width))
		return exitOK
	}
	switch *format {
	case "table", "text", "json":
	default:
		fmt.Fprintf(stderr, "rstsniff explain: --format %q: want table or json\n", *format)
		return exitUsage
	}
	var r explain.Result
	switch rest := fs.Args(); {
	case len(rest) == 0:
		fmt.Fprintln(stderr, "rstsniff explain: give the message ssh printed, or - to read a whole log from standard input")
		return exitUsage
	case len(rest) == 1 && rest[0] == "-":
		if term.IsTerminal(stdin) {
			fmt.Fprintln(stderr, "rstsniff explain: reading the log from the terminal: paste it, then press Ctrl-D (or pipe it: ssh -v HOST 2>&1 | rstsniff explain -)")
		}
		r, err = explain.ReadContext(ctx, stdin)
		if err != nil {
			fmt.Fprintf(stderr, "rstsniff %v\n", err)
			return exitUsage
		}
	default:
		// Unquoted words are one message.
		r = explain.Text(strings.Join(rest, " "))
	}
	if *format == "json" {
		err = report.ExplainJSON(stdout, &r)
	} else {
		err = report.ExplainTextWidth(stdout, &r, term.Of(stdout).Width)
	}
	if err != nil {
		fmt.Fprintf(stderr, "rstsniff explain: %v\n", err)
		return exitUsage
	}
	if r.Check() != nil {
		return exitAbnormal
	}
	return exitOK
}

// explainFlags is explain's flag set, bound to format and help. (Its
// formats are its own: table or text, and json.)
func explainFlags(format *string, help *bool) *pflag.FlagSet {
	fs := pflag.NewFlagSet("rstsniff explain", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(format, "format", "table", "output `FORMAT`: table (text) or json")
	fs.BoolVarP(help, "help", "h", false, "show this help")
	return fs
}

package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"github.com/rstsniff/rstsniff/explain"
	"github.com/rstsniff/rstsniff/report"
)

// runExplain is "rstsniff explain [TEXT | -]": what an OpenSSH client
// message (or a whole ssh -v log on standard input) means on the wire, the
// stage, the ranked causes and what to capture. Exit status 0 when it
// explained something, 1 when it recognised nothing, 2 for bad usage or
// input.
func runExplain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("rstsniff explain", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	format := fs.String("format", "table", "output `FORMAT`: table (text) or json")
	help := fs.BoolP("help", "h", false, "show this help")
	err := fs.Parse(args)
	if err != nil || *help {
		fmt.Fprintf(stderr, "usage: rstsniff explain [--format json] 'MESSAGE'\n       ssh -v ... 2>&1 | rstsniff explain [--format json] -\n\n%s", fs.FlagUsages())
		if err != nil {
			fmt.Fprintf(stderr, "rstsniff explain: %v\n", err)
			return exitUsage
		}
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
		r, err = explain.Read(stdin)
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
		err = report.ExplainText(stdout, &r)
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

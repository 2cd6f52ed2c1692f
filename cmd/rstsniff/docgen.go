package main

// The man page and the shell completions are generated (internal/docgen)
// from the flag sets the command and its subcommands parse with, so they
// cannot drift from the flags: rstsniff --help-man (hidden) and rstsniff
// --completion bash|zsh|fish. The Debian package ships their output
// (deploy/nfpm.yaml, make deb). docCommands is the one list of commands.

import (
	"embed"
	"fmt"
	"io"
	"slices"

	"github.com/rstsniff/rstsniff/internal/docgen"
)

// formats are the values --format takes (TestCompletionFormats holds them
// to what parseFlags accepts).
var formats = []string{"table", "json", "ecs", "markdown", "html"}

func generate(o *options, stdout, stderr io.Writer) int {
	var err error
	switch {
	case o.gen == "man":
		err = docgen.WriteMan(stdout, manual())
	case slices.Contains(docgen.Shells, o.gen):
		err = docgen.WriteCompletion(stdout, manual(), o.gen)
	default:
		fmt.Fprintf(stderr, "rstsniff: unknown --completion %q: use bash, zsh or fish\n", o.gen)
		return exitUsage
	}
	if err != nil {
		fmt.Fprintf(stderr, "rstsniff: %v\n", err)
		return exitUsage
	}
	return exitOK
}

// manual is the man page: the commands, then the sections that hold for
// them all.
func manual() *docgen.Page {
	page := manPage()
	page.Version, page.Commands = version, docCommands()
	return page
}

// docCommands lists rstsniff and its subcommands, each with the flag set
// it parses its command line with, and its text in the man page
// (help/man.json).
func docCommands() []docgen.Command {
	page := manPage()
	commands := commandTable()
	out := make([]docgen.Command, len(commands))
	for i, c := range commands {
		out[i] = page.Text(c.name) // TestEveryCommandDocumented asks for a text
		out[i].Name, out[i].Summary, out[i].Flags = c.name, c.summary, c.flags()
	}
	// The words rstsniff's own flags take are the code's.
	out[0].Values = map[string][]string{"format": formats, "completion": docgen.Shells}
	return out
}

// The man page's structure (help/man.json: its sections, which text goes
// where, each command's synopsis) and its prose (help/man-*.txt:
// paragraphs between blank lines; help/examples-*.txt: one example a
// line) are embedded files, read by docgen.Load.
//
//go:embed help/man.json help/man-*.txt help/examples-*.txt
var manFiles embed.FS

// manPage is help/man.json read; the files are embedded, so an error is a
// mistake in the build, which every test of the man page shows.
func manPage() *docgen.Page {
	page, err := docgen.Load(manFiles, "help/man.json")
	if err != nil {
		panic(err)
	}
	return page
}

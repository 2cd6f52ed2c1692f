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
	"strings"

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
	return &docgen.Page{
		Program:  "rstsniff",
		Version:  version,
		Summary:  "say who reset each SSH connection, at which stage, and whether the reset was forged",
		Commands: docCommands(),
		Sections: []docgen.Section{
			{Title: "OUTPUT", Paragraphs: manParagraphs("man-output")},
			{Title: "EXIT STATUS", Paragraphs: []string{"Of rstsniff and rstsniff probe; those of explain and run are under COMMANDS."},
				Items: []docgen.Item{
					{Term: "0", Text: "no connection was reset, refused, unreachable or timed out"},
					{Term: "1", Text: "some connection was, or shows a finding (an MTU black hole among them)"},
					{Term: "2", Text: "bad flags or unreadable input"},
				}},
			{Title: "FILES", Items: []docgen.Item{
				{Term: "/var/log/rstsniff/IFACE.json", Text: "JSON lines written by the rstsniff@IFACE service (rotated by logrotate)"},
				{Term: "/etc/default/rstsniff", Text: "options for the rstsniff@ service (RSTSNIFF_OPTS)"},
			}},
		},
		SeeAlso: []string{"tcpdump(8)", "pcap-filter(7)", "ssh(1)", "sshd(8)"},
	}
}

// docCommands lists rstsniff and its subcommands, each with the flag set
// it parses its command line with, and its text in the man page
// (docText).
func docCommands() []docgen.Command {
	commands := commandTable()
	out := make([]docgen.Command, len(commands))
	for i, c := range commands {
		out[i] = docText(c.name)
		out[i].Name, out[i].Summary, out[i].Flags = c.name, c.summary, c.flags()
	}
	return out
}

// docText is a command's text in the man page, by its name ("" for
// rstsniff itself): everything but its name, summary and flags.
func docText(name string) docgen.Command {
	switch name {
	case "":
		return docgen.Command{
			Synopsis: []string{
				"-r FILE [-r FILE ...] [options] [filter expression]",
				"-i IFACE [options] [filter expression]",
				"--correlate -r FILE [-r FILE] [options]",
			},
			Description: manParagraphs("man-rstsniff"),
			Values:      map[string][]string{"format": formats, "completion": docgen.Shells},
			NoDefault:   []string{"jobs"}, // half the machine's CPUs; the usage says so
			Args:        docgen.ArgsFiles,
			Examples:    manLines("examples-rstsniff"),
		}
	case "probe":
		return docgen.Command{
			Synopsis:    []string{"[options] HOST[:PORT]"},
			Description: manParagraphs("man-probe"),
			Values:      map[string][]string{"format": {"table", "json", "markdown", "html"}},
			Args:        docgen.ArgsHosts,
			Examples:    manLines("examples-probe"),
		}
	case "run":
		return docgen.Command{
			Synopsis:    []string{"[options] -- COMMAND [ARGS...]"},
			Description: manParagraphs("man-run"),
			Values:      map[string][]string{"format": {"table", "json", "markdown", "html"}},
			Args:        docgen.ArgsCommand,
			Examples:    manLines("examples-run"),
		}
	case "explain":
		return docgen.Command{
			Synopsis:    []string{"[options] MESSAGE", "[options] -"},
			Description: manParagraphs("man-explain"),
			Values:      map[string][]string{"format": {"table", "json"}},
			Examples:    manLines("examples-explain"),
		}
	}
	return docgen.Command{} // TestEveryCommandDocumented asks for a text
}

// The man page's prose is text files (help/man-*.txt: paragraphs between
// blank lines; help/examples-*.txt: one example a line).
//
//go:embed help/man-*.txt help/examples-*.txt
var manFiles embed.FS

// manParagraphs is the paragraphs of help/name.txt.
func manParagraphs(name string) []string {
	return strings.Split(strings.TrimSuffix(manFile(name), "\n"), "\n\n")
}

// manLines is the lines of help/name.txt.
func manLines(name string) []string {
	return strings.Split(strings.TrimSuffix(manFile(name), "\n"), "\n")
}

// manFile is help/name.txt; they are embedded, so one missing is a
// mistake in the build, which every test of the man page shows.
func manFile(name string) string {
	b, err := manFiles.ReadFile("help/" + name + ".txt")
	if err != nil {
		panic(err)
	}
	return string(b)
}

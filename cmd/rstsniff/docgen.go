package main

// The man page and the shell completions are generated (internal/docgen)
// from the flag sets the command and its subcommands parse with, so they
// cannot drift from the flags: rstsniff --help-man (hidden) and rstsniff
// --completion bash|zsh|fish. The Debian package ships their output
// (deploy/nfpm.yaml, make deb). docCommands is the one list of commands.

import (
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
	return &docgen.Page{
		Program:  "rstsniff",
		Version:  version,
		Summary:  "say who reset each SSH connection, at which stage, and whether the reset was forged",
		Commands: docCommands(),
		Sections: []docgen.Section{
			{Title: "OUTPUT", Paragraphs: []string{`The table (default) lists abnormal connections, then a summary.
--format json writes one JSON object per connection, then a summary object; --format ecs writes one
Elastic Common Schema document per connection and per reset; markdown and html are reports of a
capture file.`}},
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
			Description: []string{`rstsniff reads SSH traffic from pcap or pcapng captures, or captures it live, and
says for each connection how it ended (closed, reset, refused, timed out, unreachable), at which stage
(TCP handshake, banner, key exchange, authentication, session), which side's address each reset carried,
and whether the endpoint really sent it or a device on the path forged it, with the evidence (TTL,
sequence numbers, data sent after the reset).`,
				`A filter expression in pcap-filter(7) syntax narrows the packets read. Capture files may be given
without -r: the leading arguments that name files are read, the rest is the filter.`,
				`Several files are read up to -j at a time, and the output is the same as reading them one by one.
With --correlate, two captures of the same connections taken at two points (the client's side and the
server's) are compared packet by packet: the packets forged, dropped or changed between the two points,
proven rather than inferred; one capture taken on a jump host is compared across the host's two legs.`},
			Values:    map[string][]string{"format": formats, "completion": docgen.Shells},
			NoDefault: []string{"jobs"}, // half the machine's CPUs; the usage says so
			Args:      docgen.ArgsFiles,
			Examples: []string{
				"rstsniff -r capture.pcap",
				"rstsniff -r capture.pcap --explain",
				"tcpdump -i eth0 -w - port 22 | rstsniff -r -",
				"rstsniff -i eth0 --metrics 127.0.0.1:9122 --format json",
				"systemctl enable --now rstsniff@eth0",
				"rstsniff -j 4 day1/*.pcap",
				"rstsniff --correlate -r client.pcap -r server.pcap --format html -o proof.html",
			},
		}
	case "probe":
		return docgen.Command{
			Synopsis: []string{"[options] HOST[:PORT]"},
			Description: []string{`Opens SSH connections as far as a client without credentials goes (up to
the request for an authentication method, then a large packet), captures its own packets and judges them
as -r does. Capturing needs root or CAP_NET_RAW; without it the probe says what the sockets saw.`,
				`With --locate, when the analysis judges a reset forged, the probe repeats what drew it (the SYN, the
client's banner or its KEXINIT) on fresh connections with IP TTL 1, 2, ... up to --max-ttl, reads the
ICMP time-exceeded replies, and names the last router that answered before the reset came back: the
device that forges it is that hop or on the link after it.`,
				`Exit status as for captures: 0 all clean, 1 a connection was reset, refused, timed out or unreachable
(or a socket saw an error), 2 bad flags or an error.`},
			Values: map[string][]string{"format": {"table", "json", "markdown", "html"}},
			Args:   docgen.ArgsHosts,
			Examples: []string{
				"rstsniff probe 203.0.113.2",
				"rstsniff probe --count 2 --locate 203.0.113.2",
				"rstsniff probe --count 40 --parallel 20 [2001:db8::2]:2222",
			},
		}
	case "run":
		return docgen.Command{
			Synopsis: []string{"[options] -- COMMAND [ARGS...]"},
			Description: []string{`Runs COMMAND (standard input, output and error passed through) while
capturing its SSH connections, then, if it failed, says on standard error how each of its connections
ended, who sent any reset, and what its error message means, joined to the connection. Exits with
COMMAND's status (127 when it is not found, 128+N when signal N ended it).`},
			Values: map[string][]string{"format": {"table", "json", "markdown", "html"}},
			Args:   docgen.ArgsCommand,
			Examples: []string{
				"rstsniff run -- scp -P 2222 dist/app.tar deploy@203.0.113.10:/srv/",
				"rstsniff run -o report.md -w packets.pcapng -- ./deploy.sh",
			},
		}
	case "explain":
		return docgen.Command{
			Synopsis: []string{"[options] MESSAGE", "[options] -"},
			Description: []string{`What an OpenSSH client message (or a whole ssh -v log read from standard
input with -) means on the wire, the stage, the likely causes and what to capture. No capture is needed.`,
				`Exit status: 0 when it explained something, 1 when it recognised nothing, 2 for bad usage or input.`},
			Values: map[string][]string{"format": {"table", "json"}},
			Examples: []string{
				"rstsniff explain 'kex_exchange_identification: read: Connection reset by peer'",
				"ssh -vvv user@host true 2>&1 | rstsniff explain -",
			},
		}
	}
	return docgen.Command{} // TestEveryCommandDocumented asks for a text
}

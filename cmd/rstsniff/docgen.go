package main

// The man page and the shell completions are generated from the flag set
// parseFlags builds, so they cannot drift from the flags: rstsniff
// --help-man (hidden) and rstsniff --completion bash|zsh|fish. The Debian
// package ships their output (deploy/nfpm.yaml, make deb).

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"
)

// formats are the values --format takes (TestCompletionFormats holds them
// to what parseFlags accepts).
var formats = []string{"table", "json", "ecs", "markdown", "html"}

var shells = []string{"bash", "zsh", "fish"}

func generate(o *options, stdout, stderr io.Writer) int {
	var err error
	switch o.gen {
	case "man":
		err = writeMan(stdout, o.flags)
	case "bash":
		err = writeBash(stdout, o.flags)
	case "zsh":
		err = writeZsh(stdout, o.flags)
	case "fish":
		err = writeFish(stdout, o.flags)
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

// docFlag is one visible flag as the generators see it.
type docFlag struct {
	long, short string
	arg         string // the value's name (FILE, IFACE...), "" for a switch
	usage       string // with the value's name unquoted
	def         string // default worth showing, or ""
}

func visibleFlags(fs *pflag.FlagSet) []docFlag {
	var out []docFlag
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		arg, usage := pflag.UnquoteUsage(f)
		d := docFlag{long: f.Name, short: f.Shorthand, usage: usage}
		if f.NoOptDefVal == "" {
			d.arg = arg
		}
		switch f.DefValue {
		case "", "0", "0s", "false", "[]":
		default:
			d.def = f.DefValue
		}
		if f.Name == "jobs" {
			d.def = "" // depends on the machine's CPUs; the usage says so
		}
		out = append(out, d)
	})
	return out
}

// argKind says how a shell completes a flag's value, from its name in the
// usage text.
func argKind(arg string) string {
	switch arg {
	case "FILE":
		return "file"
	case "IFACE":
		return "iface"
	case "FORMAT":
		return "format"
	case "USER":
		return "user"
	case "SHELL":
		return "shell"
	}
	return ""
}

// roff escapes text for a man page: backslashes, hyphens (so they stay
// ASCII minus signs for searching and pasting), and a leading period or
// apostrophe that roff would take for a request.
func roff(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "-", `\-`)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}

func writeMan(w io.Writer, fs *pflag.FlagSet) error {
	var b strings.Builder
	fmt.Fprintf(&b, ".TH RSTSNIFF 1 \"\" \"rstsniff %s\" \"User Commands\"\n", roff(version))
	b.WriteString(`.SH NAME
rstsniff \- say who reset each SSH connection, at which stage, and whether the reset was forged
.SH SYNOPSIS
.B rstsniff
\-r \fIFILE\fR [\-r \fIFILE\fR ...] [\fIoptions\fR] [\fIfilter expression\fR]
.br
.B rstsniff
\-i \fIIFACE\fR [\fIoptions\fR] [\fIfilter expression\fR]
.SH DESCRIPTION
.B rstsniff
reads SSH traffic from pcap or pcapng captures, or captures it live, and
says for each connection how it ended (closed, reset, refused, timed out,
unreachable), at which stage (TCP handshake, banner, key exchange,
authentication, session), which side's address each reset carried, and
whether the endpoint really sent it or a device on the path forged it,
with the evidence (TTL, sequence numbers, data sent after the reset).
.PP
A filter expression in pcap-filter(7) syntax narrows the packets read.
.SH OPTIONS
`)
	for _, f := range visibleFlags(fs) {
		b.WriteString(".TP\n")
		if f.short != "" {
			fmt.Fprintf(&b, `\fB\-%s\fR, `, roff(f.short))
		}
		fmt.Fprintf(&b, `\fB\-\-%s\fR`, roff(f.long))
		if f.arg != "" {
			fmt.Fprintf(&b, ` \fI%s\fR`, roff(f.arg))
		}
		b.WriteString("\n" + roff(f.usage))
		if f.def != "" {
			fmt.Fprintf(&b, " (default: %s)", roff(f.def))
		}
		b.WriteString("\n")
	}
	b.WriteString(`.SH OUTPUT
The table (default) lists abnormal connections, then a summary.
\fB\-\-format json\fR writes one JSON object per connection, then a summary
object; \fB\-\-format ecs\fR writes one Elastic Common Schema document per
connection and per reset; \fBmarkdown\fR and \fBhtml\fR are reports of a
capture file.
.SH EXIT STATUS
.TP
0
no connection was reset, refused or timed out
.TP
1
some connection was
.TP
2
bad flags or unreadable input
.SH FILES
.TP
/var/log/rstsniff/\fIIFACE\fR.json
JSON lines written by the rstsniff@\fIIFACE\fR service (rotated by logrotate)
.TP
/etc/default/rstsniff
options for the rstsniff@ service (RSTSNIFF_OPTS)
.SH EXAMPLES
.nf
rstsniff \-r capture.pcap
rstsniff \-r capture.pcap \-\-explain
tcpdump \-i eth0 \-w \- port 22 | rstsniff \-r \-
rstsniff \-i eth0 \-\-metrics 127.0.0.1:9122 \-\-format json
systemctl enable \-\-now rstsniff@eth0
.fi
.SH SEE ALSO
tcpdump(8), pcap\-filter(7), ssh(1), sshd(8)
`)
	_, err := io.WriteString(w, b.String())
	return err
}

// bashWords lists the flags for compgen -W.
func bashWords(flags []docFlag) string {
	var words []string
	for _, f := range flags {
		if f.short != "" {
			words = append(words, "-"+f.short)
		}
		words = append(words, "--"+f.long)
	}
	return strings.Join(words, " ")
}

func writeBash(w io.Writer, fs *pflag.FlagSet) error {
	flags := visibleFlags(fs)
	cases := map[string][]string{}
	for _, f := range flags {
		if f.arg == "" {
			continue
		}
		names := []string{"--" + f.long}
		if f.short != "" {
			names = append(names, "-"+f.short)
		}
		k := argKind(f.arg)
		cases[k] = append(cases[k], names...)
	}
	var b strings.Builder
	b.WriteString("# bash completion for rstsniff (generated by rstsniff --completion bash)\n")
	b.WriteString("_rstsniff() {\n\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n\tcase $prev in\n")
	arms := []struct{ kind, action string }{
		{"file", `COMPREPLY=($(compgen -f -- "$cur")); return`},
		{"iface", `COMPREPLY=($(compgen -W "any $(ls /sys/class/net 2>/dev/null)" -- "$cur")); return`},
		{"format", `COMPREPLY=($(compgen -W "` + strings.Join(formats, " ") + `" -- "$cur")); return`},
		{"user", `COMPREPLY=($(compgen -u -- "$cur")); return`},
		{"shell", `COMPREPLY=($(compgen -W "` + strings.Join(shells, " ") + `" -- "$cur")); return`},
		{"", `return`}, // a value of its own: nothing to offer
	}
	for _, a := range arms {
		if len(cases[a.kind]) > 0 {
			fmt.Fprintf(&b, "\t%s) %s ;;\n", strings.Join(cases[a.kind], "|"), a.action)
		}
	}
	b.WriteString("\tesac\n")
	fmt.Fprintf(&b, "\tif [[ $cur == -* ]]; then\n\t\tCOMPREPLY=($(compgen -W %q -- \"$cur\"))\n\tfi\n}\n", bashWords(flags))
	b.WriteString("complete -o default -F _rstsniff rstsniff\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// zshQuote escapes text for a description inside a single-quoted
// _arguments spec.
func zshQuote(s string) string {
	r := strings.NewReplacer(`'`, `'\''`, `[`, `\[`, `]`, `\]`, `:`, `\:`, `\`, `\\`)
	return r.Replace(s)
}

func writeZsh(w io.Writer, fs *pflag.FlagSet) error {
	var b strings.Builder
	b.WriteString("#compdef rstsniff\n# zsh completion for rstsniff (generated by rstsniff --completion zsh)\n_rstsniff() {\n\t_arguments -s \\\n")
	for _, f := range visibleFlags(fs) {
		desc := zshQuote(firstClause(f.usage))
		action := ""
		if f.arg != "" {
			switch argKind(f.arg) {
			case "file":
				action = ":" + f.arg + ":_files"
			case "iface":
				action = ":" + f.arg + ":_net_interfaces"
			case "format":
				action = ":" + f.arg + ":(" + strings.Join(formats, " ") + ")"
			case "user":
				action = ":" + f.arg + ":_users"
			case "shell":
				action = ":" + f.arg + ":(" + strings.Join(shells, " ") + ")"
			default:
				action = ":" + f.arg + ": "
			}
		}
		repeat := ""
		if f.long == "read" || f.long == "numeric" {
			repeat = "*"
		}
		if f.short != "" {
			excl := "(-" + f.short + " --" + f.long + ")"
			if repeat != "" {
				excl = ""
			}
			fmt.Fprintf(&b, "\t\t'%s%s-%s[%s]%s' \\\n", excl, repeat, f.short, desc, action)
			fmt.Fprintf(&b, "\t\t'%s%s--%s[%s]%s' \\\n", excl, repeat, f.long, desc, action)
		} else {
			fmt.Fprintf(&b, "\t\t'%s--%s[%s]%s' \\\n", repeat, f.long, desc, action)
		}
	}
	b.WriteString("\t\t'*::filter expression: '\n}\n_rstsniff \"$@\"\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// fishQuote escapes text for a single-quoted fish string.
func fishQuote(s string) string {
	return strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s)
}

func writeFish(w io.Writer, fs *pflag.FlagSet) error {
	var b strings.Builder
	b.WriteString("# fish completion for rstsniff (generated by rstsniff --completion fish)\n")
	for _, f := range visibleFlags(fs) {
		fmt.Fprintf(&b, "complete -c rstsniff")
		if f.short != "" {
			fmt.Fprintf(&b, " -s %s", f.short)
		}
		fmt.Fprintf(&b, " -l %s", f.long)
		if f.arg != "" {
			switch argKind(f.arg) {
			case "file":
				b.WriteString(" -r -F")
			case "iface":
				b.WriteString(" -x -a 'any (ls /sys/class/net 2>/dev/null)'")
			case "format":
				fmt.Fprintf(&b, " -x -a '%s'", strings.Join(formats, " "))
			case "user":
				b.WriteString(" -x -a '(__fish_complete_users)'")
			case "shell":
				fmt.Fprintf(&b, " -x -a '%s'", strings.Join(shells, " "))
			default:
				b.WriteString(" -x")
			}
		}
		fmt.Fprintf(&b, " -d '%s'\n", fishQuote(firstClause(f.usage)))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// firstClause is a usage text cut at its first colon or parenthesis, short
// enough for a completion menu.
func firstClause(s string) string {
	if i := strings.IndexAny(s, ":("); i > 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

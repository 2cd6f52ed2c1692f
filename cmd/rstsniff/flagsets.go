package main

// The subcommands' flag sets, one constructor each, so that the man page
// and the completions (docgen.go) read the very flags the subcommand
// parses. TestFlagSetsAsParsed holds each to what its parser's --help
// prints until the parsers call them (parseProbeFlags, parseRunFlags,
// runExplain: "fs := probeFlagSet(o, &help)" in place of their own
// definitions).

import (
	"io"
	"time"

	"github.com/spf13/pflag"
)

// probeFlagSet defines rstsniff probe's flags on o; help is -h.
func probeFlagSet(o *probeOptions, help *bool) *pflag.FlagSet {
	fs := pflag.NewFlagSet("rstsniff probe", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	fs.IntVarP(&o.count, "count", "c", 3, "open `N` connections")
	fs.DurationVar(&o.interval, "interval", 200*time.Millisecond, "wait `D` between connections (between batches with --parallel)")
	fs.IntVar(&o.parallel, "parallel", 1, "open `N` connections at once (shows a server's MaxStartups)")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "give each connection `D` in all")
	fs.StringVar(&o.format, "format", "table", "output `FORMAT`: table, json, markdown or html")
	fs.StringVarP(&o.write, "write", "w", "", "keep the probe's own packets in `FILE` (pcap) as evidence")
	fs.StringVarP(&o.iface, "interface", "i", "", "capture on `IFACE` (default: the one the route to the target leaves by)")
	fs.StringVar(&o.user, "user", "", "user `NAME` in the authentication request (default rstsniff-probe)")
	fs.BoolVar(&o.locate, "locate", false, "when a reset is forged, repeat its trigger with TTL 1, 2, ... to find the hop that forges it")
	fs.IntVar(&o.maxTTL, "max-ttl", 16, "--locate tries TTLs up to `N`")
	fs.BoolVarP(&o.explain, "explain", "e", false, "explain each abnormal connection")
	fs.BoolVar(&o.noKernel, "no-kernel", false, "do not ask this host's kernel (eBPF) which resets it sent and which firewall rule sent or dropped them")
	fs.StringArrayVar(&o.sshdLogs, "sshd-log", nil, "join sshd's log `FILE` to the probe's connections, as with -r; repeatable")
	fs.StringArrayVar(&o.fail2banLogs, "fail2ban-log", nil, "join fail2ban's log `FILE` to the probe's connections; repeatable")
	fs.StringVar(&o.logTZ, "log-tz", "", "time `ZONE` of log lines that carry none")
	fs.BoolVarP(help, "help", "h", false, "show this help")
	return fs
}

// runFlagSet defines rstsniff run's flags on o; portList is --ports as
// given, help is -h.
func runFlagSet(o *runOptions, portList *string, help *bool) *pflag.FlagSet {
	fs := pflag.NewFlagSet("rstsniff run", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	fs.SetInterspersed(false) // the first word that is not an option starts the command
	fs.StringVarP(&o.iface, "interface", "i", "any", "capture on `IFACE`")
	fs.StringVar(portList, "ports", "", "SSH server `PORTS`, comma-separated (default: those the command line names with -p, -P, -o Port= or ssh:// URLs, else 22)")
	fs.StringVarP(&o.output, "output", "o", "", "write a report of the command's connections to `FILE` (format from its extension: .json, .md, .html, else the table)")
	fs.StringVar(&o.format, "format", "", "the report's `FORMAT` (table, json, markdown, html), when -o's extension does not say it")
	fs.StringVarP(&o.write, "write", "w", "", "write the packets of the command's connections that ended abnormally to `FILE` (pcapng)")
	fs.BoolVar(&o.noKernel, "no-kernel", false, "do not ask this host's kernel (eBPF) which resets it sent and why")
	fs.BoolVar(&o.requireCapture, "require-capture", false, "when the capture cannot start, fail (exit status 2) instead of running the command without it")
	fs.DurationVar(&o.linger, "linger", time.Second, "after the command ends, capture `D` longer for late packets (a reset answering its last one)")
	fs.BoolVar(&o.noCgroup, "no-cgroup", false, "attribute connections by sampling /proc, not with a cgroup and BPF")
	_ = fs.MarkHidden("no-cgroup")
	fs.BoolVarP(help, "help", "h", false, "show this help")
	return fs
}

// explainFlagSet defines rstsniff explain's flags; help is -h.
func explainFlagSet(format *string, help *bool) *pflag.FlagSet {
	fs := pflag.NewFlagSet("rstsniff explain", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(format, "format", "table", "output `FORMAT`: table (text) or json")
	fs.BoolVarP(help, "help", "h", false, "show this help")
	return fs
}

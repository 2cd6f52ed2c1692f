package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/ingest"
	"github.com/rstsniff/rstsniff/internal/term"
	"github.com/rstsniff/rstsniff/probe"
	"github.com/rstsniff/rstsniff/probe/session"
	"github.com/rstsniff/rstsniff/report"
	"github.com/rstsniff/rstsniff/sshdlog"
)

type probeOptions struct {
	target   string
	count    int
	interval time.Duration
	parallel int
	timeout  time.Duration
	format   report.Format
	fmtName  string // --format as given
	help     bool
	write    string
	iface    string
	user     string
	locate   bool
	explain  bool
	maxTTL   int
	noKernel bool
	// The server's log, joined to the probe's connections as with -r.
	sshdLogs, fail2banLogs []string
	logTZ                  string
}

// probeFlags is probe's flag set, bound to o's fields.
func probeFlags(o *probeOptions) *pflag.FlagSet {
	fs := pflag.NewFlagSet("rstsniff probe", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	fs.IntVarP(&o.count, "count", "c", 3, "open `N` connections")
	fs.DurationVar(&o.interval, "interval", 200*time.Millisecond, "wait `D` between connections (between batches with --parallel)")
	fs.IntVar(&o.parallel, "parallel", 1, "open `N` connections at once (shows a server's MaxStartups)")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "give each connection `D` in all")
	fs.StringVar(&o.fmtName, "format", "table", "output `FORMAT`: table, json, markdown or html")
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
	fs.BoolVarP(&o.help, "help", "h", false, "show this help")
	return fs
}

func parseProbeFlags(args []string, stdout io.Writer) (*probeOptions, error) {
	o := &probeOptions{}
	fs := probeFlags(o)
	err := fs.Parse(args)
	if err != nil {
		return nil, flagError(err)
	}
	if o.help {
		fmt.Fprintf(stdout, "%s\n%s", wrapHelp(probeUsage, helpWidth(stdout)), fs.FlagUsagesWrapped(helpWidth(stdout)))
		return nil, nil
	}
	if fs.NArg() != 1 {
		return nil, &usageError{"probe takes one target: HOST[:PORT] (IPv6 as [ADDR]:PORT)"}
	}
	o.target = fs.Arg(0)
	switch {
	case o.count < 1 || o.count > 1000:
		return nil, &usageError{"--count takes 1 to 1000"}
	case o.parallel < 1 || o.parallel > 100:
		return nil, &usageError{"--parallel takes 1 to 100"}
	case o.timeout <= 0 || o.interval < 0:
		return nil, &usageError{"--timeout must be positive and --interval not negative"}
	case o.maxTTL < 1 || o.maxTTL > 64:
		return nil, &usageError{"--max-ttl takes 1 to 64"}
	case o.write == "-":
		return nil, &usageError{"-w writes a file; standard output carries the verdicts"}
	}
	// Probe takes no ECS, and "md" is not its name for Markdown.
	f, ok := report.ParseFormat(o.fmtName)
	if !ok || f == report.FormatECS || o.fmtName == "md" {
		return nil, &usageError{fmt.Sprintf("unknown --format %q: use table, json, markdown or html", o.fmtName)}
	}
	o.format = f
	return o, nil
}

// runProbe is `rstsniff probe`: probe, capture, judge with the analysis of
// -r, say what the sockets saw, and with --locate find the forging hop.
func runProbe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseProbeFlags(args, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "rstsniff: %v\n", err)
		var ue *usageError
		if errors.As(err, &ue) {
			fmt.Fprintln(stderr, "see rstsniff probe --help")
		}
		return exitUsage
	}
	if o == nil {
		return exitOK
	}
	host, port, err := probe.ParseTarget(o.target)
	if err != nil {
		fmt.Fprintf(stderr, "rstsniff: probe: %v\n", err)
		return exitUsage
	}
	ip, err := probe.Resolve(ctx, host)
	if err != nil {
		fmt.Fprintf(stderr, "rstsniff: probe: %v\n", err)
		return exitUsage
	}

	// This host's kernel as a witness of the probe's own connections, as
	// in a live capture (resets its stack or its firewall sent, and the
	// rule): quietly, since the report says what it saw; without it the
	// verdicts rest on the packets alone.
	kw := startKernel(&options{noKernel: o.noKernel}, io.Discard, nil)
	defer kw.Close()
	cfg := &session.Config{Addr: netip.AddrPortFrom(ip, port), Count: o.count, Parallel: o.parallel, Interval: o.interval,
		Probe: probe.Config{User: o.user, Timeout: o.timeout}, Write: o.write, Interface: o.iface, Locate: o.locate,
		MaxTTL: o.maxTTL, Kernel: kw, Ingest: probeIngestConfig(o), Logs: probeLogs(o)}
	res, err := session.Run(ctx, cfg) // probe/session
	if err != nil {
		fmt.Fprintf(stderr, "rstsniff: probe: %v\n", err)
		return exitUsage
	}
	if res.Run != nil && len(res.Run.Inputs) > 0 { // the probe's capture: the witness watched it
		res.Run.Inputs[0].Warnings = append(res.Run.Inputs[0].Warnings, kernelLosses(kw)...)
	}
	if res.LocateStopped != nil {
		fmt.Fprintf(stderr, "rstsniff: probe: --locate stopped early: %v\n", res.LocateStopped)
	}
	if res.Section.NoCapture != "" {
		fmt.Fprintln(stderr, report.ProbeNoCapture(res.Section.NoCapture))
	}
	if err := writeProbeReport(stdout, stderr, o, "rstsniff probe "+strings.Join(args, " "), res.Run, res.ServerLog, res.Section); err != nil {
		fmt.Fprintf(stderr, "rstsniff: writing output: %v\n", err)
		return exitUsage
	}
	if res.Abnormal() {
		return exitAbnormal
	}
	return exitOK
}

// probeIngestConfig is how the probe's capture is judged: as -r judges a
// capture, every connection kept (the ports are the target's).
func probeIngestConfig(po *probeOptions) *ingest.Config {
	return ingestConfig(&options{format: po.format, idle: analyze.DefaultIdleThreshold, grace: analyze.DefaultGrace,
		timeout: analyze.DefaultFlowTimeout, maxFlows: analyze.DefaultMaxFlows, jobs: 1})
}

// probeLogs reads the server's logs joined to the probe's connections, as
// with -r: nil when none was given.
func probeLogs(po *probeOptions) func(time.Time) ([]sshdlog.Line, []report.ServerLogFile, error) {
	if len(po.sshdLogs)+len(po.fail2banLogs) == 0 {
		return nil
	}
	o := &options{sshdLogs: po.sshdLogs, fail2banLogs: po.fail2banLogs, logTZ: po.logTZ}
	return func(near time.Time) ([]sshdlog.Line, []report.ServerLogFile, error) {
		return readServerLogs(o, nil, near)
	}
}

// writeProbeReport writes the verdicts on the probe's capture in the format
// asked, with what the sockets saw and where --locate found the hop:
// JSON lines, a table, or a Markdown or HTML report whose command line is
// the probe command typed.
func writeProbeReport(stdout, stderr io.Writer, o *probeOptions, command string, r *report.Run, sl *report.ServerLog, sec *report.ProbeSection) error {
	meta := report.Meta{Version: version, Command: command, All: true}
	tm := term.Of(stdout)
	topt := report.TableOptions{All: true, Explain: o.explain, Width: tm.Width, Color: tm.Color}
	// The capture's warnings on standard error as -r says them, where the
	// table does not (the table's own lines say them).
	if r != nil && o.format != report.FormatTable {
		for _, w := range r.Warnings() {
			fmt.Fprintf(stderr, "rstsniff: warning: %s\n", report.Safe(w))
		}
	}
	return report.WriteProbe(stdout, o.format, r, sl, meta, topt, sec)
}

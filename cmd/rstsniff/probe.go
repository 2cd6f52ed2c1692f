package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/capture/live"
	"github.com/rstsniff/rstsniff/internal/term"
	"github.com/rstsniff/rstsniff/probe"
	"github.com/rstsniff/rstsniff/report"
)

type probeOptions struct {
	target   string
	count    int
	interval time.Duration
	parallel int
	timeout  time.Duration
	format   format
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
	f, ok := parseFormat(o.fmtName)
	if !ok || f == formatECS || o.fmtName == "md" {
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
	addr := netip.AddrPortFrom(ip, port)

	// This host's kernel as a witness of the probe's own connections, as
	// in a live capture (resets its stack or its firewall sent, and the
	// rule): quietly, since the report says what it saw; without it the
	// verdicts rest on the packets alone.
	kw := startKernel(&options{noKernel: o.noKernel}, io.Discard, nil)
	defer kw.Close()
	// Capture first, so the first SYN is in it.
	pc, capErr := startProbeCapture(o, addr)
	if capErr != nil && o.write != "" {
		fmt.Fprintf(stderr, "rstsniff: probe: -w: %v\n", capErr)
		return exitUsage
	}
	cfg := probe.Config{User: o.user, Timeout: o.timeout}
	results := probe.Run(ctx, addr, o.count, o.parallel, o.interval, cfg, nil)
	// A connection that stalled after the handshake: once more with a small
	// MSS, to tell an MTU black hole from a server that stopped answering.
	mtu := probe.CheckMTU(ctx, addr, results, cfg)
	if mtu != nil {
		results = append(results, mtu.Check)
	}

	code := exitOK
	for _, r := range results {
		if r.Abnormal() {
			code = exitAbnormal
		}
	}
	// The probe's own packets judged as -r judges a capture, in this
	// process: the flows, and the server's log joined to them.
	var judged *probeJudged
	if pc != nil {
		if err := pc.Stop(probeLinger); err != nil {
			fmt.Fprintf(stderr, "rstsniff: probe: capture: %v\n", err)
			return exitUsage
		}
		defer pc.Remove()
		judged, err = judgeProbeCapture(ctx, o, pc.Path(), port, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "rstsniff: probe: analysis: %v\n", err)
			return exitUsage
		}
		kw.Attribute(judged.run.Flows)
		if judged.run.Abnormal() {
			code = exitAbnormal // the exit status of -r on the same packets
		}
	}

	// --locate only for a reset forged on the path: a host's own firewall
	// has no hop to find.
	sec := &report.ProbeSection{Results: results, MTU: mtu}
	if pc == nil {
		sec.NoCapture = capErr.Error()
	}
	if o.locate {
		plan := report.LocatePlan{Why: report.LocateNoCapture}
		if judged != nil {
			plan = planLocate(judged.run.Flows)
		}
		sec.Plan = &plan
		if plan.Run() {
			loc, err := probe.Locate(ctx, addr, locateTrigger(plan.Reset), probe.LocateConfig{MaxTTL: o.maxTTL})
			if err != nil && loc == nil {
				fmt.Fprintf(stderr, "rstsniff: probe: --locate: %v\n", err)
				return exitUsage
			}
			if err != nil {
				fmt.Fprintf(stderr, "rstsniff: probe: --locate stopped early: %v\n", err)
			}
			sec.Locate = loc
		}
	}
	if pc == nil {
		fmt.Fprintln(stderr, report.ProbeNoCapture(capErr.Error()))
	}
	if err := writeProbeReport(stdout, stderr, o, "rstsniff probe "+strings.Join(args, " "), judged, sec); err != nil {
		fmt.Fprintf(stderr, "rstsniff: writing output: %v\n", err)
		return exitUsage
	}
	return code
}

// probeJudged is the analysis of the probe's capture.
type probeJudged struct {
	run    *report.Run
	server *report.ServerLog // nil without --sshd-log or --fail2ban-log
	multi  bool
}

// judgeProbeCapture reads the probe's capture through the pipeline and the
// analyzer, as -r does (every connection kept), and joins the server's logs
// to its connections.
func judgeProbeCapture(ctx context.Context, po *probeOptions, path string, port uint16, stderr io.Writer) (*probeJudged, error) {
	o := &options{reads: []string{path}, ports: []uint16{port}, format: po.format, all: true, explain: po.explain,
		idle: analyze.DefaultIdleThreshold, grace: analyze.DefaultGrace, timeout: analyze.DefaultFlowTimeout,
		maxFlows: analyze.DefaultMaxFlows, jobs: 1, sshdLogs: po.sshdLogs, fail2banLogs: po.fail2banLogs, logTZ: po.logTZ}
	j := &probeJudged{run: &report.Run{Tally: &report.Tally{}}}
	r := j.run
	nextID := 1
	sink := func(f *analyze.Flow) {
		f.ID = nextID
		nextID++
		r.Tally.Add(f)
		r.Flows = append(r.Flows, f)
	}
	budget := 0
	if err := analyzeFiles(ctx, o, nil, io.Discard, &budget, nil, sink, r); err != nil {
		return nil, err
	}
	if len(o.sshdLogs)+len(o.fail2banLogs) == 0 {
		return j, nil
	}
	near := time.Now()
	if len(r.Inputs) > 0 && !r.Inputs[0].Start.IsZero() {
		near = r.Inputs[0].Start
	}
	lines, files, err := readServerLogs(o, nil, near)
	if err != nil {
		return nil, err
	}
	j.server = &report.ServerLog{Files: files, Result: joinServerLog(r.Flows, lines)}
	return j, nil
}

// planLocate decides --locate on the analysis's verdicts: it runs for the
// first reset whose sender is a device on the path, never for one from a
// host's own firewall or an endpoint's stack.
func planLocate(flows []*analyze.Flow) report.LocatePlan {
	var other report.LocatePlan
	found := false
	for _, f := range flows {
		for i := range f.Resets {
			r := &f.Resets[i]
			if r.Sender == analyze.SenderPath {
				return report.LocatePlan{Why: report.LocatePath, Flow: f, Reset: r}
			}
			if found {
				continue
			}
			found = true
			other = report.LocatePlan{Why: report.LocateNotForged, Flow: f, Reset: r}
			if s := r.Sender; s == analyze.SenderServerFirewall || s == analyze.SenderClientFirewall {
				other.Why = report.LocateHostFirewall
			}
		}
	}
	if !found {
		return report.LocatePlan{Why: report.LocateNoReset}
	}
	// A host firewall's reset anywhere says more than an endpoint's.
	for _, f := range flows {
		for i := range f.Resets {
			if s := f.Resets[i].Sender; s == analyze.SenderServerFirewall || s == analyze.SenderClientFirewall {
				return report.LocatePlan{Why: report.LocateHostFirewall, Flow: f, Reset: &f.Resets[i]}
			}
		}
	}
	return other
}

// locateTrigger picks what to repeat for a reset forged on the path: the
// SYN when it answered the handshake, the KEXINIT when it came once the
// banners were exchanged (also when the server's KEXINIT crossed the
// client's on the way, which makes the stage kex), the banner otherwise.
func locateTrigger(r *analyze.Reset) probe.Trigger {
	switch r.Stage {
	case analyze.StageHandshake:
		return probe.TriggerSYN
	case analyze.StageKexInit, analyze.StageKex:
		return probe.TriggerKexInit
	}
	return probe.TriggerBanner
}

// writeProbeReport writes the verdicts on the probe's capture in the format
// asked, with what the sockets saw and where --locate found the hop:
// JSON lines, a table, or a Markdown or HTML report whose command line is
// the probe command typed.
func writeProbeReport(stdout, stderr io.Writer, o *probeOptions, command string, j *probeJudged, sec *report.ProbeSection) error {
	meta := report.Meta{Version: version, Command: command, All: true}
	tm := term.Of(stdout)
	topt := report.TableOptions{All: true, Explain: o.explain, Width: tm.Width, Color: tm.Color}
	// The capture's warnings on standard error as -r says them, where the
	// table does not (the table's own lines say them).
	if j != nil && o.format != formatTable {
		for _, w := range j.run.Warnings() {
			fmt.Fprintf(stderr, "rstsniff: warning: %s\n", report.Safe(w))
		}
	}
	switch o.format {
	case formatJSON:
		bw := bufio.NewWriterSize(stdout, 64<<10)
		if j != nil {
			if err := writeJudged(bw, formatJSON, j.run, j.server, meta, false, topt); err != nil {
				return err
			}
		}
		if err := report.ProbeJSON(bw, sec.Results); err != nil {
			return err
		}
		if sec.MTU != nil {
			if err := report.MTUCheckJSON(bw, sec.MTU); err != nil {
				return err
			}
		}
		switch {
		case sec.Locate != nil:
			if err := report.LocateJSON(bw, sec.Locate); err != nil {
				return err
			}
		case sec.Plan != nil:
			if err := report.LocateNotRunJSON(bw, *sec.Plan); err != nil {
				return err
			}
		}
		return bw.Flush()
	case formatMarkdown, formatHTML:
		if j == nil {
			return report.ProbeOnly(stdout, o.format.String(), meta, sec)
		}
		return writeJudged(stdout, o.format, j.run, j.server, meta, false, topt, sec)
	}
	if j != nil {
		if err := writeJudged(stdout, formatTable, j.run, j.server, meta, false, topt); err != nil {
			return err
		}
		fmt.Fprintln(stdout)
	}
	if err := report.ProbeTable(stdout, sec.Results); err != nil {
		return err
	}
	if sec.MTU != nil {
		if err := report.MTUCheckText(stdout, sec.MTU); err != nil {
			return err
		}
	}
	switch {
	case sec.Locate != nil:
		fmt.Fprintln(stdout)
		return report.LocateText(stdout, sec.Locate)
	case sec.Plan != nil:
		fmt.Fprintln(stdout)
		_, err := fmt.Fprintln(stdout, report.LocateNotRun(*sec.Plan))
		return err
	}
	return nil
}

// startProbeCapture records, on the interface the route to addr leaves
// by, exactly the probe's server and port plus the ICMP errors sent to this
// host (to -w's file, else a temporary one).
func startProbeCapture(o *probeOptions, addr netip.AddrPort) (*live.Recording, error) {
	iface, local, err := probe.Route(addr, o.iface)
	if err != nil {
		return nil, err
	}
	return live.Record(live.Options{Interface: iface, Filter: probe.CaptureFilter(addr, local), Timeout: 50 * time.Millisecond}, o.write)
}

// probeLinger is how long the capture waits for late packets (a server's
// reply to a close, the first retransmission of a SYN-ACK a second on).
const probeLinger = 1200 * time.Millisecond

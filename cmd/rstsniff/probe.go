package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/spf13/pflag"

	"github.com/rstsniff/rstsniff/capture/live"
	"github.com/rstsniff/rstsniff/probe"
	"github.com/rstsniff/rstsniff/report"
)

type probeOptions struct {
	target   string
	count    int
	interval time.Duration
	parallel int
	timeout  time.Duration
	format   string
	write    string
	iface    string
	user     string
	locate   bool
	explain  bool
	maxTTL   int
	// The server's log, joined to the probe's connections as with -r.
	sshdLogs, fail2banLogs []string
	logTZ                  string
}

func parseProbeFlags(args []string, stdout io.Writer) (*probeOptions, error) {
	fs := pflag.NewFlagSet("rstsniff probe", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	o := &probeOptions{}
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
	fs.StringArrayVar(&o.sshdLogs, "sshd-log", nil, "join sshd's log `FILE` to the probe's connections, as with -r; repeatable")
	fs.StringArrayVar(&o.fail2banLogs, "fail2ban-log", nil, "join fail2ban's log `FILE` to the probe's connections; repeatable")
	fs.StringVar(&o.logTZ, "log-tz", "", "time `ZONE` of log lines that carry none")
	help := fs.BoolP("help", "h", false, "show this help")
	err := fs.Parse(args)
	if err != nil {
		return nil, flagError(err)
	}
	if *help {
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
	switch o.format {
	case "table", "json", "markdown", "html":
	default:
		return nil, &usageError{fmt.Sprintf("unknown --format %q: use table, json, markdown or html", o.format)}
	}
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
	var flows []probeFlow
	if pc != nil {
		if err := pc.stop(); err != nil {
			fmt.Fprintf(stderr, "rstsniff: probe: capture: %v\n", err)
			return exitUsage
		}
		defer pc.remove()
		// The same analysis as -r, on the probe's own packets: first as
		// JSON for the facts --locate needs, then in the format asked.
		base := []string{"-r", pc.path, "--ports", strconv.Itoa(int(port)), "--all"}
		for _, l := range o.sshdLogs {
			base = append(base, "--sshd-log", l)
		}
		for _, l := range o.fail2banLogs {
			base = append(base, "--fail2ban-log", l)
		}
		if o.logTZ != "" {
			base = append(base, "--log-tz", o.logTZ)
		}
		var js, jerr bytes.Buffer
		c := exitStatus(run(ctx, append(base, "--format", "json"), nil, &js, &jerr), &jerr)
		if c == exitUsage {
			fmt.Fprintf(stderr, "rstsniff: probe: analysis: %s", jerr.String())
			return exitUsage
		}
		code = max(code, c) // the exit status of -r on the same packets
		flows = parseProbeFlows(js.Bytes())
		if o.format == "json" {
			if _, err := stdout.Write(js.Bytes()); err != nil {
				return exitUsage
			}
		} else {
			a := append(base, "--format", o.format)
			if o.explain {
				a = append(a, "--explain")
			}
			if c := exitStatus(run(ctx, a, nil, stdout, stderr), stderr); c == exitUsage {
				return exitUsage
			}
		}
	}

	// What the sockets saw: in the table and JSON output; beside a
	// Markdown or HTML report (a document of its own), on standard error.
	side := stdout
	if o.format == "markdown" || o.format == "html" {
		side = stderr
	}
	if o.format == "json" {
		err = report.ProbeJSON(stdout, results)
		if err == nil && mtu != nil {
			err = report.MTUCheckJSON(stdout, mtu)
		}
	} else {
		if pc != nil {
			fmt.Fprintln(side)
		}
		err = report.ProbeTable(side, results)
		if err == nil && mtu != nil {
			err = report.MTUCheckText(side, mtu)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "rstsniff: writing output: %v\n", err)
		return exitUsage
	}
	if pc == nil {
		fmt.Fprintln(stderr, report.ProbeNoCapture(capErr.Error()))
	}

	if o.locate {
		trig, forged := locateTrigger(flows, results)
		switch {
		case pc == nil:
			fmt.Fprintln(stderr, "rstsniff: probe: --locate skipped: without a capture no reset can be judged forged")
		case !forged:
			fmt.Fprintln(side, "Locate: no forged reset to locate.")
		default:
			loc, err := probe.Locate(ctx, addr, trig, probe.LocateConfig{MaxTTL: o.maxTTL})
			if err != nil && loc == nil {
				fmt.Fprintf(stderr, "rstsniff: probe: --locate: %v\n", err)
				return exitUsage
			}
			if err != nil {
				fmt.Fprintf(stderr, "rstsniff: probe: --locate stopped early: %v\n", err)
			}
			if o.format == "json" {
				err = report.LocateJSON(stdout, loc)
			} else {
				fmt.Fprintln(side)
				err = report.LocateText(side, loc)
			}
			if err != nil {
				fmt.Fprintf(stderr, "rstsniff: writing output: %v\n", err)
				return exitUsage
			}
		}
	}
	return code
}

// probeFlow is what the probe needs from the analysis of its capture.
type probeFlow struct {
	Stage   string
	Outcome string
	Forged  []string // stages of the resets judged forged (origin middlebox)
}

func parseProbeFlows(jsonl []byte) []probeFlow {
	var out []probeFlow
	sc := bufio.NewScanner(bytes.NewReader(jsonl))
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		var f struct {
			Type    string `json:"type"`
			Stage   string `json:"stage"`
			Outcome string `json:"outcome"`
			Resets  []struct {
				Stage  string `json:"stage"`
				Origin string `json:"origin"`
			} `json:"resets"`
		}
		if json.Unmarshal(sc.Bytes(), &f) != nil || f.Type != "flow" {
			continue
		}
		pf := probeFlow{Stage: f.Stage, Outcome: f.Outcome}
		for _, r := range f.Resets {
			if r.Origin == "middlebox" {
				pf.Forged = append(pf.Forged, r.Stage)
			}
		}
		out = append(out, pf)
	}
	return out
}

// locateTrigger picks what to repeat: the SYN when the first forged reset
// answered the handshake, the KEXINIT when it came once the banners were
// exchanged, the banner otherwise.
func locateTrigger(flows []probeFlow, _ []probe.Result) (probe.Trigger, bool) {
	for _, f := range flows {
		if len(f.Forged) > 0 {
			switch f.Forged[0] {
			case "handshake":
				return probe.TriggerSYN, true
			case "kexinit":
				return probe.TriggerKexInit, true
			}
			return probe.TriggerBanner, true
		}
	}
	return 0, false
}

// probeCapture records the probe's packets to a pcap file.
type probeCapture struct {
	src     *live.Source
	path    string
	temp    bool
	f       *os.File
	bw      *bufio.Writer
	w       *pcapgo.Writer
	stopped chan struct{}
	quit    chan struct{}
	once    sync.Once
	err     error
}

// startProbeCapture opens a capture on the interface the route to addr
// leaves by, for exactly the probe's server and port plus the ICMP errors
// sent to this host.
func startProbeCapture(o *probeOptions, addr netip.AddrPort) (*probeCapture, error) {
	iface, local, err := routeInterface(addr, o.iface)
	if err != nil {
		return nil, err
	}
	filter := fmt.Sprintf("(tcp and host %s and port %d) or (dst host %s and (%s))", addr.Addr(), addr.Port(), local, probeICMPErrors)
	src, err := live.Open(live.Options{Interface: iface, Filter: filter, Timeout: 50 * time.Millisecond})
	if err != nil {
		return nil, err
	}
	c := &probeCapture{src: src, path: o.write, stopped: make(chan struct{}), quit: make(chan struct{})}
	if c.path == "" {
		f, err := os.CreateTemp("", "rstsniff-probe-*.pcap")
		if err != nil {
			src.Close()
			return nil, err
		}
		c.f, c.path, c.temp = f, f.Name(), true
	} else if c.f, err = os.Create(c.path); err != nil {
		src.Close()
		return nil, err
	}
	c.bw = bufio.NewWriter(c.f)
	c.w = pcapgo.NewWriterNanos(c.bw)
	if err := c.w.WriteFileHeader(262144, layers.LinkType(src.LinkType())); err != nil {
		src.Close()
		c.f.Close()
		return nil, err
	}
	go c.loop()
	return c, nil
}

// probeICMPErrors: ICMP destination unreachable and time exceeded, ICMPv6
// destination unreachable, packet too big and time exceeded.
const probeICMPErrors = "icmp[icmptype] == icmp-unreach or icmp[icmptype] == icmp-timxceed or (icmp6 and ip6[40] >= 1 and ip6[40] <= 3)"

func (c *probeCapture) loop() {
	defer close(c.stopped)
	for {
		select {
		case <-c.quit:
			return
		default:
		}
		data, ci, err := c.src.ReadFrame()
		if errors.Is(err, live.ErrTimeout) {
			continue
		}
		if err != nil {
			c.err = err
			return
		}
		if err := c.w.WritePacket(gopacket.CaptureInfo{Timestamp: ci.Timestamp, CaptureLength: len(data), Length: ci.Length}, data); err != nil {
			c.err = err
			return
		}
	}
}

// stop waits a moment for late packets (a server's reply to a close, the
// first retransmission of a SYN-ACK a second on), then ends the capture
// and closes the file.
func (c *probeCapture) stop() error {
	time.Sleep(1200 * time.Millisecond)
	close(c.quit)
	<-c.stopped
	c.src.Close()
	err := c.err
	if e := c.bw.Flush(); err == nil {
		err = e
	}
	if e := c.f.Close(); err == nil {
		err = e
	}
	return err
}

func (c *probeCapture) remove() {
	if c.temp {
		os.Remove(c.path)
	}
}

// routeInterface finds the interface (and local address) the route to
// addr leaves by, unless one is named.
func routeInterface(addr netip.AddrPort, named string) (string, netip.Addr, error) {
	u, err := net.Dial("udp", addr.String()) // no packet is sent: only a route lookup
	if err != nil {
		return "", netip.Addr{}, fmt.Errorf("no route to %s: %v", addr.Addr(), err)
	}
	local := u.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap()
	u.Close()
	if named != "" {
		return named, local, nil
	}
	ifs, err := net.Interfaces()
	if err != nil {
		return "", local, err
	}
	for _, ifc := range ifs {
		as, _ := ifc.Addrs()
		for _, a := range as {
			if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr().Unmap() == local {
				return ifc.Name, local, nil
			}
		}
	}
	return "any", local, nil
}

// Command rstsniff reads SSH traffic captures, or captures live, and says
// who reset each connection, at which step, and how it ended.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/capture"
	"github.com/rstsniff/rstsniff/capture/live"
	"github.com/rstsniff/rstsniff/decode"
	"github.com/rstsniff/rstsniff/report"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Exit statuses.
const (
	exitOK       = 0 // no connection was reset, refused or timed out
	exitAbnormal = 1 // some connection was
	exitUsage    = 2 // bad flags or unreadable input
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// usageError is a problem with the command line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

type options struct {
	reads     []string
	iface     string
	list      bool
	write     string
	user      string
	snaplen   int
	bufKiB    int
	promisc   bool
	filter    string
	count     int
	duration  time.Duration
	ports     []uint16
	format    string
	all       bool
	explain   bool
	idle      time.Duration
	grace     time.Duration
	timeout   time.Duration
	maxFlows  int
	metrics   string
	output    string
	command   string
	jobs      int
	cpuprof   string
	correlate bool
	// The server's log (sshdlog.go).
	sshdLogs, fail2banLogs []string
	logTZ                  string
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	fs := pflag.NewFlagSet("rstsniff", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	o := &options{}
	fs.StringArrayVarP(&o.reads, "read", "r", nil, "read packets from `FILE` (pcap or pcapng, gzip allowed; - for stdin); repeatable")
	fs.StringVarP(&o.iface, "interface", "i", "", "capture live on `IFACE` (any for all)")
	fs.BoolVarP(&o.list, "list-interfaces", "D", false, "list the interfaces rstsniff can capture on")
	fs.StringVarP(&o.write, "write", "w", "", "write the packets of connections that ended abnormally to `FILE` (pcapng)")
	fs.StringVarP(&o.user, "relinquish-privileges", "Z", "", "after opening the capture, drop root and run as `USER`")
	fs.IntVarP(&o.snaplen, "snapshot-length", "s", 262144, "bytes of each packet to capture")
	fs.IntVarP(&o.bufKiB, "buffer-size", "B", 0, "kernel capture buffer in `KiB` (0: 16 MiB)")
	fs.BoolVar(&o.promisc, "promisc", false, "put the interface in promiscuous mode")
	fs.IntVarP(&o.count, "count", "c", 0, "stop after `N` packets")
	fs.DurationVar(&o.duration, "duration", 0, "stop a live capture after `D` (e.g. 10m)")
	portList := fs.String("ports", "22", "SSH server `PORTS`, comma-separated")
	fs.StringVar(&o.format, "format", "table", "output `FORMAT`: table, json, markdown or html")
	fs.StringVarP(&o.output, "output", "o", "", "write the output to `FILE` instead of standard output")
	// A file read alone keeps two cores busy (analysis; reading, verdicts
	// and JSON): on two cores, two files at once were slower than one by one.
	fs.IntVarP(&o.jobs, "jobs", "j", max(1, runtime.GOMAXPROCS(0)/2), "read up to `N` files at once, half the CPUs by default (output is the same as one by one)")
	fs.BoolVar(&o.correlate, "correlate", false, "compare captures of the same connections taken at two points (client and server side): forged, dropped and changed packets, proven; or find a jump host's two legs in one capture")
	fs.BoolVar(&o.correlate, "vantage", false, "the same as --correlate")
	_ = fs.MarkHidden("vantage")
	fs.StringArrayVar(&o.sshdLogs, "sshd-log", nil, "join sshd's log `FILE` to the connections (syslog, journalctl -o json or short-iso, sshd -E; gzip allowed; - for stdin); repeatable")
	fs.StringArrayVar(&o.fail2banLogs, "fail2ban-log", nil, "join fail2ban's log `FILE` (Ban and Unban lines) to the connections; repeatable")
	fs.StringVar(&o.logTZ, "log-tz", "", "time `ZONE` of log lines that carry none (traditional syslog, fail2ban), e.g. Europe/Berlin or +01:00 (default: found from the connections, else UTC)")
	fs.BoolVar(&o.all, "all", false, "list every connection, not only abnormal ones")
	fs.BoolVarP(&o.explain, "explain", "e", false, "explain each abnormal connection: evidence, findings, causes, next steps")
	fs.DurationVar(&o.idle, "idle-threshold", analyze.DefaultIdleThreshold, "silence after which a reset drawn by the next packet is an idle-timeout reset")
	fs.DurationVar(&o.grace, "grace", analyze.DefaultGrace, "how long an ended connection waits for late packets before its verdict")
	fs.DurationVar(&o.timeout, "flow-timeout", analyze.DefaultFlowTimeout, "report and forget an established connection silent this long")
	fs.IntVar(&o.maxFlows, "max-flows", analyze.DefaultMaxFlows, "connections held at once (about 3 KB each); past it the least recently active are reported early")
	fs.StringVar(&o.metrics, "metrics", "", "serve Prometheus metrics on `ADDR` (e.g. 127.0.0.1:9122) during a live capture")
	fs.StringVar(&o.cpuprof, "cpuprofile", "", "write a Go CPU profile to `FILE` (for reporting slowness)")
	_ = fs.MarkHidden("cpuprofile")
	fs.CountP("numeric", "n", "accepted for tcpdump habits: rstsniff never resolves names")
	showVersion := fs.Bool("version", false, "print the version and exit")
	help := fs.BoolP("help", "h", false, "show this help")
	err := fs.Parse(args)
	if err != nil || *help {
		fmt.Fprintf(stderr, "usage: rstsniff -r FILE [-r FILE ...] [options] [filter expression]\n       rstsniff -i IFACE [options] [filter expression]\n\n%s", fs.FlagUsages())
		if err != nil {
			return nil, &usageError{err.Error()}
		}
		return nil, nil
	}
	if *showVersion {
		return &options{format: "version"}, nil
	}
	o.filter = strings.Join(fs.Args(), " ")
	switch {
	case o.list:
		return o, nil
	case len(o.reads) == 0 && o.iface == "":
		return nil, &usageError{"nothing to read: give a capture with -r FILE (- for standard input) or an interface with -i"}
	case len(o.reads) > 0 && o.iface != "":
		return nil, &usageError{"-r and -i do not go together"}
	}
	switch o.format {
	case "table", "json":
	case "markdown", "html":
		if o.iface != "" {
			return nil, &usageError{"--format " + o.format + " is a report of a capture file: capture with -w, then read it with -r"}
		}
	default:
		return nil, &usageError{fmt.Sprintf("unknown --format %q: use table, json, markdown or html", o.format)}
	}
	if o.idle <= 0 || o.grace <= 0 || o.timeout <= 0 {
		return nil, &usageError{"--idle-threshold, --grace and --flow-timeout must be positive"}
	}
	if o.count < 0 || o.duration < 0 || o.maxFlows < 0 || o.snaplen <= 0 {
		return nil, &usageError{"-c, --duration, --max-flows and -s take positive numbers"}
	}
	if o.correlate {
		switch {
		case o.iface != "":
			return nil, &usageError{"--correlate compares capture files: capture with -w on each host, then give both with -r"}
		case len(o.reads) > 2:
			return nil, &usageError{"--correlate takes two captures (-r client-side -r server-side), or one taken on a jump host"}
		case o.write != "":
			return nil, &usageError{"-w does not go with --correlate"}
		}
	}
	if o.metrics != "" && o.iface == "" {
		return nil, &usageError{"--metrics serves a live capture: use it with -i"}
	}
	if o.write == "-" {
		return nil, &usageError{"-w writes a file; standard output carries the verdicts"}
	}
	for _, p := range strings.Split(*portList, ",") {
		n, err := strconv.ParseUint(strings.TrimSpace(p), 10, 16)
		if err != nil || n == 0 {
			return nil, &usageError{fmt.Sprintf("bad port %q in --ports", p)}
		}
		o.ports = append(o.ports, uint16(n))
	}
	stdin := 0
	for _, r := range o.reads {
		if r == "-" {
			stdin++
		}
	}
	if stdin > 1 {
		return nil, &usageError{"standard input (-r -) can be read only once"}
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "rstsniff: %v\n", err)
		return exitUsage
	}
	if o != nil {
		o.command = "rstsniff " + strings.Join(args, " ")
	}
	if o != nil && o.output != "" {
		f, err := os.Create(o.output)
		if err != nil {
			fmt.Fprintf(stderr, "rstsniff: -o: %v\n", err)
			return exitUsage
		}
		defer f.Close()
		stdout = f
	}
	if o != nil && o.cpuprof != "" {
		f, err := os.Create(o.cpuprof)
		if err != nil {
			fmt.Fprintf(stderr, "rstsniff: --cpuprofile: %v\n", err)
			return exitUsage
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(stderr, "rstsniff: --cpuprofile: %v\n", err)
			return exitUsage
		}
		defer pprof.StopCPUProfile()
	}
	switch {
	case o == nil:
		return exitOK
	case o.format == "version":
		fmt.Fprintf(stdout, "rstsniff %s\n", version)
		return exitOK
	case o.list:
		return listInterfaces(stdout, stderr)
	case len(o.sshdLogs)+len(o.fail2banLogs) > 0:
		return runServerLog(ctx, o, stdin, stdout, stderr)
	case o.iface != "":
		return runLive(ctx, o, stdout, stderr)
	case o.correlate:
		return runCorrelate(ctx, o, stdin, stdout, stderr)
	}
	r := &report.Run{Tally: &report.Tally{Outcomes: map[string]int{}}}
	budget := o.count
	var ev *evidence
	if o.write != "" {
		if ev, err = newEvidence(o.write); err != nil {
			fmt.Fprintf(stderr, "rstsniff: %v\n", err)
			return exitUsage
		}
	}
	// Flows arrive in order of first packet. JSON prints each at once; the
	// other formats keep only what they show, so memory follows the
	// connections open at once, not the length of the capture.
	multi := len(o.reads) > 1
	nextID := 1
	var lines *jsonLines
	if o.format == "json" {
		lines = startJSONLines(stdout, multi)
	}
	sink := func(f *analyze.Flow) {
		f.ID = nextID
		nextID++
		r.Tally.Add(f)
		switch {
		case lines != nil:
			lines.ch <- f
		case o.all || f.Notable():
			if len(r.Flows) < listLimit(o.format) {
				r.Flows = append(r.Flows, f)
			} else {
				r.Tally.Unlisted++
			}
		}
	}
	err = analyzeFiles(ctx, o, stdin, stderr, &budget, ev, sink, r)
	var outErr error
	if lines != nil {
		outErr = lines.close()
	}
	if err != nil {
		fmt.Fprintf(stderr, "rstsniff: %v\n", err)
		return exitUsage
	}
	if outErr != nil {
		fmt.Fprintf(stderr, "rstsniff: writing output: %v\n", outErr)
		return exitUsage
	}
	if ev != nil {
		if err := ev.Close(); err != nil {
			fmt.Fprintf(stderr, "rstsniff: %v\n", err)
			return exitUsage
		}
	}
	meta := report.Meta{Version: version, Command: o.command}
	switch o.format {
	case "json":
		err = report.JSONSummary(stdout, r)
	case "markdown":
		err = report.Markdown(stdout, r, meta)
	case "html":
		err = report.HTML(stdout, r, meta)
	default:
		err = report.Table(stdout, r, report.TableOptions{All: o.all, Explain: o.explain})
	}
	if err != nil {
		fmt.Fprintf(stderr, "rstsniff: writing output: %v\n", err)
		return exitUsage
	}
	if r.Abnormal() {
		return exitAbnormal
	}
	return exitOK
}

func newAnalyzer(o *options, name string) *analyze.Analyzer {
	keep := 0
	if o.format == "markdown" || o.format == "html" {
		keep = reportPackets // the reports draw each connection's packets
	}
	if o.correlate {
		keep = correlatePackets
	}
	handles.Lock()
	base := handles.next
	handles.next += 1 << 40
	handles.Unlock()
	return analyze.New(analyze.Config{Ports: o.ports, File: name, IdleThreshold: o.idle,
		Grace: o.grace, FlowTimeout: o.timeout, MaxFlows: o.maxFlows, KeepPackets: keep, HandleBase: base})
}

// handles gives each analyzer its own range of flow handles (the evidence
// writer tells flows apart by handle across files).
var handles struct {
	sync.Mutex
	next uint64
}

// reportPackets is how many packets per connection the reports keep.
const reportPackets = 120

// feeder decodes frames into an analyzer and keeps the evidence frames.
type feeder struct {
	a         *analyze.Analyzer
	ev        *evidence
	match     *live.Matcher
	seg       decode.Segment
	bad       int
	firstBad  int
	unknownLT map[uint16]int
	filtered  int
}

// frame handles one frame; it returns an error only for a bad filter.
func (fd *feeder) frame(n int, f *capture.Frame) error {
	data, ci := f.Data, &f.Info
	lt := decode.LinkType(ci.LinkType)
	if !lt.Supported() {
		fd.unknownLT[ci.LinkType]++
		return nil
	}
	if fd.match != nil {
		ok, err := fd.match.Match(ci.LinkType, data, ci.Length, ci.Timestamp)
		if err != nil {
			return err
		}
		if !ok {
			fd.filtered++
			return nil
		}
	}
	switch err := decode.Decode(data, lt, &fd.seg); err {
	case nil:
		h := fd.a.Packet(n, ci.Timestamp, &fd.seg)
		if h != 0 && fd.ev != nil {
			fd.ev.add(h, data, *ci)
		}
	case decode.ErrTruncated, decode.ErrMalformed:
		if fd.bad == 0 {
			fd.firstBad = n
		}
		fd.bad++
	}
	return nil
}

func (fd *feeder) warnings() []string {
	var w []string
	if fd.bad > 0 {
		w = append(w, fmt.Sprintf("%d frame%s could not be decoded (truncated or malformed headers), first at frame %d", fd.bad, plural(fd.bad), fd.firstBad))
	}
	for _, lt := range slices.Sorted(maps.Keys(fd.unknownLT)) {
		n := fd.unknownLT[lt]
		w = append(w, fmt.Sprintf("%d frame%s of unsupported link type %d skipped", n, plural(n), lt))
	}
	return w
}

// handOver passes flows to the evidence writer and returns them.
func (fd *feeder) handOver(fs []*analyze.Flow) ([]*analyze.Flow, error) {
	if fd.ev != nil {
		for _, f := range fs {
			if err := fd.ev.done(f); err != nil {
				return fs, err
			}
		}
	}
	return fs, nil
}

// analyzeFiles reads every input. Several files are read at once (up to
// --jobs), each into its own analyzer; their flows then go to the sink file
// by file, so the output is the one a serial run prints. Standard input and
// -c keep the serial path.
func analyzeFiles(ctx context.Context, o *options, stdin io.Reader, stderr io.Writer, budget *int, ev *evidence, sink func(*analyze.Flow), r *report.Run) error {
	parallel := len(o.reads) > 1 && o.jobs > 1 && o.count == 0 && !slices.Contains(o.reads, "-")
	if !parallel {
		for _, name := range o.reads {
			in, err := analyzeFile(ctx, name, stdin, stderr, o, budget, ev, sink)
			if err != nil {
				return err
			}
			r.Inputs = append(r.Inputs, in)
		}
		return nil
	}
	type result struct {
		in    report.Input
		flows []*analyze.Flow
		err   error
	}
	results := make([]result, len(o.reads))
	slots := make(chan struct{}, o.jobs)
	var wg sync.WaitGroup
	for i, name := range o.reads {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			res := &results[i]
			keep := func(f *analyze.Flow) { res.flows = append(res.flows, f) }
			if i == 0 {
				// The first file's flows are printed first anyway: no need to hold them.
				keep = sink
			}
			res.in, res.err = analyzeFile(ctx, name, stdin, io.Discard, o, budget, ev, keep)
		}()
	}
	wg.Wait()
	for _, res := range results {
		if res.err != nil {
			return res.err
		}
		for _, f := range res.flows {
			sink(f)
		}
		r.Inputs = append(r.Inputs, res.in)
	}
	return nil
}

// analyzeFile reads one capture through the decoder into an analyzer.
// budget counts down the packets -c still allows (0: no limit).
func analyzeFile(ctx context.Context, name string, stdin io.Reader, stderr io.Writer, o *options, budget *int, ev *evidence, sink func(*analyze.Flow)) (report.Input, error) {
	in := report.Input{Name: name}
	var src capture.Source
	var err error
	if name == "-" {
		src, err = capture.NewReader("-", stdin)
	} else {
		src, err = capture.Open(name)
	}
	if err != nil {
		return in, err
	}
	defer src.Close()
	in.Format = src.Format()
	bar := startProgress(stderr, name, src)
	defer bar.Stop()
	fd := &feeder{a: newAnalyzer(o, name), ev: ev, unknownLT: map[uint16]int{}}
	if o.filter != "" {
		fd.match = live.NewMatcher(o.filter)
	}
	v := newJudges(fd, sink, fd.ev == nil && runtime.GOMAXPROCS(0) > 1)
	defer v.close()
	var nextExpire int64 // packet time of the next hand-over, Unix nanoseconds (0: at the first packet)
	limited := *budget > 0
	frames := newFrames(src)
	defer frames.stop()
	var fr capture.Frame
	for {
		if limited && *budget == 0 {
			break
		}
		if in.Frames%4096 == 0 && ctx.Err() != nil {
			in.Warnings = append(in.Warnings, "interrupted: results cover the packets read so far")
			break
		}
		err := frames.next(&fr)
		if err == io.EOF {
			break
		}
		if err != nil {
			var re *capture.ReadError
			if errors.As(err, &re) {
				in.Warnings = append(in.Warnings, fmt.Sprintf("capture damaged or cut short after %d packets (byte %d): %v; results cover the packets before it", re.Frame-1, re.Offset, re.Err))
				break
			}
			return in, err
		}
		in.Frames++
		if limited {
			*budget--
		}
		if in.Start.IsZero() {
			in.Start = fr.Timestamp
		}
		in.End = fr.Timestamp
		if err := fd.frame(in.Frames, &fr); err != nil {
			return in, err
		}
		// Hand over ended connections as packet time goes by, as a live
		// capture does, so both judge with the same knowledge.
		// (And at once when a flood fills the table past --max-flows.)
		if t := fr.Timestamp.UnixNano(); t >= nextExpire || nextExpire == 0 || fd.a.Open() > o.maxFlows {
			if err := v.submit(fd.a.Collect(fr.Timestamp), fd.a.OldestOpen()); err != nil {
				return in, err
			}
			nextExpire = t + int64(time.Second)
		}
	}
	in.Warnings = append(in.Warnings, fd.warnings()...)
	if n := fd.a.Evicted(); n > 0 {
		in.Warnings = append(in.Warnings, fmt.Sprintf("%d connection%s reported early: more than --max-flows were open at once", n, plural(n)))
	}
	if in.Frames == 0 && len(in.Warnings) > 0 {
		return in, fmt.Errorf("%s: no packet could be read: %s", name, in.Warnings[0])
	}
	if err := v.submit(fd.a.CollectAll(), 0); err != nil {
		return in, err
	}
	return in, v.close()
}

// judges gives the verdicts on the batches of ended connections the
// analyzer collects and passes them to the sink in order of first packet;
// on a goroutine of its own when there is a core for it (judging is a
// fifth of the work), which then alone calls the sink.
type judges struct {
	fd      *feeder
	sink    func(*analyze.Flow)
	pending flowHeap
	jobs    chan judgeJob
	done    chan error
	closed  bool
	err     error
}

type judgeJob struct {
	b      *analyze.Batch
	oldest int // first frame of the earliest connection still open (0: none)
}

func newJudges(fd *feeder, sink func(*analyze.Flow), async bool) *judges {
	v := &judges{fd: fd, sink: sink}
	if async {
		v.jobs, v.done = make(chan judgeJob, 16), make(chan error, 1)
		go func() {
			var err error
			for j := range v.jobs {
				if err == nil {
					err = v.judge(j)
				}
			}
			v.done <- err
		}()
	}
	return v
}

// submit passes a batch on; an error from an earlier batch may come back
// only at close.
func (v *judges) submit(b *analyze.Batch, oldest int) error {
	if v.jobs == nil {
		return v.judge(judgeJob{b, oldest})
	}
	v.jobs <- judgeJob{b, oldest}
	return nil
}

func (v *judges) judge(j judgeJob) error {
	flows, err := v.fd.handOver(v.fd.a.Judge(j.b))
	for _, f := range flows {
		v.pending.push(pendingFlow{f.FirstPacket, f})
	}
	if err != nil {
		return err
	}
	// Handed-over flows wait until every earlier-starting connection is
	// out, then go to the sink in order of first packet. A connection open
	// for hours would hold back every later one: past maxPending the
	// earliest go out anyway, and the order bends there.
	for len(v.pending) > 0 && (j.oldest == 0 || v.pending[0].first < j.oldest || len(v.pending) > maxPending) {
		v.sink(v.pending.pop().f)
	}
	return nil
}

// close waits for every batch to be judged.
func (v *judges) close() error {
	if v.jobs == nil || v.closed {
		return v.err
	}
	v.closed = true
	close(v.jobs)
	v.err = <-v.done
	return v.err
}

// listLimit is how many connections the table or a report lists; past it
// they are counted (JSON prints every one). It bounds memory too.
func listLimit(format string) int {
	if format == "markdown" || format == "html" {
		return 200
	}
	return 1000
}

// maxPending bounds the flows waiting for an earlier one to be reported.
const maxPending = 10000

// flowHeap orders handed-over flows by first packet, kept beside each
// pointer so that comparing does not load the flows: a binary min-heap,
// written out because container/heap boxes every element it is given or
// gives back (two allocations per connection).
type flowHeap []pendingFlow

type pendingFlow struct {
	first int
	f     *analyze.Flow
}

func (h *flowHeap) push(p pendingFlow) {
	*h = append(*h, p)
	s := *h
	for i := len(s) - 1; i > 0; {
		up := (i - 1) / 2
		if s[up].first <= s[i].first {
			break
		}
		s[up], s[i] = s[i], s[up]
		i = up
	}
}

// pop takes the flow with the earliest first packet.
func (h *flowHeap) pop() pendingFlow {
	s := *h
	top := s[0]
	n := len(s) - 1
	s[0] = s[n]
	s[n] = pendingFlow{}
	s = s[:n]
	for i := 0; ; {
		least := i
		if l := 2*i + 1; l < n && s[l].first < s[least].first {
			least = l
		}
		if r := 2*i + 2; r < n && s[r].first < s[least].first {
			least = r
		}
		if least == i {
			break
		}
		s[i], s[least] = s[least], s[i]
		i = least
	}
	*h = s
	return top
}

func listInterfaces(stdout, stderr io.Writer) int {
	ifs, err := live.Interfaces()
	if err != nil {
		fmt.Fprintf(stderr, "rstsniff: %v\n", err)
		return exitUsage
	}
	for i, f := range ifs {
		line := fmt.Sprintf("%d.%s", i+1, f.Name)
		if f.Description != "" {
			line += " (" + f.Description + ")"
		}
		if len(f.Addresses) > 0 {
			line += " [" + strings.Join(f.Addresses, ", ") + "]"
		}
		fmt.Fprintln(stdout, line)
	}
	return exitOK
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

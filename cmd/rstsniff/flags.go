package main

import (
	"cmp"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/capture"
	"github.com/rstsniff/rstsniff/internal/atomicfile"
	"github.com/rstsniff/rstsniff/otlp"
	"github.com/rstsniff/rstsniff/report"
	"github.com/rstsniff/rstsniff/sshdlog"
)

// usageError is a problem with the command line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

type options struct {
	reads        []string
	iface        string
	list         bool
	write        string
	user         string
	snaplen      int
	bufKiB       int
	promisc      bool
	filter       string
	count        int
	duration     time.Duration
	ports        []uint16
	portList     string // --ports as given
	format       report.Format
	formatName   string // --format as given
	all          bool
	explain      bool
	idle         time.Duration
	grace        time.Duration
	timeout      time.Duration
	maxFlows     int
	metrics      string
	output       string
	command      string
	jobs         int
	cpuprof      string
	correlate    bool
	version      bool
	noKernel     bool
	otlp         string // OpenTelemetry collector (otlp.go)
	otlpProtocol string
	otlpQueue    int
	// The server's log (sshdlog.go).
	sshdLogs, fail2banLogs []string
	logTZ                  string
	gen                    string         // --completion SHELL or --help-man: print it and exit (docgen.go)
	flags                  *pflag.FlagSet // the flag set, for gen
	completion             string
	helpMan, help          bool
}

// usageLines and exitLines open and close --help (help/*.txt).
var (
	//go:embed help/usage.txt
	usageLines string
	//go:embed help/exit.txt
	exitLines string
)

// flagError turns pflag's errors into a sentence for each kind of flag.
func flagError(err error) error {
	var iv *pflag.InvalidValueError
	if errors.As(err, &iv) {
		f := iv.GetFlag()
		name := "--" + f.Name
		if f.Shorthand != "" {
			name = "-" + f.Shorthand
		}
		switch f.Value.Type() {
		case "int", "count":
			return &usageError{fmt.Sprintf("%s takes a whole number, not %q", name, iv.GetValue())}
		case "duration":
			return &usageError{fmt.Sprintf("%s takes a duration such as 30s, 5m or 1h, not %q", name, iv.GetValue())}
		case "bool":
			return &usageError{fmt.Sprintf("%s takes no value (or true/false), not %q", name, iv.GetValue())}
		}
	}
	return &usageError{err.Error()}
}

// mainFlags is the flag set of reading and capturing (the command
// without a name), bound to o's fields.
func mainFlags(o *options) *pflag.FlagSet {
	fs := pflag.NewFlagSet("rstsniff", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
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
	fs.StringVar(&o.portList, "ports", "22", "SSH server `PORTS`, comma-separated")
	fs.StringVar(&o.formatName, "format", "table", "output `FORMAT`: table, json, ecs (Elastic Common Schema), markdown or html")
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
	fs.DurationVar(&o.idle, "idle-threshold", analyze.DefaultIdleThreshold, "silence after which any reset drawn by the next packet is an idle-timeout reset (a floor: a forged one after the connection's longest silence, far beyond its other gaps, counts below it)")
	fs.DurationVar(&o.grace, "grace", analyze.DefaultGrace, "how long an ended connection waits for late packets before its verdict")
	fs.DurationVar(&o.timeout, "flow-timeout", analyze.DefaultFlowTimeout, "report and forget an established connection silent this long")
	fs.IntVar(&o.maxFlows, "max-flows", analyze.DefaultMaxFlows, "connections held at once (about 3 KB each); past it the least recently active are reported early")
	fs.StringVar(&o.metrics, "metrics", "", "serve Prometheus metrics on `ADDR` (e.g. 127.0.0.1:9122) during a live capture")
	fs.StringVar(&o.otlp, "otlp", "", "send each abnormal connection and the summary as an OpenTelemetry log record to the collector at `URL` (OTLP/HTTP, e.g. http://127.0.0.1:4318; default: OTEL_EXPORTER_OTLP_ENDPOINT)")
	fs.StringVar(&o.otlpProtocol, "otlp-protocol", "", "`PROTOCOL` of --otlp: http/protobuf (default) or http/json (default: OTEL_EXPORTER_OTLP_PROTOCOL)")
	fs.IntVar(&o.otlpQueue, "otlp-queue", otlp.DefaultQueue, "OpenTelemetry records held while the collector is away; past it the oldest are dropped and counted")
	fs.BoolVar(&o.noKernel, "no-kernel", false, "live capture: do not ask this host's kernel (eBPF) which resets it sent and why")
	fs.StringVar(&o.cpuprof, "cpuprofile", "", "write a Go CPU profile to `FILE` (for reporting slowness)")
	_ = fs.MarkHidden("cpuprofile")
	fs.CountP("numeric", "n", "accepted for tcpdump habits: rstsniff never resolves names")
	fs.BoolVar(&o.version, "version", false, "print the version and exit")
	fs.StringVar(&o.completion, "completion", "", "print a completion script for `SHELL` (bash, zsh or fish) and exit")
	fs.BoolVar(&o.helpMan, "help-man", false, "print the man page (roff) and exit")
	_ = fs.MarkHidden("help-man")
	fs.BoolVarP(&o.help, "help", "h", false, "show this help")
	return fs
}

// parseFlags reads the command line; --help is written to stdout.
func parseFlags(args []string, stdout io.Writer) (*options, error) {
	o := &options{}
	fs := mainFlags(o)
	err := fs.Parse(args)
	if err != nil {
		return nil, flagError(err)
	}
	if o.help {
		width := helpWidth(stdout)
		fmt.Fprintf(stdout, "%s\n%s\n%s", usageLines, fs.FlagUsagesWrapped(width), wrapHelp(exitLines, width))
		return nil, nil
	}
	if o.version {
		return o, nil // handled before anything else: no check applies
	}
	if o.helpMan || o.completion != "" {
		return &options{gen: cmp.Or(o.completion, "man"), flags: fs}, nil
	}
	rest := fs.Args()
	// tcpdump users type "rstsniff file.pcap", "rstsniff *.pcap" or
	// "rstsniff file.pcap port 22": with no -r or -i, the leading arguments
	// that name files (or captures by their name) are read as with -r, and
	// the rest is the filter.
	if len(o.reads) == 0 && o.iface == "" && !o.list {
		n := capture.LeadingFiles(rest)
		o.reads, rest = rest[:n:n], rest[n:]
		if n == 0 {
			o.reads = nil
		}
	}
	o.filter = strings.Join(rest, " ")
	// --format from the output's name, unless it was given.
	if f, ok := report.FormatOfPath(o.output); ok && !fs.Changed("format") {
		o.formatName = f.String()
	}
	f, known := report.ParseFormat(o.formatName)
	o.format = f
	switch {
	case o.list:
		return o, nil
	case len(o.reads) == 0 && o.iface == "":
		return nil, &usageError{"nothing to read: give a capture with -r FILE (- for standard input) or an interface with -i"}
	case len(o.reads) > 0 && o.iface != "":
		return nil, &usageError{"-r and -i do not go together"}
	}
	switch {
	case !known:
		return nil, &usageError{fmt.Sprintf("unknown --format %q: use table, json, ecs, markdown (md) or html", o.formatName)}
	case o.format.Report() && o.iface != "":
		return nil, &usageError{"--format " + o.format.String() + " is a report of a capture file: capture with -w, then read it with -r"}
	}
	if o.idle <= 0 || o.grace <= 0 || o.timeout <= 0 {
		return nil, &usageError{"--idle-threshold, --grace and --flow-timeout must be positive"}
	}
	switch {
	case o.count < 0:
		return nil, &usageError{fmt.Sprintf("-c %d: the number of packets to read cannot be negative", o.count)}
	case o.duration < 0:
		return nil, &usageError{fmt.Sprintf("--duration %v: a capture cannot last a negative time", o.duration)}
	case o.maxFlows <= 0:
		return nil, &usageError{fmt.Sprintf("--max-flows %d: at least one connection must be held", o.maxFlows)}
	case o.snaplen <= 0:
		return nil, &usageError{fmt.Sprintf("-s %d: the snapshot length must be positive", o.snaplen)}
	case o.jobs <= 0:
		return nil, &usageError{fmt.Sprintf("-j %d: at least one file is read at a time", o.jobs)}
	case o.bufKiB < 0:
		return nil, &usageError{fmt.Sprintf("-B %d: the buffer size cannot be negative", o.bufKiB)}
	}
	if o.correlate {
		switch {
		case o.iface != "":
			return nil, &usageError{"--correlate compares capture files: capture with -w on each host, then give both with -r"}
		case len(o.reads) > 2:
			return nil, &usageError{"--correlate takes two captures (-r client-side -r server-side), or one taken on a jump host"}
		case o.write != "":
			return nil, &usageError{"-w does not go with --correlate"}
		case o.format == report.FormatECS:
			return nil, &usageError{"--format ecs does not go with --correlate: use --format json"}
		}
	}
	if o.otlpQueue <= 0 {
		return nil, &usageError{fmt.Sprintf("--otlp-queue %d: at least one record must be held", o.otlpQueue)}
	}
	if o.otlp != "" && o.correlate {
		return nil, &usageError{"--otlp does not go with --correlate: it sends the verdicts of -r or -i"}
	}
	if o.metrics != "" && o.iface == "" {
		return nil, &usageError{"--metrics serves a live capture: use it with -i"}
	}
	if o.write == "-" {
		return nil, &usageError{"-w writes a file; standard output carries the verdicts"}
	}
	if o.ports, err = parsePorts(o.portList); err != nil {
		return nil, err
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
	for _, r := range o.reads {
		if atomicfile.IsDir(r) {
			return nil, &usageError{fmt.Sprintf("-r %s is a directory: give the capture files in it (rstsniff %s)", r, filepath.Join(r, "*.pcap"))}
		}
	}
	if err := checkOutputPath(o.output); err != nil {
		return nil, err
	}
	if o.logTZ != "" {
		if _, err := sshdlog.ParseZone(o.logTZ); err != nil {
			return nil, &usageError{fmt.Sprintf("--log-tz %s: %v", o.logTZ, err)}
		}
	}
	for _, l := range []struct {
		flag  string
		names []string
	}{{"--sshd-log", o.sshdLogs}, {"--fail2ban-log", o.fail2banLogs}} {
		if o.iface != "" { // a live capture waits for its logs
			break
		}
		if n, err := sshdlog.Missing(l.names); err != nil {
			return nil, &usageError{fmt.Sprintf("%s %s: %v", l.flag, n, atomicfile.Reason(err))}
		}
	}
	return o, nil
}

// parsePorts reads --ports (analyze.ParsePorts).
func parsePorts(list string) ([]uint16, error) {
	ports, err := analyze.ParsePorts(list)
	if err != nil {
		return nil, &usageError{err.Error() + " in --ports"}
	}
	return ports, nil
}

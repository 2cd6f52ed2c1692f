// Command rstsniff reads SSH traffic captures and says who reset each
// connection, at which step, and how it ended.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/capture"
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
	reads   []string
	count   int
	ports   []uint16
	format  string
	all     bool
	explain bool
	idle    time.Duration
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	fs := pflag.NewFlagSet("rstsniff", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	o := &options{}
	fs.StringArrayVarP(&o.reads, "read", "r", nil, "read packets from `FILE` (pcap or pcapng, gzip allowed; - for stdin); repeatable")
	fs.IntVarP(&o.count, "count", "c", 0, "stop after `N` packets")
	portList := fs.String("ports", "22", "SSH server `PORTS`, comma-separated")
	fs.StringVar(&o.format, "format", "table", "output `FORMAT`: table or json")
	fs.BoolVar(&o.all, "all", false, "list every connection in the table, not only abnormal ones")
	fs.BoolVarP(&o.explain, "explain", "e", false, "after the table, explain each connection: evidence, findings, causes, next steps")
	fs.DurationVar(&o.idle, "idle-threshold", analyze.DefaultIdleThreshold, "silence after which a reset drawn by the next packet is an idle-timeout reset")
	fs.CountP("numeric", "n", "accepted for tcpdump habits: rstsniff never resolves names")
	showVersion := fs.Bool("version", false, "print the version and exit")
	help := fs.BoolP("help", "h", false, "show this help")
	err := fs.Parse(args)
	if err != nil || *help {
		fmt.Fprintf(stderr, "usage: rstsniff -r FILE [-r FILE ...] [--format table|json] [--all] [--explain] [--ports 22,2222] [-c N]\n\n%s", fs.FlagUsages())
		if err != nil {
			return nil, &usageError{err.Error()}
		}
		return nil, nil
	}
	if *showVersion {
		return &options{format: "version"}, nil
	}
	if fs.NArg() > 0 {
		return nil, &usageError{fmt.Sprintf("filter expressions are not supported yet: %q", strings.Join(fs.Args(), " "))}
	}
	if len(o.reads) == 0 {
		return nil, &usageError{"nothing to read: give a capture with -r FILE (- for standard input)"}
	}
	if o.format != "table" && o.format != "json" {
		return nil, &usageError{fmt.Sprintf("unknown --format %q: use table or json", o.format)}
	}
	if o.idle <= 0 {
		return nil, &usageError{"--idle-threshold must be positive"}
	}
	if o.count < 0 {
		return nil, &usageError{"-c takes a positive number"}
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
	if o == nil {
		return exitOK
	}
	if o.format == "version" {
		fmt.Fprintf(stdout, "rstsniff %s\n", version)
		return exitOK
	}
	r := &report.Run{}
	budget := o.count
	for _, name := range o.reads {
		in, flows, err := analyzeFile(ctx, name, stdin, o, &budget)
		if err != nil {
			fmt.Fprintf(stderr, "rstsniff: %v\n", err)
			return exitUsage
		}
		r.Inputs = append(r.Inputs, in)
		r.Flows = append(r.Flows, flows...)
	}
	for i, f := range r.Flows {
		f.ID = i + 1
	}
	switch o.format {
	case "json":
		err = report.JSON(stdout, r)
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

// analyzeFile reads one capture through the decoder into an analyzer.
// budget counts down the packets -c still allows (0: no limit).
func analyzeFile(ctx context.Context, name string, stdin io.Reader, o *options, budget *int) (report.Input, []*analyze.Flow, error) {
	in := report.Input{Name: name}
	var src capture.Source
	var err error
	if name == "-" {
		src, err = capture.NewReader("-", stdin)
	} else {
		src, err = capture.Open(name)
	}
	if err != nil {
		return in, nil, err
	}
	defer src.Close()
	in.Format = src.Format()
	a := analyze.New(analyze.Config{Ports: o.ports, File: name, IdleThreshold: o.idle})
	var flows []*analyze.Flow
	var lastExpire time.Time
	var (
		seg       decode.Segment
		bad       int
		firstBad  int
		unknownLT = map[uint16]int{}
	)
	limited := *budget > 0
	for {
		if limited && *budget == 0 {
			break
		}
		if in.Frames%4096 == 0 && ctx.Err() != nil {
			in.Warnings = append(in.Warnings, "interrupted: results cover the packets read so far")
			break
		}
		data, ci, err := src.ReadFrame()
		if err == io.EOF {
			break
		}
		if err != nil {
			var re *capture.ReadError
			if errors.As(err, &re) {
				in.Warnings = append(in.Warnings, fmt.Sprintf("capture damaged or cut short after %d packets (byte %d): %v; results cover the packets before it", re.Frame-1, re.Offset, re.Err))
				break
			}
			return in, nil, err
		}
		in.Frames++
		if limited {
			*budget--
		}
		if in.Start.IsZero() {
			in.Start = ci.Timestamp
		}
		in.End = ci.Timestamp
		lt := decode.LinkType(ci.LinkType)
		if !lt.Supported() {
			unknownLT[ci.LinkType]++
			continue
		}
		switch err := decode.Decode(data, lt, &seg); err {
		case nil:
			a.Packet(in.Frames, ci.Timestamp, &seg)
			// Hand over ended connections as packet time goes by, as a
			// live capture does, so both judge with the same knowledge.
			if ci.Timestamp.Sub(lastExpire) >= time.Second {
				flows = append(flows, a.Expire(ci.Timestamp)...)
				lastExpire = ci.Timestamp
			}
		case decode.ErrTruncated, decode.ErrMalformed:
			if bad == 0 {
				firstBad = in.Frames
			}
			bad++
		}
	}
	if bad > 0 {
		in.Warnings = append(in.Warnings, fmt.Sprintf("%d frame%s could not be decoded (truncated or malformed headers), first at frame %d", bad, plural(bad), firstBad))
	}
	for _, lt := range slices.Sorted(maps.Keys(unknownLT)) {
		n := unknownLT[lt]
		in.Warnings = append(in.Warnings, fmt.Sprintf("%d frame%s of unsupported link type %d skipped", n, plural(n), lt))
	}
	if in.Frames == 0 && len(in.Warnings) > 0 {
		return in, nil, fmt.Errorf("%s: no packet could be read: %s", name, in.Warnings[0])
	}
	flows = append(flows, a.Finish()...)
	// Offline output lists connections in order of first packet.
	sort.SliceStable(flows, func(i, j int) bool { return flows[i].FirstPacket < flows[j].FirstPacket })
	return in, flows, nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/capture/live"
	"github.com/rstsniff/rstsniff/ingest"
	"github.com/rstsniff/rstsniff/internal/atomicfile"
	"github.com/rstsniff/rstsniff/kernel/watch"
	"github.com/rstsniff/rstsniff/pipeline/record"
	"github.com/rstsniff/rstsniff/report"
	"github.com/rstsniff/rstsniff/runcmd"
	"github.com/rstsniff/rstsniff/runcmd/runner"
)

type runOptions struct {
	args           []string
	iface          string
	ports          []uint16
	output         string
	format         report.Format
	fmtName        string // --format as given
	portList       string // --ports as given
	help           bool
	write          string
	noKernel       bool
	requireCapture bool
	linger         time.Duration
	noCgroup       bool // hidden: tests of the /proc fallback
}

// runFlags is run's flag set, bound to o's fields.
func runFlags(o *runOptions) *pflag.FlagSet {
	fs := pflag.NewFlagSet("rstsniff run", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	fs.SetInterspersed(false) // the first word that is not an option starts the command
	fs.StringVarP(&o.iface, "interface", "i", "any", "capture on `IFACE`")
	fs.StringVar(&o.portList, "ports", "", "SSH server `PORTS`, comma-separated (default: those the command line names with -p, -P, -o Port= or ssh:// URLs, else 22)")
	fs.StringVarP(&o.output, "output", "o", "", "write a report of the command's connections to `FILE` (format from its extension: .json, .md, .html, else the table)")
	fs.StringVar(&o.fmtName, "format", "", "the report's `FORMAT` (table, json, markdown, html), when -o's extension does not say it")
	fs.StringVarP(&o.write, "write", "w", "", "write the packets of the command's connections that ended abnormally to `FILE` (pcapng)")
	fs.BoolVar(&o.noKernel, "no-kernel", false, "do not ask this host's kernel (eBPF) which resets it sent and why")
	fs.BoolVar(&o.requireCapture, "require-capture", false, "when the capture cannot start, fail (exit status 2) instead of running the command without it")
	fs.DurationVar(&o.linger, "linger", time.Second, "after the command ends, capture `D` longer for late packets (a reset answering its last one)")
	fs.BoolVar(&o.noCgroup, "no-cgroup", false, "attribute connections by sampling /proc, not with a cgroup and BPF")
	_ = fs.MarkHidden("no-cgroup")
	fs.BoolVarP(&o.help, "help", "h", false, "show this help")
	return fs
}

func parseRunFlags(args []string, stderr io.Writer) (*runOptions, error) {
	o := &runOptions{}
	fs := runFlags(o)
	err := fs.Parse(args)
	if err != nil || o.help {
		fmt.Fprintf(stderr, "%s%s", runUsage, fs.FlagUsages())
		if err != nil {
			return nil, flagError(err)
		}
		return nil, nil
	}
	o.args = fs.Args()
	if len(o.args) == 0 {
		return nil, &usageError{"run: give the command to run after --: rstsniff run -- ssh host true"}
	}
	if o.portList != "" {
		if o.ports, err = parsePorts(o.portList); err != nil {
			return nil, err
		}
	}
	if o.fmtName == "" {
		f, _ := report.FormatOfPath(o.output) // the table when it says none
		o.fmtName = f.String()
	}
	f, ok := report.ParseFormat(o.fmtName)
	if !ok || f == report.FormatECS {
		return nil, &usageError{fmt.Sprintf("unknown --format %q: use table, json, markdown (md) or html", o.fmtName)}
	}
	o.format = f
	switch {
	case o.write == "-" || o.output == "-":
		return nil, &usageError{"run: -o and -w write files; standard output is the command's"}
	case o.output != "" && o.write != "" && atomicfile.SameFile(o.output, o.write):
		return nil, &usageError{fmt.Sprintf("-o and -w both name %s", o.output)}
	case o.linger < 0:
		return nil, &usageError{"--linger cannot be negative"}
	}
	return o, nil
}

// runCommand is `rstsniff run -- COMMAND`: capture, run the command
// (runcmd/runner), keep its own connections, judge them as -i does, and say
// what went wrong only when something did. Its exit status is the
// command's.
func runCommand(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	ro, err := parseRunFlags(args, stderr)
	if err != nil || ro == nil {
		return err
	}
	ports := ro.ports
	if len(ports) == 0 {
		ports = runcmd.Ports(ro.args)
	}
	if len(ports) == 0 {
		ports = []uint16{22}
	}
	// The options of a live capture, for ingestConfig and startKernel.
	o := &options{iface: ro.iface, ports: ports, format: ro.format, idle: analyze.DefaultIdleThreshold,
		grace: analyze.DefaultGrace, timeout: analyze.DefaultFlowTimeout, maxFlows: analyze.DefaultMaxFlows, noKernel: ro.noKernel, write: ro.write}

	facts := &report.RunFacts{Command: ro.args, Report: ro.output}
	// The outputs first: a path that cannot be written is a usage error
	// before anything runs.
	var out *atomicfile.File
	if ro.output != "" {
		if out, err = atomicfile.Create(ro.output); err != nil {
			return fmt.Errorf("-o: %v", err)
		}
		defer out.Abort() // unless writeRunReport committed it
	}
	rec, err := newRecorder(ro.write)
	if err != nil {
		return err
	}
	c, err := startRunCapture(o, rec)
	if err != nil {
		rec.Abort()
		if ro.requireCapture {
			return fmt.Errorf("run: capture: %v (--require-capture)", err)
		}
		facts.NoCapture = err.Error()
		fmt.Fprintf(stderr, "rstsniff: no capture (%v): running the command without it\n", err)
	}

	if ctx.Err() != nil {
		// Interrupted (SIGINT, SIGTERM) before the command started: it is
		// not started at all.
		c.abort()
		return exitWith(128+int(syscall.SIGINT), errors.New("run: interrupted before the command started"))
	}
	res, err := runner.Run(ctx, runner.Options{Args: ro.args, Stdin: stdin, Stdout: stdout, Stderr: stderr, NoCgroup: ro.noCgroup})
	if err != nil {
		c.abort()
		return fmt.Errorf("run: %v", err)
	}

	var all []*analyze.Flow
	var held *record.Held // -w, nil without a capture
	if c != nil {
		held = c.rec
		if !res.Exit.NotFound && !res.Exit.NoExec {
			time.Sleep(ro.linger)
		}
		if all, err = c.stop(); err != nil {
			fmt.Fprintf(stderr, "rstsniff: capture: %v\n", err)
		}
	}
	for _, err := range ingest.CommandEnded(facts, res, all, held) {
		fmt.Fprintf(stderr, "rstsniff: %v\n", err)
	}
	if ro.output != "" {
		if err := writeRunReport(out, ro, facts, c); err != nil {
			fmt.Fprintf(stderr, "rstsniff: -o: %v\n", err)
			facts.Report = ""
		}
	}
	// The exit status is the command's, whether the lines could be
	// written or not.
	_ = report.RunLines(stderr, facts)
	return exitWith(res.Exit.Code, nil)
}

// writeRunReport writes -o: the command's connections in the report format
// (with the kernel witness's word on each reset), then the command, its
// status and what it printed.
func writeRunReport(f *atomicfile.File, ro *runOptions, facts *report.RunFacts, c *runCapture) error {
	var in *report.Input
	if c != nil {
		i := c.Input()
		i.Warnings = append(i.Warnings, c.lost...)
		in = &i
	}
	r := ingest.CommandReport(facts, in)
	meta := report.Meta{Version: version, Command: "rstsniff run -- " + strings.Join(ro.args, " "), All: true}
	if err := report.WriteRun(f, ro.format, r, meta, facts); err != nil {
		return err
	}
	return f.Commit()
}

// runCapture is the live capture during the command (ingest.Background:
// every connection kept, the command's are picked once it has ended), the
// kernel witness joined to each, and -w's packets held until then.
type runCapture struct {
	*ingest.Background
	kw   *watch.Watcher
	lost []string // the witness's losses, worded once it is closed
	rec  *record.Held
}

func startRunCapture(o *options, w *record.Writer) (*runCapture, error) {
	src, err := live.Open(live.Options{Interface: o.iface, Ports: o.ports, Timeout: 50 * time.Millisecond})
	if err != nil {
		return nil, err
	}
	var kb bytes.Buffer // the witness's own lines: a quiet run prints none
	c := &runCapture{kw: startKernel(o, &kb, nil)}
	if w != nil {
		c.rec = &record.Held{Writer: w}
	}
	c.Background = ingest.StartBackground(ingestConfig(o), src, o.iface, c.rec, func(f *analyze.Flow) {
		c.kw.Attribute([]*analyze.Flow{f})
	})
	return c, nil
}

// stop ends the capture and returns every connection it saw.
func (c *runCapture) stop() ([]*analyze.Flow, error) {
	flows, err := c.Stop()
	c.lost = kernelLosses(c.kw)
	return flows, err
}

// abort ends the capture and drops -w.
func (c *runCapture) abort() {
	if c == nil {
		return
	}
	c.stop()
	if c.rec != nil {
		c.rec.Abort()
	}
}

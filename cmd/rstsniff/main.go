package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/capture/live"
	"github.com/rstsniff/rstsniff/internal/atomicfile"
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
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitStatus(err, os.Stderr))
}

// exitError ends a run with an exit status other than 0 and, when err is
// not nil, a message. Any other error from run exits with exitUsage.
type exitError struct {
	code int
	err  error // nil: nothing to print (the output said it)
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// abnormal is run's result when some connection was reset, refused or
// timed out.
func abnormal() error { return &exitError{code: exitAbnormal} }

// exitStatus prints err's message on stderr, "rstsniff: ..." on one line,
// and returns the exit status it carries.
func exitStatus(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if !errors.As(err, &ee) {
		ee = &exitError{code: exitUsage, err: err}
	}
	if ee.err != nil {
		fmt.Fprintf(stderr, "rstsniff: %v\n", ee.err)
		var ue *usageError
		if errors.As(ee.err, &ue) {
			fmt.Fprintln(stderr, "see rstsniff --help")
		}
	}
	return ee.code
}

// versionText is the version a release was built as (-X main.version),
// or else the module's version and the VCS revision the binary was built
// from, as the Go toolchain recorded them.
func versionText() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return version
	}
	v := version
	if v == "dev" && bi.Main.Version != "" {
		v = bi.Main.Version
	}
	var rev, when string
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return v + ", " + bi.GoVersion
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "+changes"
	}
	if when != "" {
		rev += " " + when
	}
	return fmt.Sprintf("%s (revision %s), %s", v, rev, bi.GoVersion)
}

// reportVersion is the version reports and the JSON summary name: a
// release's, or else the revision the binary was built from ("dev" when
// the toolchain recorded none, as in tests).
func reportVersion() string {
	bi, ok := debug.ReadBuildInfo()
	return reportVersionOf(version, bi, ok)
}

// reportVersionOf is reportVersion for a version set at link time and the
// build information the toolchain recorded.
func reportVersionOf(version string, bi *debug.BuildInfo, ok bool) string {
	if version != "dev" || !ok {
		return version
	}
	v := version
	if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return v
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "+changes"
	}
	return v + " (revision " + rev + ")"
}

// exitCode carries the exit status of a subcommand that said what it had
// to say itself.
func exitCode(code int) error {
	if code == exitOK {
		return nil
	}
	return &exitError{code: code}
}

// run is the whole command: parse the flags, then read files, capture
// live, compare captures or list interfaces. Its error carries the exit
// status (exitStatus). Nothing it sets outlives it.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (err error) {
	// "rstsniff help [probe|explain]" and "rstsniff version", as other
	// tools take them (unless a file of that name is what to read).
	if len(args) > 0 && (args[0] == "help" || args[0] == "version") && !isFile(args[0]) {
		switch {
		case args[0] == "version":
			args = []string{"--version"}
		case len(args) > 1 && (args[1] == "probe" || args[1] == "explain"):
			args = []string{args[1], "--help"}
		default:
			args = []string{"--help"}
		}
	}
	if len(args) > 0 && args[0] == "explain" {
		return exitCode(runExplain(ctx, args[1:], stdin, stdout, stderr)) // explain.go
	}
	if len(args) > 0 && args[0] == "run" {
		return runCommand(ctx, args[1:], stdin, stdout, stderr) // run_command.go
	}
	if len(args) > 0 && args[0] == "probe" {
		return exitCode(runProbe(ctx, args[1:], stdout, stderr)) // probe.go
	}
	o, err := parseFlags(args, stdout)
	if err != nil {
		return err
	}
	if o == nil { // --help
		return nil
	}
	if o.version {
		fmt.Fprintf(stdout, "rstsniff %s\n", versionText())
		return nil
	}
	if slices.Contains(o.reads, "-") && isTerminal(stdin) {
		// A capture is binary: nobody types one. Waiting would look hung.
		return &usageError{"-r - reads a capture from standard input, which is a terminal: pipe one in (tcpdump -w - ... | rstsniff -r -) or give -r FILE"}
	}
	o.command = "rstsniff " + strings.Join(args, " ")
	if err := checkOutputs(o); err != nil {
		return err
	}
	if o.output != "" {
		f, ferr := atomicfile.Create(o.output)
		if ferr != nil {
			return fmt.Errorf("-o %s: %v", o.output, statReason(ferr))
		}
		defer func() {
			// A whole report, abnormal connections or not, replaces the
			// file; a failed run leaves it as it was. A report that could
			// not be put in place is an error whatever the connections
			// did: the user would look for a file that is not there.
			var ee *exitError
			if err == nil || errors.As(err, &ee) && ee.code == exitAbnormal {
				if cerr := f.Commit(); cerr != nil {
					err = fmt.Errorf("-o %s: %v", o.output, statReason(cerr))
				}
			} else {
				f.Abort()
			}
		}()
		stdout = f
	}
	if o.cpuprof != "" {
		f, err := os.Create(o.cpuprof)
		if err != nil {
			return fmt.Errorf("--cpuprofile: %v", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("--cpuprofile: %v", err)
		}
		defer pprof.StopCPUProfile()
	}
	switch {
	case o.format == "gen":
		return exitCode(generate(o, stdout, stderr)) // docgen.go
	case o.list:
		return listInterfaces(stdout)
	case len(o.sshdLogs)+len(o.fail2banLogs) > 0:
		return runServerLog(ctx, o, stdin, stdout, stderr) // sshdlog.go
	case o.iface != "":
		return runLive(ctx, o, stdout, stderr)
	case o.correlate:
		return runCorrelate(ctx, o, stdin, stdout, stderr)
	}
	return runFiles(ctx, o, stdin, stdout, stderr)
}

// newAnalyzer sets up the analyzer of the index-th input of a run. Each
// gets its own range of flow handles: the evidence writer tells flows apart
// by handle across files.
func newAnalyzer(o *options, name string, index int) *analyze.Analyzer {
	keep := 0
	if o.format == "markdown" || o.format == "html" {
		keep = reportPackets // the reports draw each connection's packets
	}
	if o.correlate {
		keep = correlatePackets
	}
	return analyze.New(analyze.Config{Ports: o.ports, File: name, IdleThreshold: o.idle,
		Grace: o.grace, FlowTimeout: o.timeout, MaxFlows: o.maxFlows, KeepPackets: keep, HandleBase: uint64(index) << 40})
}

// reportPackets is how many packets per connection the reports keep.
const reportPackets = 120

// listLimit is how many connections the table or a report lists; past it
// they are counted (JSON prints every one). It bounds memory too.
func listLimit(format string) int {
	if format == "markdown" || format == "html" {
		return 200
	}
	return 1000
}

func listInterfaces(stdout io.Writer) error {
	ifs, err := live.Interfaces()
	if err != nil {
		return err
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
	return nil
}

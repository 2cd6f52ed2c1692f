package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/rstsniff/rstsniff/internal/atomicfile"
	"github.com/rstsniff/rstsniff/internal/term"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitStatus(err, os.Stderr))
}

// command is one of rstsniff's commands: its name (the first argument;
// "" for reading captures and capturing live, which takes no name), what
// it does in one line, a constructor of its flag set (for help and the man
// page; parsing binds its own), and how it runs: its error carries the
// exit status (exitStatus).
type command struct {
	name, summary string
	flags         func() *pflag.FlagSet
	run           func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error
}

// commands are rstsniff's commands, the one table run dispatches from.
var commands = []command{
	{"", "read SSH captures or capture live, and judge every reset",
		func() *pflag.FlagSet { return mainFlags(&options{}) }, runCaptures},
	{"probe", "open SSH connections as far as no credentials go, capture and judge them",
		func() *pflag.FlagSet { return probeFlags(&probeOptions{}) },
		func(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
			return exitWith(runProbe(ctx, args, stdout, stderr), nil) // probe.go
		}},
	{"run", "run a command, capture its SSH connections, and say how they ended if it failed",
		func() *pflag.FlagSet { return runFlags(&runOptions{}) }, runCommand}, // run_command.go
	{"explain", "what an OpenSSH client message or ssh -v log means on the wire",
		func() *pflag.FlagSet { return explainFlags(new(string), new(bool)) },
		func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
			return exitWith(runExplain(ctx, args, stdin, stdout, stderr), nil) // explain.go
		}},
}

// commandNamed is the command args[0] names, or the one that takes no name.
func commandNamed(args []string) (command, []string) {
	if len(args) > 0 {
		for _, c := range commands[1:] {
			if c.name == args[0] {
				return c, args[1:]
			}
		}
	}
	return commands[0], args
}

// run is the whole command: it dispatches to the command args name. Its
// error carries the exit status (exitStatus). Nothing it sets outlives it.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	// "rstsniff help [COMMAND]" and "rstsniff version", as other tools
	// take them (unless a file of that name is what to read).
	if len(args) > 0 && (args[0] == "help" || args[0] == "version") && !isFile(args[0]) {
		switch {
		case args[0] == "version":
			args = []string{"--version"}
		case len(args) > 1 && slices.ContainsFunc(commands[1:], func(c command) bool { return c.name == args[1] }):
			args = []string{args[1], "--help"}
		default:
			args = []string{"--help"}
		}
	}
	c, rest := commandNamed(args)
	return c.run(ctx, rest, stdin, stdout, stderr)
}

// runCaptures is rstsniff without a command name: parse the flags, then
// read files, capture live, compare captures or list interfaces.
func runCaptures(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (err error) {
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
	if slices.Contains(o.reads, "-") && term.IsTerminal(stdin) {
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
			var ee *exitStatusError
			if err == nil || errors.As(err, &ee) && ee.status == exitAbnormal {
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
	case o.gen != "":
		return exitWith(generate(o, stdout, stderr), nil) // docgen.go
	case o.list:
		return listInterfaces(stdout) // live.go
	case len(o.sshdLogs)+len(o.fail2banLogs) > 0:
		return runServerLog(ctx, o, stdin, stdout, stderr) // sshdlog.go
	case o.iface != "":
		return runLive(ctx, o, stdout, stderr) // live.go
	case o.correlate:
		return runCorrelate(ctx, o, stdin, stdout, stderr) // correlate.go
	}
	return runFiles(ctx, o, stdin, stdout, stderr) // offline.go
}

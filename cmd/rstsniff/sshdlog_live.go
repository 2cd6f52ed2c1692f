package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/report"
	"github.com/rstsniff/rstsniff/sshdlog"
)

// journalSource is the --sshd-log name that, during a live capture, follows
// journald instead of a file.
const journalSource = "journal"

// journalArgv follows sshd's lines in journald from now on.
var journalArgv = []string{"journalctl", "--follow", "--output=json", "--lines=0",
	"--identifier=sshd", "--identifier=sshd-session", "--identifier=sshd-auth"}

// liveLog follows the logs during a live capture and joins each connection
// handed over to the lines read so far. Its methods work on a nil *liveLog
// (no log given): they write the flow as without one.
type liveLog struct {
	mu     sync.Mutex
	lines  []sshdlog.Line
	recent []sshdlog.Conn // connections handed over lately, so a line fitting several is seen to
	stderr io.Writer
}

// liveWindow is how long lines and handed-over connections are kept.
const liveWindow = 10 * time.Minute

// liveMaxLines bounds the lines kept (sshd -E lines carry no time to age by).
const liveMaxLines = 200000

// startLiveLog opens every log now (before -Z drops privileges) and follows
// them until ctx ends. Nil when no log was given.
func startLiveLog(ctx context.Context, o *options, stderr io.Writer) (*liveLog, error) {
	names := append(append([]string{}, o.sshdLogs...), o.fail2banLogs...)
	if len(names) == 0 {
		return nil, nil
	}
	var zone *time.Location
	if o.logTZ != "" {
		z, err := parseZone(o.logTZ)
		if err != nil {
			return nil, fmt.Errorf("--log-tz: %v", err)
		}
		zone = z
	}
	opt := sshdlog.ReadOptions{Zone: zone, Near: time.Now()}
	ll := &liveLog{stderr: stderr}
	out := make(chan sshdlog.Line, 1024)
	var runs []func() error
	for _, name := range names {
		switch name {
		case journalSource:
			runs = append(runs, func() error { return sshdlog.FollowCommand(ctx, journalArgv, "journal", opt, out) })
		case "-":
			runs = append(runs, func() error { return followReader(ctx, os.Stdin, opt, out) })
		default:
			fl, err := sshdlog.NewFollower(name)
			if err != nil {
				return nil, err
			}
			runs = append(runs, func() error { return fl.Run(ctx, opt, 0, out) })
		}
	}
	for i, run := range runs {
		go func() {
			if err := run(); err != nil && ctx.Err() == nil {
				fmt.Fprintf(stderr, "rstsniff: following %s: %v\n", names[i], err)
			}
		}()
	}
	go func() {
		for {
			select {
			case l := <-out:
				ll.add(l)
			case <-ctx.Done():
				return
			}
		}
	}()
	return ll, nil
}

// followReader reads standard input's lines as they come.
func followReader(ctx context.Context, r io.Reader, opt sshdlog.ReadOptions, out chan<- sshdlog.Line) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		if l, ok, known := sshdlog.ParseLine(sc.Text(), "-", n, opt); ok && known {
			select {
			case out <- l:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	return sc.Err()
}

func (ll *liveLog) add(l sshdlog.Line) {
	ll.mu.Lock()
	defer ll.mu.Unlock()
	ll.lines = append(ll.lines, l)
	if len(ll.lines) > liveMaxLines {
		ll.lines = append(ll.lines[:0], ll.lines[len(ll.lines)-liveMaxLines/2:]...)
	}
	if !l.Time.IsZero() {
		cut := 0
		for cut < len(ll.lines) && !ll.lines[cut].Time.IsZero() && l.Time.Sub(ll.lines[cut].Time) > liveWindow {
			cut++
		}
		if cut > 0 {
			ll.lines = append(ll.lines[:0], ll.lines[cut:]...)
		}
	}
}

// join places the lines read so far on f. It gives Join only what can
// bear on f, so that the cost per connection does not grow with the
// traffic: the connections from f's client address handed over lately
// (so that a line fitting several of them stays unjoined), and the lines
// naming that address or none, within liveWindow of f when they carry a
// time. Lines of other addresses cannot join f: by port they name
// another connection, by process a process that wrote about another, and
// an sshd -E file's order rule reads its own lines (all kept for it).
func (ll *liveLog) join(f *analyze.Flow) *sshdlog.Result {
	ll.mu.Lock()
	c := connOf(f)
	keep := ll.recent[:0]
	var conns []sshdlog.Conn
	for _, r := range ll.recent {
		if c.Start.Sub(r.End) < liveWindow {
			keep = append(keep, r)
			if r.Client.Addr() == c.Client.Addr() {
				conns = append(conns, r)
			}
		}
	}
	ll.recent = append(keep, c)
	conns = append(conns, c)
	var lines []sshdlog.Line
	for _, l := range ll.lines {
		switch {
		case l.Format == sshdlog.FormatBare:
			lines = append(lines, l)
		case l.Client.IsValid() && l.Client.Addr() != c.Client.Addr():
		case !l.Time.IsZero() && (l.Time.Before(c.Start.Add(-liveWindow)) || l.Time.After(c.End.Add(liveWindow))):
		default:
			lines = append(lines, l)
		}
	}
	ll.mu.Unlock()
	return sshdlog.Join(conns, lines, sshdlog.Options{Partial: true})
}

// jsonFlow writes f as a JSON line, with "sshd_log" when the log speaks of
// it.
func (ll *liveLog) jsonFlow(w io.Writer, f *analyze.Flow) error {
	if ll == nil {
		return report.JSONFlow(w, f, false)
	}
	return report.JSONFlowServerLog(w, f, false, ll.join(f))
}

// streamLine writes f's line and, under it, the server's account of it.
func (ll *liveLog) streamLine(w io.Writer, f *analyze.Flow, explain bool) error {
	if err := report.StreamLine(w, f, explain); err != nil || ll == nil {
		return err
	}
	return report.ServerLogStream(w, f, ll.join(f))
}

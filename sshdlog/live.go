package sshdlog

import (
	"bufio"
	"context"
	"io"
	"sync"
	"time"
)

// JournalSource is the log name that, during a live capture, follows
// journald instead of a file (rstsniff --sshd-log journal).
const JournalSource = "journal"

// journalArgv follows sshd's lines in journald from now on.
var journalArgv = []string{"journalctl", "--follow", "--output=json", "--lines=0",
	"--identifier=sshd", "--identifier=sshd-session", "--identifier=sshd-auth"}

// Live holds the lines read so far while logs are followed during a live
// capture, and joins each connection handed over to them (Join). The zero
// value is an empty window, ready to use; Add and Join may be called from
// different goroutines.
type Live struct {
	mu     sync.Mutex
	lines  []Line
	recent []Conn // connections handed over lately, so a line fitting several is seen to
}

// LiveWindow is how long lines and handed-over connections are kept.
const LiveWindow = 10 * time.Minute

// liveMaxLines bounds the lines kept (sshd -E lines carry no time to age by).
const liveMaxLines = 200000

// StartLive opens every log now (a file, "-" for stdin, JournalSource for
// journald), so before the caller drops privileges, and follows them on
// goroutines of their own until ctx ends. A source that stops with an
// error before ctx ends is passed to failed (from its goroutine).
func StartLive(ctx context.Context, names []string, opt ReadOptions, stdin io.Reader, failed func(name string, err error)) (*Live, error) {
	ll := &Live{}
	out := make(chan Line, 1024)
	var runs []func() error
	for _, name := range names {
		switch name {
		case JournalSource:
			runs = append(runs, func() error { return FollowCommand(ctx, journalArgv, "journal", opt, out) })
		case "-":
			runs = append(runs, func() error { return FollowReader(ctx, stdin, opt, out) })
		default:
			fl, err := NewFollower(name)
			if err != nil {
				return nil, err
			}
			runs = append(runs, func() error { return fl.Run(ctx, opt, 0, out) })
		}
	}
	for i, run := range runs {
		go func() {
			if err := run(); err != nil && ctx.Err() == nil {
				failed(names[i], err)
			}
		}()
	}
	go func() {
		for {
			select {
			case l := <-out:
				ll.Add(l)
			case <-ctx.Done():
				return
			}
		}
	}()
	return ll, nil
}

// FollowReader reads r's lines as they come (standard input, named "-")
// and sends each sshd line on out until r ends or ctx does.
func FollowReader(ctx context.Context, r io.Reader, opt ReadOptions, out chan<- Line) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		if l, ok, known := ParseLine(sc.Text(), "-", n, opt); ok && known {
			select {
			case out <- l:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	return sc.Err()
}

// Add keeps a line, dropping those older than LiveWindow before it and,
// past liveMaxLines, the older half.
func (ll *Live) Add(l Line) {
	ll.mu.Lock()
	defer ll.mu.Unlock()
	ll.lines = append(ll.lines, l)
	if len(ll.lines) > liveMaxLines {
		ll.lines = append(ll.lines[:0], ll.lines[len(ll.lines)-liveMaxLines/2:]...)
	}
	if !l.Time.IsZero() {
		cut := 0
		for cut < len(ll.lines) && !ll.lines[cut].Time.IsZero() && l.Time.Sub(ll.lines[cut].Time) > LiveWindow {
			cut++
		}
		if cut > 0 {
			ll.lines = append(ll.lines[:0], ll.lines[cut:]...)
		}
	}
}

// Join places the lines read so far on c, a connection handed over. It
// gives Join only what can bear on c, so that the cost per connection does
// not grow with the traffic: the connections from c's client address
// handed over lately (so that a line fitting several of them stays
// unjoined), and the lines naming that address or none, within LiveWindow
// of c when they carry a time. Lines of other addresses cannot join c: by
// port they name another connection, by process a process that wrote
// about another, and an sshd -E file's order rule reads its own lines (all
// kept for it).
func (ll *Live) Join(c Conn) *Result {
	ll.mu.Lock()
	keep := ll.recent[:0]
	var conns []Conn
	for _, r := range ll.recent {
		if c.Start.Sub(r.End) < LiveWindow {
			keep = append(keep, r)
			if r.Client.Addr() == c.Client.Addr() {
				conns = append(conns, r)
			}
		}
	}
	ll.recent = append(keep, c)
	conns = append(conns, c)
	var lines []Line
	for _, l := range ll.lines {
		switch {
		case l.Format == FormatBare:
			lines = append(lines, l)
		case l.Client.IsValid() && l.Client.Addr() != c.Client.Addr():
		case !l.Time.IsZero() && (l.Time.Before(c.Start.Add(-LiveWindow)) || l.Time.After(c.End.Add(LiveWindow))):
		default:
			lines = append(lines, l)
		}
	}
	ll.mu.Unlock()
	return Join(conns, lines, Options{Partial: true})
}

package main

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rstsniff/rstsniff/kernel"
	"github.com/rstsniff/rstsniff/kernel/rules"
)

// firewallRules reads this namespace's nftables ruleset with its counters
// at the start and after each firewall event the witness reports (at most
// one read every snapGap), so each event can name the rule whose counter
// rose. Read-only. A nil *firewallRules does nothing.
type firewallRules struct {
	r    *rules.Reader
	h    *rules.History
	kick chan struct{}
	stop chan struct{}
	done chan struct{}
	once sync.Once
	// latest is the time of the latest event poked (UnixNano): a read
	// that began too soon after it is not "after" it, so another follows.
	latest atomic.Int64
}

// snapGap rate-limits the reads: events closer than this share one (or
// closer than four times the last read took, for a large ruleset).
const snapGap = 20 * time.Millisecond

// startRules opens nf_tables and reads the ruleset once; when it cannot,
// it says why in one line and returns nil (events then name no rule).
func startRules(stderr io.Writer) *firewallRules {
	r, err := rules.Open(-1)
	if err != nil {
		fmt.Fprintf(stderr, "rstsniff: firewall rules will not be named: %v\n", err)
		return nil
	}
	legacy := rules.Legacy()
	h := rules.NewHistory(legacy)
	s := r.Snapshot()
	if s.Err != nil {
		fmt.Fprintf(stderr, "rstsniff: firewall rules will not be named: reading nftables: %v\n", s.Err)
		r.Close()
		return nil
	}
	h.Add(s)
	fw := &firewallRules{r: r, h: h, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go fw.loop()
	n, counted := 0, 0
	for _, rule := range s.Facts() {
		if !rule.Policy {
			n++
			if rule.Counted {
				counted++
			}
		}
	}
	note := ""
	if legacy {
		note = "; iptables-legacy tables exist too, and their rules cannot be named"
	}
	fmt.Fprintf(stderr, "rstsniff: firewall rules: %d nftables rules read, %d with counters, read again on each firewall event%s\n", n, counted, note)
	return fw
}

// poke asks for a read after an event at time at; it never blocks.
func (fw *firewallRules) poke(at time.Time) {
	if fw == nil {
		return
	}
	for {
		old := fw.latest.Load()
		if at.UnixNano() <= old || fw.latest.CompareAndSwap(old, at.UnixNano()) {
			break
		}
	}
	select {
	case fw.kick <- struct{}{}:
	default:
	}
}

func (fw *firewallRules) loop() {
	defer close(fw.done)
	var last time.Time
	gap := snapGap
	for {
		select {
		case <-fw.stop:
			return
		case <-fw.kick:
		}
		if d := gap - time.Since(last); d > 0 {
			select {
			case <-fw.stop:
				return
			case <-time.After(d):
			}
		}
		last = time.Now()
		s := fw.r.Snapshot()
		fw.h.Add(s)
		if !s.Begin.After(time.Unix(0, fw.latest.Load()).Add(rules.Margin)) {
			// An event came too close before the read (or during it):
			// read again, so that one read is after it.
			select {
			case fw.kick <- struct{}{}:
			default:
			}
		}
		// A large ruleset takes long to read: read at most a fifth of the time.
		gap = max(snapGap, 4*s.End.Sub(s.Begin))
	}
}

// attribute names the rules behind one firewall event.
func (fw *firewallRules) attribute(e *kernel.Event) *kernel.Rules {
	if fw == nil || e == nil {
		return nil
	}
	return fw.h.Attribute(e)
}

// close stops the reads and closes the netlink socket.
func (fw *firewallRules) close() {
	if fw == nil {
		return
	}
	fw.once.Do(func() {
		close(fw.stop)
		<-fw.done
		fw.r.Close()
	})
}

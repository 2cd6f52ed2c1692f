package rules

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rstsniff/rstsniff/kernel"
)

// Watcher reads this namespace's ruleset with its counters at the start
// and after each firewall event the kernel witness reports (at most one
// read every snapGap), so each event can name the rule whose counter rose.
// Read-only. The zero value is invalid: construct it with Watch. Poke and
// Attribute may be called from any goroutine. Its methods work on a nil
// *Watcher (rules not read): Attribute names no rule.
type Watcher struct {
	r    *Reader
	h    *History
	kick chan struct{}
	stop chan struct{}
	done chan struct{}
	once sync.Once
	// latest is the time of the latest event poked (UnixNano): a read
	// that began too soon after it is not "after" it, so another follows.
	latest atomic.Int64
}

// WatchStart is what the first read found: the rules (policies aside),
// how many of them have counters, and whether iptables-legacy tables exist
// too (whose rules cannot be named).
type WatchStart struct {
	Rules, Counted int
	Legacy         bool
}

// snapGap rate-limits the reads: events closer than this share one (or
// closer than four times the last read took, for a large ruleset).
const snapGap = 20 * time.Millisecond

// Watch opens nf_tables, reads the ruleset once and starts the reads on
// poke; when it cannot, the error says why (events then name no rule).
func Watch() (*Watcher, WatchStart, error) {
	r, err := Open(-1)
	if err != nil {
		return nil, WatchStart{}, err
	}
	st := WatchStart{Legacy: Legacy()}
	h := NewHistory(st.Legacy)
	s := r.Snapshot()
	if s.Err != nil {
		r.Close()
		return nil, WatchStart{}, fmt.Errorf("reading nftables: %v", s.Err)
	}
	h.Add(s)
	w := &Watcher{r: r, h: h, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go w.loop()
	for _, rule := range s.Facts() {
		if !rule.Policy {
			st.Rules++
			if rule.Counted {
				st.Counted++
			}
		}
	}
	return w, st, nil
}

// Poke asks for a read after an event at time at; it never blocks.
func (w *Watcher) Poke(at time.Time) {
	if w == nil {
		return
	}
	for {
		old := w.latest.Load()
		if at.UnixNano() <= old || w.latest.CompareAndSwap(old, at.UnixNano()) {
			break
		}
	}
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

func (w *Watcher) loop() {
	defer close(w.done)
	var last time.Time
	gap := snapGap
	for {
		select {
		case <-w.stop:
			return
		case <-w.kick:
		}
		if d := gap - time.Since(last); d > 0 {
			select {
			case <-w.stop:
				return
			case <-time.After(d):
			}
		}
		last = time.Now()
		s := w.r.Snapshot()
		w.h.Add(s)
		if !s.Begin.After(time.Unix(0, w.latest.Load()).Add(Margin)) {
			// An event came too close before the read (or during it):
			// read again, so that one read is after it.
			select {
			case w.kick <- struct{}{}:
			default:
			}
		}
		// A large ruleset takes long to read: read at most a fifth of the time.
		gap = max(snapGap, 4*s.End.Sub(s.Begin))
	}
}

// Attribute names the rules behind one firewall event.
func (w *Watcher) Attribute(e *kernel.Event) *kernel.Rules {
	if w == nil || e == nil {
		return nil
	}
	return w.h.Attribute(e)
}

// Close stops the reads and closes the netlink socket.
func (w *Watcher) Close() {
	if w == nil {
		return
	}
	w.once.Do(func() {
		close(w.stop)
		<-w.done
		w.r.Close()
	})
}

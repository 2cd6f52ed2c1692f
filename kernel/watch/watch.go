package watch

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/kernel"
	"github.com/rstsniff/rstsniff/kernel/probe"
	"github.com/rstsniff/rstsniff/kernel/rules"
)

// Watcher asks this host's kernel, through eBPF, which resets it sent and
// received during a live capture, in the capture's network namespace (the
// one the process runs in), and names the firewall rules behind them. The
// zero value is invalid: construct it with Start. Its methods work on a nil
// *Watcher (the witness off): they do nothing.
type Watcher struct {
	p     *probe.Probe
	j     *kernel.Journal
	count func(*kernel.Event)
	done  chan struct{}
	// flushed has a value when the reading goroutine has added every event
	// committed before the last Flush (see syncFor).
	flushed chan struct{}
	// syncMu serialises syncFor; complete is when its last flush was asked
	// (the journal holds every event before), broken that a flush went
	// unanswered for a second, after which no flush is asked again.
	syncMu   sync.Mutex
	complete time.Time
	broken   bool
	// fw names the firewall rules behind firewall events; nil when
	// netfilter is not watched or nftables cannot be read.
	fw *rules.Watcher
}

// Options set up a Watcher; the zero value works.
type Options struct {
	// Count, when set, is told of each event the journal keeps and of
	// each drop the join turns into a REJECT's reset (metrics); it is
	// called from the reading goroutine and from Attribute's.
	Count func(*kernel.Event)
}

// Started is what Start found: the namespace watched, how netfilter is,
// and, when it is, the firewall rules read (or why they cannot be).
type Started struct {
	Netns    uint32
	Firewall probe.Firewall
	Rules    rules.WatchStart
	RulesErr error // rules will not be named (only when Firewall is watched)
}

// Start loads the probe and reads its events on a goroutine of its own
// until Close; an error says why the witness cannot run. Call it before
// dropping privileges.
func Start(opt Options) (*Watcher, Started, error) {
	p, err := probe.Open(probe.Options{})
	if err != nil {
		return nil, Started{}, err
	}
	if opt.Count == nil {
		opt.Count = func(*kernel.Event) {}
	}
	local := localAddrs()
	j := kernel.NewJournal(kernel.JournalOptions{Netns: p.Netns, Start: p.Start, Lost: p.Lost,
		Local: func(a netip.Addr) bool { return local[a] }, Firewall: p.Firewall != probe.FirewallNone})
	w := &Watcher{p: p, j: j, count: opt.Count, done: make(chan struct{}), flushed: make(chan struct{}, 1)}
	st := Started{Netns: p.Netns, Firewall: p.Firewall}
	if p.Firewall != probe.FirewallNone {
		w.fw, st.Rules, st.RulesErr = rules.Watch()
	}
	go func() {
		defer close(w.done)
		for {
			e, err := p.Read()
			if errors.Is(err, probe.ErrFlushed) {
				select {
				case w.flushed <- struct{}{}:
				default:
				}
				continue
			}
			if err != nil {
				return
			}
			if j.Add(e) {
				w.count(&e)
				if e.Kind == kernel.FirewallDropped || e.Kind == kernel.FirewallSent {
					w.fw.Poke(e.Time)
				}
			}
		}
	}()
	return w, st, nil
}

// localAddrs are this namespace's addresses.
func localAddrs() map[netip.Addr]bool {
	m := map[netip.Addr]bool{}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return m
	}
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			m[p.Addr().Unmap()] = true
		}
	}
	return m
}

// settle is how long after a packet its event may still be on its way
// into the ring buffer: an active reset's tracepoint fires after the
// packet has left (kernel/join.go's orderOf).
const settle = 10 * time.Millisecond

// syncFor makes sure the journal holds every event of the kernel up to
// end (plus settle), as a connection that ended just now needs when a
// capture stops (-c, --duration, a signal): the events of its last
// packets may still be in the ring buffer, and their absence would be
// read as "not sent by this host". When the last flush came before, it
// waits until end+settle has passed, then flushes the ring buffer and
// waits, a second at most, until the reading goroutine has added every
// event committed before. A connection judged after --grace needs no
// flush of its own: the one before covers it.
func (w *Watcher) syncFor(end time.Time) {
	w.syncMu.Lock()
	defer w.syncMu.Unlock()
	need := end.Add(settle)
	if w.broken || need.Before(w.complete) {
		return
	}
	if d := time.Until(need); d > 0 {
		time.Sleep(d)
	}
	at := time.Now()
	if w.p.Flush() != nil {
		return
	}
	select {
	case <-w.flushed:
		w.complete = at
	case <-w.done:
		w.broken = true
	case <-time.After(time.Second):
		// Unanswered: a later answer could not be told from this one's.
		w.broken = true
	}
}

// Attribute gives each reset of the flows what the kernel said about it,
// and each flow the packets the firewall dropped.
func (w *Watcher) Attribute(fs []*analyze.Flow) {
	if w == nil {
		return
	}
	var qs []kernel.Query
	for _, f := range fs {
		w.syncFor(f.End)
		qs = qs[:0]
		for _, r := range f.Resets {
			src, dst := f.Client, f.Server
			if r.From == analyze.Server {
				src, dst = f.Server, f.Client
			}
			qs = append(qs, kernel.Query{Src: src, Dst: dst, Time: r.Time})
		}
		for i, k := range w.j.AttributeAll(qs) {
			f.Resets[i].Kernel = k
			if k != nil && k.Basis == kernel.BasisDropInference {
				// Counted here: only the join makes a drop a REJECT's reset.
				w.count(&kernel.Event{Kind: kernel.FirewallSent})
			}
			if k != nil && k.Sender == kernel.SenderFirewall {
				k.Rules = w.fw.Attribute(k.Sent)
			}
		}
		if d := w.j.Dropped(f.Client, f.Server, f.Start, f.End); d != nil {
			for i := range d.Events {
				d.Rules = append(d.Rules, w.fw.Attribute(&d.Events[i]))
			}
			f.Dropped = d
		}
	}
}

// Losses are the events the kernel could not deliver since Start
// (kernel/probe's Probe.Losses); after Close, those up to Close. Absence
// of events proved nothing while any was lost.
func (w *Watcher) Losses() (full, skipped uint64, err error) {
	if w == nil {
		return 0, 0, nil
	}
	return w.p.Losses()
}

// Close detaches the programs and stops the rules' reads.
func (w *Watcher) Close() {
	if w == nil {
		return
	}
	w.p.Close()
	<-w.done
	w.fw.Close()
}

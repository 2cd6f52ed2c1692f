package kernel

import (
	"net/netip"
	"sort"
	"sync"
	"time"
)

// Sender is who on this host sent a reset, as far as its kernel says.
type Sender uint8

const (
	SenderUnknown  Sender = iota // the witness cannot say (not this host's address, or events were lost)
	SenderStack                  // this host's TCP stack sent it
	SenderFirewall               // a netfilter REJECT rule on this host sent it
	SenderNotHost                // it carries this host's address, but neither its stack nor its firewall sent it
)

var senderNames = [...]string{"unknown", "stack", "firewall", "not-this-host"}

func (s Sender) String() string {
	if int(s) < len(senderNames) {
		return senderNames[s]
	}
	return "unknown"
}

// Basis is what a Sender rests on.
type Basis uint8

const (
	BasisNone          Basis = iota
	BasisTracepoint          // tcp:tcp_send_reset fired for it
	BasisFentry              // fentry on nf_send_reset(6) fired for it, with the hook
	BasisDropInference       // netfilter dropped the packet it answers, and no TCP socket sent it
	BasisAbsence             // no event for it while the witness ran and lost nothing
)

var basisNames = [...]string{"", "tcp_send_reset", "nf_send_reset", "kfree_skb NETFILTER_DROP", "no kernel event"}

func (b Basis) String() string {
	if int(b) < len(basisNames) {
		return basisNames[b]
	}
	return "unknown"
}

// Witness is what this host's kernel says about one reset in the capture.
// Sent is the event Sender rests on (nil for SenderUnknown and
// SenderNotHost); Received is set when a local socket accepted the reset,
// After then lists the resets this host sent on the same connection
// afterwards, in time order. NotAccepted: the reset was addressed to this
// host, yet no local socket accepted it.
type Witness struct {
	Sender      Sender
	Basis       Basis
	Sent        *Event
	Received    *Event
	NotAccepted bool
	After       []Event
}

// Window is how far apart in time a kernel event and the packet it is
// about may be. Both clocks are this host's, the gap is microseconds; the
// window is wide because four-tuples rarely repeat within seconds.
const Window = time.Second

// afterWindow bounds "what the kernel did next" after a received reset.
const afterWindow = 10 * time.Second

// keep is how long the journal keeps events.
const keep = 10 * time.Minute

// Journal keeps the kernel's recent events of one network namespace, in
// time order. Safe for one writer (Add) and readers (Attribute) at once.
// Construct with NewJournal.
type Journal struct {
	mu     sync.Mutex
	netns  uint32
	start  time.Time
	local  func(netip.Addr) bool
	events []Event
	used   map[int]bool // index in events of StackSent/FirewallSent events already attributed
	base   int          // events[0]'s index since the start
	lost   func() uint64
	// firewall: resets from netfilter are watched too (fentry or kfree_skb),
	// so an absence of events can clear the firewall as well as the stack.
	firewall bool
}

// JournalOptions configure a Journal.
type JournalOptions struct {
	Netns uint32    // the capture's network namespace; 0 accepts any
	Start time.Time // when the witness began to watch
	// Local tells whether an address is this host's (nil: none is).
	Local func(netip.Addr) bool
	// Lost returns how many events the kernel could not deliver (nil: none).
	Lost func() uint64
	// Firewall: netfilter's resets are watched, by fentry or kfree_skb.
	Firewall bool
}

// NewJournal starts an empty journal.
func NewJournal(o JournalOptions) *Journal {
	local, lost := o.Local, o.Lost
	if local == nil {
		local = func(netip.Addr) bool { return false }
	}
	if lost == nil {
		lost = func() uint64 { return 0 }
	}
	return &Journal{netns: o.Netns, start: o.Start, local: local, lost: lost, firewall: o.Firewall, used: map[int]bool{}}
}

// Add records an event. Events of another namespace are left out and
// reported false.
func (j *Journal) Add(e Event) bool {
	if j.netns != 0 && e.Netns != j.netns {
		return false
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	// Events come nearly in order; keep the slice sorted.
	i := len(j.events)
	for i > 0 && j.events[i-1].Time.After(e.Time) {
		i--
	}
	j.events = append(j.events, Event{})
	copy(j.events[i+1:], j.events[i:])
	j.events[i] = e
	if i < len(j.events)-1 {
		// Indices moved: drop the marks after i (rare; at worst an event is
		// attributed twice).
		for k := range j.used {
			if k >= j.base+i {
				delete(j.used, k)
			}
		}
	}
	if old := e.Time.Add(-keep); len(j.events) > 0 && j.events[0].Time.Before(old) {
		n := sort.Search(len(j.events), func(k int) bool { return !j.events[k].Time.Before(old) })
		j.events = append(j.events[:0], j.events[n:]...)
		for k := range j.used {
			if k < j.base+n {
				delete(j.used, k)
			}
		}
		j.base += n
	}
	return true
}

// Len is how many events the journal holds.
func (j *Journal) Len() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.events)
}

// Events returns a copy of the journal's events in time order.
func (j *Journal) Events() []Event {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]Event(nil), j.events...)
}

// Attribute says what the kernel did about a reset from src to dst seen in
// the capture at t. It returns nil when the kernel has nothing to say: the
// reset neither comes from nor goes to this host, or it predates the witness.
// Each sent event is attributed to one reset only, the nearest in time.
func (j *Journal) Attribute(src, dst netip.AddrPort, t time.Time) *Witness {
	if t.Before(j.start) {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	w := &Witness{}
	if i := j.nearest(src, dst, t, StackSent, true); i >= 0 {
		w.Sender, w.Basis, w.Sent = SenderStack, BasisTracepoint, j.take(i)
	} else if i := j.nearest(src, dst, t, FirewallSent, true); i >= 0 {
		w.Sender, w.Basis, w.Sent = SenderFirewall, BasisFentry, j.take(i)
	} else if i := j.nearest(src, dst, t, FirewallDropped, true); i >= 0 && j.local(src.Addr()) {
		w.Sender, w.Basis, w.Sent = SenderFirewall, BasisDropInference, j.take(i)
	} else if j.local(src.Addr()) && j.firewall && j.lost() == 0 {
		w.Sender, w.Basis = SenderNotHost, BasisAbsence
	}
	if i := j.nearest(src, dst, t, Received, false); i >= 0 {
		e := j.events[i]
		w.Received = &e
		for k := i + 1; k < len(j.events) && j.events[k].Time.Sub(e.Time) <= afterWindow; k++ {
			a := j.events[k]
			if a.Kind == StackSent && (a.Src == dst && a.Dst == src) {
				w.After = append(w.After, a)
			}
		}
	} else if j.local(dst.Addr()) && j.lost() == 0 {
		w.NotAccepted = true
	}
	if w.Sender == SenderUnknown && w.Received == nil && !w.NotAccepted {
		return nil
	}
	return w
}

// nearest finds the event of kind k with these addresses nearest to t
// within Window; unused: only events not yet attributed.
func (j *Journal) nearest(src, dst netip.AddrPort, t time.Time, k Kind, unused bool) int {
	lo := sort.Search(len(j.events), func(i int) bool { return !j.events[i].Time.Before(t.Add(-Window)) })
	best, bestD := -1, time.Duration(0)
	for i := lo; i < len(j.events) && !j.events[i].Time.After(t.Add(Window)); i++ {
		e := &j.events[i]
		if e.Kind != k || e.Src != src || e.Dst != dst || (unused && j.used[j.base+i]) {
			continue
		}
		d := e.Time.Sub(t)
		if d < 0 {
			d = -d
		}
		if best < 0 || d < bestD {
			best, bestD = i, d
		}
	}
	return best
}

func (j *Journal) take(i int) *Event {
	j.used[j.base+i] = true
	e := j.events[i]
	return &e
}

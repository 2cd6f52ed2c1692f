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
	// Rules names the firewall rule behind a SenderFirewall reset, when
	// the ruleset was read (nil otherwise).
	Rules *Rules
}

// Window is how far apart in time a kernel event and the packet it is
// about may be. Both clocks are this host's, the gap is microseconds; the
// window is wide because four-tuples rarely repeat within seconds.
const Window = time.Second

// afterWindow bounds "what the kernel did next" after a received reset.
const afterWindow = 10 * time.Second

// keep is how long the journal keeps events.
const keep = 10 * time.Minute

// maxEvents bounds the events kept, whatever their age: a host that
// answers a scan of closed ports with resets sends thousands a second,
// and ten minutes of them (keep) would hold millions. Past it the oldest
// go (choice: 65,536 events are some 8 MB, a minute of resets at 1,000 a
// second, far more than the seconds a connection's verdict waits for).
const maxEvents = 1 << 16

// Journal keeps the kernel's recent events of one network namespace, in
// time order. Safe for one writer (Add) and readers (Attribute) at once.
// Construct with NewJournal.
type Journal struct {
	mu     sync.Mutex
	netns  uint32
	start  time.Time
	local  func(netip.Addr) bool
	events []Event
	used   map[int]bool // index (since the start) of events already attributed
	base   int          // events[0]'s index since the start
	lost   func() (uint64, error)
	now    func() time.Time
	// The losses as last counted (lostN at lostAt), and the spans of time
	// in which the count rose (or could not be read): an absence of events
	// near one of them proves nothing.
	lostN     uint64
	lostAt    time.Time
	lossSpans []lossSpan
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
	// Lost returns how many events the kernel could not deliver since
	// Start, or why it cannot say (nil: none).
	Lost func() (uint64, error)
	// Now is the clock of the events' times (nil: time.Now), read when
	// the losses are counted, to place them in time.
	Now func() time.Time
	// Firewall: netfilter's resets are watched, by fentry or kfree_skb.
	Firewall bool
}

// NewJournal starts an empty journal.
func NewJournal(o JournalOptions) *Journal {
	local, lost, now := o.Local, o.Lost, o.Now
	if local == nil {
		local = func(netip.Addr) bool { return false }
	}
	if lost == nil {
		lost = func() (uint64, error) { return 0, nil }
	}
	if now == nil {
		now = time.Now
	}
	return &Journal{netns: o.Netns, start: o.Start, local: local, lost: lost, now: now, lostAt: o.Start,
		firewall: o.Firewall, used: map[int]bool{}}
}

// lossSpan is a span of time in which events were lost, or may have been.
type lossSpan struct{ from, to time.Time }

// countLosses counts the losses again: when they rose since the last
// count (or cannot be read), events were lost since then. Call with j.mu
// held.
func (j *Journal) countLosses() {
	now := j.now()
	n, err := j.lost()
	if err != nil || n != j.lostN {
		if k := len(j.lossSpans) - 1; k >= 0 && j.lossSpans[k].to.Equal(j.lostAt) {
			j.lossSpans[k].to = now // losing at each count: one span, not one per count
		} else {
			j.lossSpans = append(j.lossSpans, lossSpan{j.lostAt, now})
		}
	}
	if err == nil {
		j.lostN = n
	}
	j.lostAt = now
	old := now.Add(-keep)
	for len(j.lossSpans) > 0 && j.lossSpans[0].to.Before(old) {
		j.lossSpans = j.lossSpans[1:]
	}
}

// lostNear tells whether events may have been lost within Window of t,
// where the event of a reset at t would be. Call with j.mu held.
func (j *Journal) lostNear(t time.Time) bool {
	for _, s := range j.lossSpans {
		if s.from.Before(t.Add(Window)) && s.to.After(t.Add(-Window)) {
			return true
		}
	}
	return false
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
	if old := e.Time.Add(-keep); len(j.events) > maxEvents || len(j.events) > 0 && j.events[0].Time.Before(old) {
		n := sort.Search(len(j.events), func(k int) bool { return !j.events[k].Time.Before(old) })
		// Past maxEvents, a sixteenth more than needed, so that this does not
		// copy the slice at every event.
		if over := len(j.events) - maxEvents; over > 0 {
			n = max(n, over+maxEvents/16)
		}
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

// Query is one reset seen in the capture: its addresses as it travelled and
// its capture time.
type Query struct {
	Src, Dst netip.AddrPort
	Time     time.Time
}

// order is the causal order of a kernel event and the packet it is about.
type order int8

const (
	eitherOrder order = iota
	eventFirst        // the kernel acts, then the packet is captured (a reset sent)
	packetFirst       // the packet is captured, then the socket takes it (a reset received)
)

// orderOf is the causal order of e and its packet, when o is that of e's
// kind. A reset the socket sends by itself (close with unread data, linger
// 0, a timer: Active) breaks the rule of sent resets: the kernel
// (tcp_send_active_reset) transmits it and fires tcp:tcp_send_reset after,
// so a capture on the sending interface usually has the packet first, by
// as long as the process was held between the two (softirqs, preemption:
// milliseconds on a loaded host), and after a queueing discipline it can
// have it last. A reset answering a packet (tcp_v4_send_reset,
// tcp_v6_send_reset) fires the tracepoint before it is sent.
func orderOf(e *Event, o order) order {
	if e.Kind == StackSent && e.Active {
		return eitherOrder
	}
	return o
}

// tolerance is how far out of causal order an event and its packet may
// look, for the clock conversion's error.
const tolerance = 2 * time.Millisecond

// AttributeAll says what the kernel did about each of the resets qs (those
// of one connection, say), one Witness or nil per reset: nil when the kernel
// has nothing to say, as the reset neither comes from nor goes to this host,
// or it predates the witness. Each event serves one reset only: pairs are
// made nearest in time first, among those in causal order (a sent event
// before its packet is captured, a received one after), so of three forged
// resets a millisecond apart the one the socket accepted gets the event and
// the others are "not accepted".
func (j *Journal) AttributeAll(qs []Query) []*Witness {
	if len(qs) == 0 {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	ws := make([]*Witness, len(qs))
	live := make([]bool, len(qs))
	for i, q := range qs {
		if !q.Time.Before(j.start) {
			ws[i], live[i] = &Witness{}, true
		}
	}
	pending := func(cond func(i int) bool) []int {
		var out []int
		for i := range qs {
			if live[i] && cond(i) {
				out = append(out, i)
			}
		}
		return out
	}
	noSender := func(i int) bool { return ws[i].Sender == SenderUnknown }
	for qi, ei := range j.match(qs, pending(noSender), StackSent, eventFirst) {
		ws[qi].Sender, ws[qi].Basis, ws[qi].Sent = SenderStack, BasisTracepoint, j.take(ei)
	}
	for qi, ei := range j.match(qs, pending(noSender), FirewallSent, eventFirst) {
		ws[qi].Sender, ws[qi].Basis, ws[qi].Sent = SenderFirewall, BasisFentry, j.take(ei)
	}
	localSrc := func(i int) bool { return noSender(i) && j.local(qs[i].Src.Addr()) }
	for qi, ei := range j.match(qs, pending(localSrc), FirewallDropped, eitherOrder) {
		ws[qi].Sender, ws[qi].Basis, ws[qi].Sent = SenderFirewall, BasisDropInference, j.take(ei)
	}
	// Whether no event was lost near a reset: the losses are counted once,
	// and only when an absence would decide (it costs a system call per
	// program). A loss long before or after a reset does not silence its
	// absence: a witness that runs for weeks would otherwise stop judging
	// at its first loss.
	counted := false
	clean := func(i int) bool {
		if !counted {
			counted = true
			j.countLosses()
		}
		return !j.lostNear(qs[i].Time)
	}
	for _, i := range pending(localSrc) {
		if j.firewall && clean(i) {
			ws[i].Sender, ws[i].Basis = SenderNotHost, BasisAbsence
		}
	}
	for qi, ei := range j.match(qs, pending(func(int) bool { return true }), Received, packetFirst) {
		w := ws[qi]
		w.Received = j.take(ei)
		e, q := *w.Received, qs[qi]
		for k := ei + 1; k < len(j.events) && j.events[k].Time.Sub(e.Time) <= afterWindow; k++ {
			a := j.events[k]
			if a.Kind == StackSent && a.Src == q.Dst && a.Dst == q.Src {
				w.After = append(w.After, a)
			}
		}
	}
	for i := range qs {
		w := ws[i]
		if w == nil {
			continue
		}
		if w.Received == nil && j.local(qs[i].Dst.Addr()) && clean(i) {
			w.NotAccepted = true
		}
		if w.Sender == SenderUnknown && w.Received == nil && !w.NotAccepted {
			ws[i] = nil
		}
	}
	return ws
}

// match pairs the resets cand (indices in qs) with unused events of kind k
// carrying the same addresses within Window, in causal order o, nearest
// pairs first. It returns query index -> event index.
func (j *Journal) match(qs []Query, cand []int, k Kind, o order) map[int]int {
	type pair struct {
		q, e int
		d    time.Duration
	}
	var pairs []pair
	for _, qi := range cand {
		q := qs[qi]
		lo := sort.Search(len(j.events), func(i int) bool { return !j.events[i].Time.Before(q.Time.Add(-Window)) })
		for i := lo; i < len(j.events) && !j.events[i].Time.After(q.Time.Add(Window)); i++ {
			e := &j.events[i]
			if e.Kind != k || e.Src != q.Src || e.Dst != q.Dst || j.used[j.base+i] {
				continue
			}
			d := q.Time.Sub(e.Time) // > 0: the event came first
			if o := orderOf(e, o); o == eventFirst && d < -tolerance || o == packetFirst && d > tolerance {
				continue
			}
			if d < 0 {
				d = -d
			}
			pairs = append(pairs, pair{qi, i, d})
		}
	}
	sort.SliceStable(pairs, func(a, b int) bool { return pairs[a].d < pairs[b].d })
	out := map[int]int{}
	taken := map[int]bool{}
	for _, p := range pairs {
		if _, ok := out[p.q]; ok || taken[p.e] {
			continue
		}
		out[p.q] = p.e
		taken[p.e] = true
	}
	return out
}

func (j *Journal) take(i int) *Event {
	j.used[j.base+i] = true
	e := j.events[i]
	return &e
}

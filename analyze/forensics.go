package analyze

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/rstsniff/rstsniff/decode"
)

// Forensics: for every RST, who really sent it; for every flow, the named
// patterns (findings). The signals and their weights are documented in
// README.md ("How a forged reset is told from a real one").

const (
	// raceWindow is how long after a RST data from its claimed sender still
	// proves the RST was not the sender's (Zeek's tcp_reset_delay).
	raceWindow = 5 * time.Second
	// burstWindow groups resets from one side into a burst.
	burstWindow = 2 * time.Second
	// bothEndsWindow: resets toward both ends this close together, with no
	// other packet between them, come from one injector.
	bothEndsWindow = time.Millisecond
	// minTimingRTT: below this the tap's round trip is too short for the
	// timing signal to mean anything.
	minTimingRTT = time.Millisecond
	// bigSegment is the payload size from which a segment may hit a lower MTU.
	bigSegment = 1000
)

// DefaultIdleThreshold is the silence after which a reset drawn by the next
// packet is called an idle-timeout reset.
const DefaultIdleThreshold = 30 * time.Second

type ttlCount struct {
	ttl uint8
	n   int
}

// ttlSet is a small TTL histogram: most paths show one or two values.
type ttlSet struct {
	c     [4]ttlCount
	other int
}

func (s *ttlSet) add(ttl uint8, n int) {
	for i := range s.c {
		if s.c[i].n == 0 || s.c[i].ttl == ttl {
			s.c[i].ttl = ttl
			s.c[i].n += n
			return
		}
	}
	s.other += n
}

func (s *ttlSet) total() int {
	n := s.other
	for _, c := range s.c {
		n += c.n
	}
	return n
}

func (s *ttlSet) has(ttl uint8) bool {
	for _, c := range s.c {
		if c.n > 0 && c.ttl == ttl {
			return true
		}
	}
	return false
}

// describe renders the histogram as "63" or "63 (20), 62 (2)".
func (s *ttlSet) describe() string {
	var parts []string
	var used []ttlCount
	for _, c := range s.c {
		if c.n > 0 {
			used = append(used, c)
		}
	}
	sort.Slice(used, func(i, j int) bool { return used[i].n > used[j].n })
	if len(used) == 1 {
		return fmt.Sprint(used[0].ttl)
	}
	for _, c := range used {
		parts = append(parts, fmt.Sprintf("%d (%d packets)", c.ttl, c.n))
	}
	return strings.Join(parts, ", ")
}

// hops guesses how many routers a packet crossed from the usual initial TTLs.
func hops(ttl uint8) int {
	for _, init := range []int{32, 64, 128, 255} {
		if int(ttl) <= init {
			return init - int(ttl)
		}
	}
	return 0
}

func hopWord(n int) string {
	if n == 1 {
		return "1 hop away"
	}
	return fmt.Sprintf("%d hops away", n)
}

// sideEvidence is what one side's own (non-RST) packets look like.
type sideEvidence struct {
	ttls     ttlSet
	ipidSet  bool
	lastIPID uint16
	ipidRuns int // consecutive packets whose IP ID rose by 1..64
	ipidN    int
	label    uint32 // IPv6 flow label of the latest packet (Linux sets one per socket)
	labelN   int    // packets that carried that label in a row
	tsPkts   int    // packets carrying the timestamp option
	pkts     int
	tsSet    bool
	lastTS   uint32
	// The largest segment that was retransmitted, for the MTU black hole.
	big struct {
		seq     uint32
		n       int // size of the first transmission
		again   int // size of the last retransmission
		retrans int
		first   int64  // Unix nanoseconds
		frames  [6]int // the first transmissions' frames
		nframes int
	}
}

func (e *sideEvidence) packet(frame int, ts int64, seg *decode.Segment) {
	e.pkts++
	e.ttls.add(seg.TTL, 1)
	if seg.IPVersion == 4 {
		if e.ipidSet {
			if d := seg.IPID - e.lastIPID; d >= 1 && d <= 64 {
				e.ipidRuns++
			}
		}
		e.ipidSet, e.lastIPID = true, seg.IPID
		e.ipidN++
	}
	if seg.IPVersion == 6 && seg.FlowLabel != 0 {
		if seg.FlowLabel == e.label {
			e.labelN++
		} else {
			e.label, e.labelN = seg.FlowLabel, 1
		}
	}
	if seg.Options&decode.OptTimestamp != 0 {
		e.tsPkts++
		e.tsSet, e.lastTS = true, seg.TSVal
	}
	if seg.PayloadLen >= bigSegment {
		b := &e.big
		switch {
		case b.n > 0 && seg.Seq == b.seq:
			b.retrans++
			b.again = seg.PayloadLen
			if b.nframes < len(b.frames) {
				b.frames[b.nframes] = frame
				b.nframes++
			}
		case b.retrans == 0 || seg.PayloadLen > b.n:
			// A new candidate: remember the last large segment, unless one
			// is already retransmitted and this one is no larger. Nothing is
			// allocated here: this runs for every large segment.
			b.seq, b.n, b.retrans, b.first = seg.Seq, seg.PayloadLen, 0, ts
			b.frames[0], b.nframes = frame, 1
		}
	}
}

// ipidCounter reports whether the side's IP IDs count up per packet.
func (e *sideEvidence) ipidCounter() bool {
	return e.ipidN >= 3 && e.ipidRuns*10 >= (e.ipidN-1)*8
}

// pktRef names one packet of a flow.
type pktRef struct {
	frame    int
	t        int64         // Unix nanoseconds
	gap      time.Duration // silence in the flow before this packet
	from     Side
	seq, ack uint32
	flags    decode.Flags
	plen     int
}

// resetCtx is what the flow saw around one RST.
type resetCtx struct {
	trigger    pktRef // last packet from the receiver before the RST
	hasTrigger bool
	recvNxt    uint32 // receiver's next sequence number when the RST came
	recvSeqSet bool
	race       pktRef
	raceWhat   string
	ignored    pktRef
	challenge  pktRef
	tsOK       int // 1: TSval continues the sender's clock, -1: it does not
	ipidOK     bool
	labelOK    bool // carries the sender's IPv6 flow label
	next       int  // frame of the flow's next packet
	// reply: the RST answers the receiver's last packet the way a TCP stack
	// does (RFC 9293 §3.5.2: seq = its ACK, or ack = its end), as a kernel
	// answers every late packet to a closed socket.
	reply bool
}

// watch updates the contexts of earlier resets with a new packet.
func (f *flow) watchResets(frame int, ts int64, from Side, seg *decode.Segment) {
	for i := range f.out.Resets {
		r, c := &f.out.Resets[i], &f.rx[i]
		after := time.Duration(ts - r.Time.UnixNano())
		if seg.Flags.Has(decode.RST) || after > raceWindow {
			continue
		}
		if from == r.From {
			if c.race.frame != 0 {
				continue
			}
			switch {
			case seg.Flags.Has(decode.SYN):
				c.race, c.raceWhat = pktRef{frame: frame, t: ts}, "a SYN-ACK"
				if !seg.Flags.Has(decode.ACK) {
					c.raceWhat = "a SYN"
				}
			case seg.PayloadLen > 0 && (r.Flags.Has(decode.ACK) && r.Seq == 0 || seqDiff(seg.Seq, r.Seq) >= 0):
				c.race, c.raceWhat = pktRef{frame: frame, t: ts}, fmt.Sprintf("%d bytes of data", seg.PayloadLen)
			case seg.Flags.Has(decode.FIN) && seqDiff(seg.Seq, r.Seq) >= 0:
				c.race, c.raceWhat = pktRef{frame: frame, t: ts}, "a FIN"
			}
			continue
		}
		// The receiver of the reset.
		if c.ignored.frame == 0 && seg.PayloadLen > 0 && c.recvSeqSet && seqDiff(seg.Seq+uint32(seg.PayloadLen), c.recvNxt) > 0 {
			c.ignored = pktRef{frame: frame, t: ts}
		}
		if c.challenge.frame == 0 && r.SeqState == "in-window" && seg.PayloadLen == 0 && seg.Flags == decode.ACK && after < 100*time.Millisecond {
			c.challenge = pktRef{frame: frame, t: ts}
		}
	}
}

// newResetCtx records the context of a RST from side from.
func (f *flow) newResetCtx(from Side, seg *decode.Segment) resetCtx {
	var c resetCtx
	recv := from.Other()
	if lp := f.lastFrom[recv.index()]; lp.frame != 0 {
		c.trigger, c.hasTrigger = lp, true
		if lp.flags.Has(decode.ACK) {
			c.reply = seg.Seq == lp.ack
		} else {
			end := lp.seq + uint32(lp.plen)
			if lp.flags.Has(decode.SYN) {
				end++
			}
			c.reply = seg.Flags.Has(decode.ACK) && seg.Ack == end
		}
	}
	if d := &f.d[recv.index()]; d.seqSet {
		c.recvNxt, c.recvSeqSet = d.nxt, true
	}
	ev := &f.d[from.index()].ev
	if seg.Options&decode.OptTimestamp != 0 && ev.tsSet {
		if d := seqDiff(seg.TSVal, ev.lastTS); d >= 0 && d < 1<<20 {
			c.tsOK = 1
		} else {
			c.tsOK = -1
		}
	}
	if seg.IPVersion == 6 && ev.labelN >= 2 && seg.FlowLabel == ev.label {
		c.labelOK = true
	}
	if seg.IPVersion == 4 && ev.ipidCounter() {
		if d := seg.IPID - ev.lastIPID; d >= 1 && d <= 64 {
			c.ipidOK = true
		}
	}
	return c
}

// hostTTLs is the per-address TTL baseline built from every flow.
type hostTTLs map[addrKey]hostTTL

// addrKey is an address as plain bytes: one hash call per lookup, where
// netip.Addr's fields take two.
type addrKey struct {
	a   [16]byte
	is4 bool
}

func keyOfAddr(a netip.Addr) addrKey { return addrKey{a.As16(), a.Is4()} }

// hostTTL holds no pointer, so the garbage collector need not look
// through the map.
type hostTTL struct {
	ttlSet
	seen int64 // the end of its latest flow, Unix nanoseconds
}

// maxHosts bounds the baselines: past it the half least recently seen go,
// so a day-long capture of many clients holds no more than the latest.
const maxHosts = 1 << 14

// prune forgets the half of the hosts seen longest ago.
func (h hostTTLs) prune() {
	seen := make([]int64, 0, len(h))
	for _, s := range h {
		seen = append(seen, s.seen)
	}
	cut := middle(seen)
	n := len(h)
	for a, s := range h {
		if s.seen < cut {
			delete(h, a)
		}
	}
	if len(h) == n { // all seen at once: go by the median itself
		for a, s := range h {
			if s.seen <= cut {
				delete(h, a)
			}
		}
	}
}

func (h hostTTLs) addFlow(f *flow) {
	for i, ap := range [2]netip.AddrPort{f.out.Client, f.out.Server} {
		e := &f.d[i].ev
		if e.pkts == 0 {
			continue
		}
		k := keyOfAddr(ap.Addr())
		s := h[k]
		s.seen = max(s.seen, f.last)
		for _, c := range e.ttls.c {
			if c.n > 0 {
				s.add(c.ttl, c.n)
			}
		}
		s.other += e.ttls.other
		h[k] = s
	}
}

// judge weighs the evidence of every reset in the flow and sets Origin and
// Evidence. It prefers "unknown" to a wrong answer.
func (f *flow) judge(hosts hostTTLs) {
	resets := f.out.Resets
	for i := range resets {
		r, c := &resets[i], &f.rx[i]
		side := r.From.String()
		sender := f.d[r.From.index()].ev
		ttl := ttlName(f.out.Client.Addr())
		var forged, genuine []string

		// TTL (hop limit) against the sender's other packets, or its
		// other flows.
		base, where := &sender.ttls, "in this connection"
		ownTTL := false // the TTL of the sender's other packets in this connection
		if base.total() == 0 {
			addr := f.out.Client.Addr()
			if r.From == Server {
				addr = f.out.Server.Addr()
			}
			if h := hosts[keyOfAddr(addr)]; h.total() > 0 {
				base, where = &h.ttlSet, "in its other connections in this capture"
			}
		}
		switch n := base.total(); {
		case n == 0:
		case base.has(r.TTL):
			if n >= 2 {
				ownTTL = where == "in this connection"
				genuine = append(genuine, fmt.Sprintf("%s %d matches the %s's other %d packets %s", ttl, r.TTL, side, n, where))
			}
		case n >= 2 && base.other == 0:
			r.baseline = base.describe()
			forged = append(forged, fmt.Sprintf("%s %d (%s), but the %s's other %d packets %s arrived with %s %s (%s): the reset came from a different distance",
				ttl, r.TTL, hopWord(hops(r.TTL)), side, n, where, ttl, base.describe(), hopWord(hops(base.c[0].ttl))))
			r.ttlMismatch = true
		default:
			forged = append(forged, fmt.Sprintf("%s %d, but the %s's only other packet %s arrived with %s %s", ttl, r.TTL, side, where, ttl, base.describe()))
			r.ttlMismatch = n >= 2
			r.baseline = base.describe()
		}

		// The claimed sender kept talking.
		if c.race.frame != 0 {
			forged = append(forged, fmt.Sprintf("the %s sent %s (frame %d) %s after this reset: a reset it had sent itself would have closed its socket",
				side, c.raceWhat, c.race.frame, ms(time.Duration(c.race.t-r.Time.UnixNano()))))
		}
		// How the receiver took it. A stack's reply to a stale packet is out
		// of step too, so this counts only for resets that answer nothing.
		if c.ignored.frame != 0 && !c.reply {
			forged = append(forged, fmt.Sprintf("the %s ignored it and sent new data (frame %d)", r.From.Other(), c.ignored.frame))
		}
		if c.challenge.frame != 0 && !c.reply {
			forged = append(forged, fmt.Sprintf("the %s answered with a challenge ACK (frame %d, RFC 5961): the sequence number was not the one it expected", r.From.Other(), c.challenge.frame))
		}
		if r.SeqState == "out-of-window" {
			forged = append(forged, fmt.Sprintf("its sequence number %d is outside what the %s had sent: the receiver would drop it", r.Seq, side))
		}
		// Fields a device on the path cannot know.
		switch c.tsOK {
		case 1:
			genuine = append(genuine, fmt.Sprintf("it carries the %s's TCP timestamp clock (TSval continues its other packets)", side))
		case -1:
			forged = append(forged, fmt.Sprintf("its TCP timestamp does not follow the %s's clock", side))
		}
		if c.ipidOK {
			genuine = append(genuine, fmt.Sprintf("its IP ID %d continues the %s's counter", r.IPID, side))
		}
		if c.labelOK {
			genuine = append(genuine, fmt.Sprintf("it carries the %s's IPv6 flow label 0x%05x, which its socket sets on every packet", side, f.d[r.From.index()].ev.label))
		}
		// Timing: sooner than the far side could have answered.
		if c.hasTrigger {
			rtt := f.respDelay(r.From)
			if d := time.Duration(r.Time.UnixNano() - c.trigger.t); rtt >= minTimingRTT && d < rtt/2 {
				ownTTL = false // nearer than the sender after all
				forged = append(forged, fmt.Sprintf("it arrived %s after the packet that drew it (frame %d), less than half the %s the %s takes to answer: something nearer sent it",
					ms(d), c.trigger.frame, ms(rtt), side))
			}
		}
		// Several resets from one side with different sequence numbers, or
		// resets toward both ends at once.
		// A stack answers each late packet with its own RST; only resets that
		// answer nothing make a burst.
		var burst []int
		unanswered := 0
		for j := range resets {
			o := &resets[j]
			if o.From == r.From && absDur(o.Time.Sub(r.Time)) <= burstWindow {
				burst = append(burst, o.Packet)
				if !f.rx[j].reply {
					unanswered++
				}
			}
		}
		if seqs := distinctSeqs(resets, r.From, r.Time); unanswered >= 2 && seqs >= 2 {
			forged = append(forged, fmt.Sprintf("one of %d resets in the %s's name with %d different sequence numbers (frames %s)", len(burst), side, seqs, frames(burst)))
			r.burst = true
		}
		for j := range resets {
			o := &resets[j]
			if o.From != r.From && absDur(o.Time.Sub(r.Time)) <= bothEndsWindow && f.nothingBetween(i, j) {
				forged = append(forged, fmt.Sprintf("resets toward both ends within %s (frames %d and %d), with no packet between them", ms(absDur(o.Time.Sub(r.Time))), r.Packet, o.Packet))
				r.bothEnds = true
				break
			}
		}
		switch r.SeqState {
		case "exact":
			genuine = append(genuine, fmt.Sprintf("its sequence number is exactly the %s's next one", side))
		case "zero":
			genuine = append(genuine, "it has the form a TCP stack gives a refused SYN (RST+ACK, seq 0, ack = ISN+1)")
		}

		r.Evidence = append(forged, genuine...)
		r.Forged = len(forged)
		switch {
		case len(forged) > 0 && c.tsOK != 1 && !c.ipidOK && !c.labelOK:
			r.Origin = OriginMiddlebox
			// The sender's socket kept going, yet the reset came from its
			// own distance with nothing else amiss: what a REJECT rule on
			// that host sends (netfilter answers the peer's packet in the
			// host's name, with no TCP options).
			r.Beside = ownTTL && c.race.frame != 0 && c.tsOK == 0 && !r.burst && !r.bothEnds &&
				r.SeqState != "out-of-window"
		case len(forged) == 0 && (c.tsOK == 1 || c.ipidOK || c.labelOK || base.has(r.TTL) && base.total() >= 2):
			r.Origin = OriginEndpoint
		default:
			r.Origin = OriginUnknown
		}
	}
}

// respDelay is how long the given side took to answer during the handshake,
// seen from the tap: long for the far side, near zero for the near one.
func (f *flow) respDelay(s Side) time.Duration {
	if s == Server && !f.synTime.IsZero() && !f.synAckTime.IsZero() {
		return f.synAckTime.Sub(f.synTime)
	}
	if s == Client && !f.synAckTime.IsZero() && !f.ackTime.IsZero() {
		return f.ackTime.Sub(f.synAckTime)
	}
	return 0
}

// nothingBetween reports whether two resets of this flow are adjacent among
// the flow's packets.
func (f *flow) nothingBetween(i, j int) bool {
	if f.out.Resets[i].Packet > f.out.Resets[j].Packet {
		i, j = j, i
	}
	return f.rx[i].next == f.out.Resets[j].Packet
}

func distinctSeqs(resets []Reset, from Side, t time.Time) int {
	seen := map[uint32]bool{}
	for _, r := range resets {
		if r.From == from && absDur(r.Time.Sub(t)) <= burstWindow {
			seen[r.Seq] = true
		}
	}
	return len(seen)
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// ms formats a duration for people: "6.1 ms", "0.02 ms", "2.3 s".
func ms(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.0f s", d.Seconds())
	case d >= time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d >= 10*time.Millisecond:
		return fmt.Sprintf("%.0f ms", float64(d)/1e6)
	case d >= time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.2f ms", float64(d)/1e6)
}

func frames(fs []int) string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = fmt.Sprint(f)
	}
	return strings.Join(s, ", ")
}

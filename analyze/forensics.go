package analyze

import (
	"net/netip"
	"time"

	"github.com/rstsniff/rstsniff/decode"
)

// Forensics: for every RST, who really sent it; for every flow, the named
// patterns (findings). The signals and their weights are documented in
// README.md ("How a forged reset is told from a real one").

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

// Hops guesses how many routers a packet crossed from the usual initial
// TTLs.
func Hops(ttl uint8) int {
	for _, init := range initialTTLs {
		if int(ttl) <= init {
			return init - int(ttl)
		}
	}
	return 0
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
			if d := seg.IPID - e.lastIPID; d >= 1 && d <= maxIPIDStep {
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
	raceKind   PacketKind // what the claimed sender sent after the reset
	raceBytes  int
	ignored    pktRef
	challenge  pktRef
	ts         tsVerdict
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
				c.race, c.raceKind = pktRef{frame: frame, t: ts}, KindSYNACK
				if !seg.Flags.Has(decode.ACK) {
					c.raceKind = KindSYN
				}
			case seg.PayloadLen > 0 && (r.Flags.Has(decode.ACK) && r.Seq == 0 || seqDiff(seg.Seq, r.Seq) >= 0):
				c.race, c.raceKind, c.raceBytes = pktRef{frame: frame, t: ts}, KindData, seg.PayloadLen
			case seg.Flags.Has(decode.FIN) && seqDiff(seg.Seq, r.Seq) >= 0:
				c.race, c.raceKind = pktRef{frame: frame, t: ts}, KindFIN
			}
			continue
		}
		// The receiver of the reset.
		if c.ignored.frame == 0 && seg.PayloadLen > 0 && c.recvSeqSet && seqDiff(seg.Seq+uint32(seg.PayloadLen), c.recvNxt) > 0 {
			c.ignored = pktRef{frame: frame, t: ts}
		}
		if c.challenge.frame == 0 && r.SeqState == SeqInWindow && seg.PayloadLen == 0 && seg.Flags == decode.ACK && after < challengeACKWindow {
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
		if d := seqDiff(seg.TSVal, ev.lastTS); d >= 0 && d < maxTSStep {
			c.ts = tsContinues
		} else {
			c.ts = tsForeign
		}
	}
	if seg.IPVersion == 6 && ev.labelN >= 2 && seg.FlowLabel == ev.label {
		c.labelOK = true
	}
	if seg.IPVersion == 4 && ev.ipidCounter() {
		if d := seg.IPID - ev.lastIPID; d >= 1 && d <= maxIPIDStep {
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
// Evidence, the facts that point to a forged reset first. It prefers
// "unknown" to a wrong answer.
func (f *flow) judge(hosts hostTTLs) {
	resets := f.out.Resets
	for i := range resets {
		r, c := &resets[i], &f.rx[i]
		sender := f.d[r.From.index()].ev
		var forged, genuine []Evidence

		// TTL (hop limit) against the sender's other packets, or its
		// other flows.
		base, scope := &sender.ttls, ScopeConnection
		ownTTL := false // the TTL of the sender's other packets in this connection
		if base.total() == 0 {
			addr := f.out.Client.Addr()
			if r.From == Server {
				addr = f.out.Server.Addr()
			}
			if h := hosts[keyOfAddr(addr)]; h.total() > 0 {
				base, scope = &h.ttlSet, ScopeCapture
			}
		}
		ttlFact := func(s Signal, p Origin) Evidence {
			return Evidence{Signal: s, PointsTo: p, TTL: r.TTL, Baseline: baselineOf(base), Scope: scope}
		}
		switch n := base.total(); {
		case n == 0:
		case base.has(r.TTL):
			if n >= 2 {
				ownTTL = scope == ScopeConnection
				genuine = append(genuine, ttlFact(SigTTLMatch, OriginEndpoint))
			}
		case n >= 2 && base.other == 0:
			forged = append(forged, ttlFact(SigTTLDistance, OriginMiddlebox))
			r.ttlMismatch = true
		default:
			forged = append(forged, ttlFact(SigTTLUnlike, OriginMiddlebox))
			r.ttlMismatch = n >= 2
		}

		// The claimed sender kept talking.
		if c.race.frame != 0 {
			forged = append(forged, Evidence{Signal: SigSenderKeptSending, PointsTo: OriginMiddlebox, Frames: []int{c.race.frame},
				Packet: c.raceKind, Bytes: c.raceBytes, Delay: time.Duration(c.race.t - r.Time.UnixNano())})
		}
		// How the receiver took it. A stack's reply to a stale packet is out
		// of step too, so this counts only for resets that answer nothing.
		if c.ignored.frame != 0 && !c.reply {
			forged = append(forged, Evidence{Signal: SigReceiverIgnored, PointsTo: OriginMiddlebox, Frames: []int{c.ignored.frame}})
		}
		if c.challenge.frame != 0 && !c.reply {
			forged = append(forged, Evidence{Signal: SigChallengeACK, PointsTo: OriginMiddlebox, Frames: []int{c.challenge.frame}})
		}
		if r.SeqState == SeqOutOfWindow {
			forged = append(forged, Evidence{Signal: SigOutOfWindow, PointsTo: OriginMiddlebox, Seq: r.Seq})
		}
		// Fields a device on the path cannot know.
		switch c.ts {
		case tsContinues:
			genuine = append(genuine, Evidence{Signal: SigTimestampContinues, PointsTo: OriginEndpoint})
		case tsForeign:
			forged = append(forged, Evidence{Signal: SigTimestampForeign, PointsTo: OriginMiddlebox})
		}
		if c.ipidOK {
			genuine = append(genuine, Evidence{Signal: SigIPIDContinues, PointsTo: OriginEndpoint, IPID: r.IPID})
		}
		if c.labelOK {
			genuine = append(genuine, Evidence{Signal: SigFlowLabel, PointsTo: OriginEndpoint, Label: sender.label})
		}
		// Timing: sooner than the far side could have answered.
		if c.hasTrigger {
			rtt := f.respDelay(r.From)
			if d := time.Duration(r.Time.UnixNano() - c.trigger.t); rtt >= minTimingRTT && d < rtt/2 {
				ownTTL = false // nearer than the sender after all
				forged = append(forged, Evidence{Signal: SigTooSoon, PointsTo: OriginMiddlebox, Frames: []int{c.trigger.frame}, Delay: d, RTT: rtt})
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
			forged = append(forged, Evidence{Signal: SigBurst, PointsTo: OriginMiddlebox, Frames: burst, Count: len(burst), Seqs: seqs})
			r.burst = true
		}
		for j := range resets {
			o := &resets[j]
			if o.From != r.From && absDur(o.Time.Sub(r.Time)) <= bothEndsWindow && f.nothingBetween(i, j) {
				forged = append(forged, Evidence{Signal: SigBothEnds, PointsTo: OriginMiddlebox, Frames: []int{r.Packet, o.Packet}, Delay: absDur(o.Time.Sub(r.Time))})
				r.bothEnds = true
				break
			}
		}
		switch r.SeqState {
		case SeqExact:
			genuine = append(genuine, Evidence{Signal: SigExactSeq, PointsTo: OriginEndpoint})
		case SeqZero:
			genuine = append(genuine, Evidence{Signal: SigRefusedSYNForm, PointsTo: OriginEndpoint})
		}

		r.Evidence = append(forged, genuine...)
		switch {
		case len(forged) > 0 && c.ts != tsContinues && !c.ipidOK && !c.labelOK:
			r.Origin = OriginMiddlebox
			r.Forger = ForgerPath
			// The sender's socket kept going, yet the reset came from its
			// own distance with nothing else amiss: what a REJECT rule on
			// that host sends (netfilter answers the peer's packet in the
			// host's name, with no TCP options).
			if ownTTL && c.race.frame != 0 && c.ts == tsAbsent && !r.burst && !r.bothEnds && r.SeqState != SeqOutOfWindow {
				r.Forger = ForgerSenderHost
			}
		case len(forged) == 0 && (c.ts == tsContinues || c.ipidOK || c.labelOK || base.has(r.TTL) && base.total() >= 2):
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

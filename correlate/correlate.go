// Package correlate compares two captures of the same connections taken at
// different points (the client's host and the server's, or either side of
// a firewall) and says what happened in between: which resets were sent by
// an end and which were made on the path, which packets were dropped on
// the way, which were changed, and which arrived without ever being sent.
//
// Connections are matched by what survives NAT and port rewriting: the
// sequence numbers and TCP timestamps of their packets, not their
// addresses. The two hosts' clocks may differ; the offset is estimated
// from the matched packets in both directions (as NTP does: half the
// difference of the two one-way minimums) and reported.
//
// It works on analyze.Flow values whose packet logs were kept
// (analyze.Config.KeepPackets); it never reads a capture itself.
//
// It returns facts, never sentences: fates, typed changes (Change),
// findings (a FindingID and the frames, times, counts and kinds they rest
// on), how flows were matched (MatchedBy, Votes) and oriented
// (Orientation, Hops), address translation (NAT). report/ words them, the
// same words in every format.
package correlate

import (
	"cmp"
	"net/netip"
	"slices"
	"sort"
	"time"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/decode"
)

// Capture is one capture's connections with their packets.
type Capture struct {
	Name       string
	Start, End time.Time // first and last packet of the whole capture
	// Stopped is when capturing stopped, as the capture itself recorded
	// it (a pcapng interface statistics block's isb_endtime); zero when
	// it did not (classic pcap never does). When known, packets missing
	// between End and Stopped were missing while the capture ran.
	Stopped time.Time
	Flows   []*analyze.Flow
}

// Fate is what became of one packet between the two capture points.
type Fate uint8

const (
	Delivered   Fate = iota // seen leaving and arriving
	Dropped                 // left the sender's side, never reached the receiver's
	Injected                // reached the receiver's side, never left the sender's
	Resegmented             // its bytes arrived in other segments (TSO, GRO, a proxy)
	Unseen                  // the other capture holds nothing that late (or that early): it may not have been running
)

var fateNames = [...]string{"delivered", "dropped", "injected", "resegmented", "unseen"}

func (f Fate) String() string { return fateNames[f] }

// Packet is one packet of a matched connection and its fate. Sent and
// Recv index the packet logs of the sender's and the receiver's capture
// (-1 when that capture does not have it).
type Packet struct {
	From       analyze.Side
	Sent, Recv int
	Fate       Fate
	Changes    []Change // what differs on arrival, TTL aside (Delivered only; nil when nothing)
}

// ResetProof is the verdict on one RST seen at either point.
type ResetProof struct {
	From    analyze.Side // whose address it carries
	Fate    Fate         // Delivered: the end sent it; Injected: forged on the path
	Frames  [2]int       // frame in each capture (0: not there)
	Time    time.Time    // when it was seen, in that capture's clock
	Guessed analyze.Verdict
	// Guessed is what one capture alone concluded (TTL, IP ID, timing), to
	// show where the single-capture inference was right or wrong;
	// GuessedSender the sender it named (Guessed is its coarse half: a
	// host's own firewall counts as forged), GuessedStrength how strong
	// that verdict was.
	GuessedSender   analyze.Sender
	GuessedStrength analyze.Strength

	// For an Unseen reset: the capture that lacks it (Absent, an index
	// into Result.Captures), when it would have passed there by that
	// capture's clock (At), and what it would be if that capture was still
	// running then (Would: Injected or Dropped). That capture holds
	// nothing after its End (or before its Start).
	Absent int
	At     time.Time
	Would  Fate
}

// Pair is one connection seen in both captures.
type Pair struct {
	Flows      [2]*analyze.Flow // by capture
	ClientSide int              // the capture nearer the client (0 or 1)
	OrientedBy Orientation      // how ClientSide was decided
	MatchedBy  MatchedBy        // what tied the two flows together
	Votes      int              // packets found in both
	NAT        NAT              // each end's address at each point
	Hops       [2]int           // routers between the points for the client's and the server's packets (-1: unknown)
	Packets    []Packet
	Resets     []ResetProof
	Findings   []Finding
	Counts     [5]int // packets by Fate
}

// ServerSide is the capture nearer the server.
func (p *Pair) ServerSide() int { return 1 - p.ClientSide }

// Result is the comparison of two captures.
type Result struct {
	Captures [2]*Capture
	// Offset is how far the second capture's clock is ahead of the first's;
	// Delay the one-way time between the capture points. Both rest on
	// OffsetFrom packets seen at both points, in both directions when
	// TwoWay.
	Offset     time.Duration
	Delay      time.Duration
	OffsetFrom int
	TwoWay     bool
	Pairs      []*Pair
	// Unmatched connections are in one capture only.
	Unmatched [2][]*analyze.Flow
}

// Abnormal reports whether the comparison found anything on the path.
// Packets absent after the other capture's end do not count: whether
// that capture still ran is not known.
func (r *Result) Abnormal() bool {
	for _, p := range r.Pairs {
		for _, f := range p.Findings {
			if f.ID != FindAbsent {
				return true
			}
		}
	}
	return false
}

// pktKey identifies a packet across captures: what NAT leaves alone.
type pktKey struct {
	seq   uint32
	n     int
	flags decode.Flags
}

const keyFlags = decode.SYN | decode.FIN | decode.RST

type tsKey struct {
	ts    uint32
	n     int
	flags decode.Flags
}

// Compare matches the connections of two captures and classifies every
// packet of each matched one.
func Compare(a, b *Capture) *Result {
	r := &Result{Captures: [2]*Capture{a, b}}
	r.Pairs = matchFlows(a, b)
	inPair := [2]map[*analyze.Flow]bool{{}, {}}
	for _, p := range r.Pairs {
		inPair[0][p.Flows[0]], inPair[1][p.Flows[1]] = true, true
	}
	for i, c := range r.Captures {
		for _, f := range c.Flows {
			if !inPair[i][f] {
				r.Unmatched[i] = append(r.Unmatched[i], f)
			}
		}
	}
	for _, p := range r.Pairs {
		p.orient()
		p.matchPackets()
		p.orientByTiming()
	}
	r.clock()
	for _, p := range r.Pairs {
		p.judge(r)
	}
	return r
}

// maxPerKey is how many flows a packet key may belong to and still vote:
// sequence numbers are random, so a key shared by more flows (clones of
// one connection, or a tool that does not randomise) tells nothing, and
// following it would make matching quadratic.
const maxPerKey = 8

// postings indexes flows by a packet key; a list one longer than
// maxPerKey marks the key as too common to vote.
type postings[K comparable] map[K][]int32

func (m postings[K]) add(k K, flow int32) {
	l := m[k]
	if len(l) > maxPerKey || (len(l) > 0 && l[len(l)-1] == flow) {
		return
	}
	m[k] = append(l, flow)
}

func (m postings[K]) get(k K) []int32 {
	if l := m[k]; len(l) <= maxPerKey {
		return l
	}
	return nil
}

// matchFlows pairs flows that share packets: each packet of a flow in a
// votes for the flows of b holding a packet with its sequence number,
// length and flags, or its TCP timestamp, length and flags. Flows left
// without a partner are tried against the flows of b with the same
// addresses and ports, packet by packet.
func matchFlows(a, b *Capture) []*Pair {
	bySeq, byTS := postings[pktKey]{}, postings[tsKey]{}
	for i, f := range b.Flows {
		for j := range f.Log {
			p := &f.Log[j]
			if p.Dup {
				continue
			}
			bySeq.add(pktKey{p.RawSeq, p.Len, p.Flags & keyFlags}, int32(i))
			if p.Options&decode.OptTimestamp != 0 {
				byTS.add(tsKey{p.TSVal, p.Len, p.Flags & keyFlags}, int32(i))
			}
		}
	}
	type cand struct {
		a, b, votes int
		syn, ts     bool
	}
	var cands []cand
	type vote struct {
		n        int
		syn, ts  bool
		lastFrom int // the packet that voted last, to vote once per packet
	}
	for ai, f := range a.Flows {
		votes := map[int32]*vote{}
		for j := range f.Log {
			p := &f.Log[j]
			if p.Dup {
				continue
			}
			cast := func(bi int32, ts bool) {
				v := votes[bi]
				if v == nil {
					v = &vote{lastFrom: -1}
					votes[bi] = v
				}
				if v.lastFrom == j {
					return
				}
				v.lastFrom = j
				v.n++
				v.syn = v.syn || p.Flags.Has(decode.SYN)
				v.ts = v.ts || ts
			}
			for _, bi := range bySeq.get(pktKey{p.RawSeq, p.Len, p.Flags & keyFlags}) {
				cast(bi, false)
			}
			if p.Options&decode.OptTimestamp != 0 {
				for _, bi := range byTS.get(tsKey{p.TSVal, p.Len, p.Flags & keyFlags}) {
					cast(bi, true)
				}
			}
		}
		for bi, v := range votes {
			if v.n >= 2 || v.syn {
				cands = append(cands, cand{ai, int(bi), v.n, v.syn, v.ts})
			}
		}
	}
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].votes != cands[j].votes {
			return cands[i].votes > cands[j].votes
		}
		if cands[i].a != cands[j].a {
			return cands[i].a < cands[j].a
		}
		return cands[i].b < cands[j].b
	})
	usedA, usedB := map[int]bool{}, map[int]bool{}
	var pairs []*Pair
	pair := func(ai, bi, votes int, how MatchedBy) {
		usedA[ai], usedB[bi] = true, true
		pairs = append(pairs, &Pair{Flows: [2]*analyze.Flow{a.Flows[ai], b.Flows[bi]}, MatchedBy: how, Votes: votes})
	}
	for _, c := range cands {
		if usedA[c.a] || usedB[c.b] {
			continue
		}
		how := BySeq
		switch {
		case c.syn && c.ts:
			how = BySYNSeqTS
		case c.syn:
			how = BySYNSeq
		case c.ts:
			how = BySeqTS
		}
		pair(c.a, c.b, c.votes, how)
	}
	// Keys too common to vote: the same addresses and ports, and packets
	// in common.
	type tuple struct{ c, s netip.AddrPort }
	byTuple := map[tuple][]int{}
	for i, f := range b.Flows {
		if !usedB[i] {
			byTuple[tuple{f.Client, f.Server}] = append(byTuple[tuple{f.Client, f.Server}], i)
		}
	}
	for ai, f := range a.Flows {
		if usedA[ai] {
			continue
		}
		for _, bi := range byTuple[tuple{f.Client, f.Server}] {
			if usedB[bi] {
				continue
			}
			keys := map[pktKey]bool{}
			for _, p := range b.Flows[bi].Log {
				if !p.Dup {
					keys[pktKey{p.RawSeq, p.Len, p.Flags & keyFlags}] = true
				}
			}
			n := 0
			for _, p := range f.Log {
				if !p.Dup && keys[pktKey{p.RawSeq, p.Len, p.Flags & keyFlags}] {
					n++
				}
			}
			if n >= 2 {
				pair(ai, bi, n, ByTuple)
				break
			}
		}
	}
	sort.Slice(pairs, func(i, j int) bool { return pairs[i].Flows[0].FirstPacket < pairs[j].Flows[0].FirstPacket })
	return pairs
}

// orient decides which capture is nearer the client: a router lowers the
// TTL of what crosses it, so the client's packets carry a higher TTL where
// they were sent than where they arrived, and the server's the other way.
func (p *Pair) orient() {
	p.Hops = [2]int{-1, -1}
	ttl := func(f *analyze.Flow, from analyze.Side) int {
		for _, x := range f.Log {
			if x.From == from && !x.Dup {
				return int(x.TTL)
			}
		}
		return -1
	}
	// The first TTL of each side's packets, by capture (-1: none).
	c := [2]int{ttl(p.Flows[0], analyze.Client), ttl(p.Flows[1], analyze.Client)}
	s := [2]int{ttl(p.Flows[0], analyze.Server), ttl(p.Flows[1], analyze.Server)}
	switch {
	case c[0] >= 0 && c[1] >= 0 && c[0] != c[1]:
		p.ClientSide = 0
		if c[1] > c[0] {
			p.ClientSide = 1
		}
		p.OrientedBy = ByClientTTL
	case s[0] >= 0 && s[1] >= 0 && s[0] != s[1]:
		p.ClientSide = 0
		if s[0] > s[1] {
			p.ClientSide = 1
		}
		p.OrientedBy = ByServerTTL
	default:
		p.ClientSide = 0
		p.OrientedBy = SameTTL
	}
	cs, ss := p.ClientSide, 1-p.ClientSide
	if c[ss] >= 0 && c[cs]-c[ss] >= 0 {
		p.Hops[0] = c[cs] - c[ss]
	}
	if s[cs] >= 0 && s[ss]-s[cs] >= 0 {
		p.Hops[1] = s[ss] - s[cs]
	}
	p.setNAT()
}

// setNAT names each end's address at each point, the client's side first.
func (p *Pair) setNAT() {
	fc, fs := p.Flows[p.ClientSide], p.Flows[1-p.ClientSide]
	p.NAT = NAT{Client: [2]netip.AddrPort{fc.Client, fs.Client}, Server: [2]netip.AddrPort{fc.Server, fs.Server}}
}

// orientByTiming decides the sides when the TTLs did not (SameTTL). A
// packet takes time to go from the point nearer its sender to the other,
// so with the sides the right way round the shortest transit of the
// client's packets plus the shortest of the server's, the round trip
// between the points, is positive, whatever the two clocks' offset (it
// cancels out); the wrong way round every transit changes sign. The
// packets are then matched again the other way round, as the point a
// packet is missing from decides whether it was lost or injected.
func (p *Pair) orientByTiming() {
	if p.OrientedBy != SameTTL {
		return
	}
	const none = time.Duration(1<<63 - 1)
	lo := [2]time.Duration{none, none}   // the shortest transit, by side index
	hi := [2]time.Duration{-none, -none} // the longest
	for _, pk := range p.Packets {
		if pk.Fate != Delivered {
			continue
		}
		si, i := p.SenderSide(pk.From), sideIndex(pk.From)
		d := p.Flows[1-si].Log[pk.Recv].Time.Sub(p.Flows[si].Log[pk.Sent].Time)
		lo[i], hi[i] = min(lo[i], d), max(hi[i], d)
	}
	if lo[0] == none || lo[1] == none {
		return // one way only: the clocks' offset cannot be told from the trip
	}
	switch {
	case lo[0]+lo[1] > 0: // the round trip this way round
		p.OrientedBy = ByTiming
	case -(hi[0] + hi[1]) > 0: // the other way round
		p.OrientedBy = ByTiming
		p.ClientSide = 1 - p.ClientSide
		p.setNAT() // Hops stay: the same TTLs, no router either way
		p.Packets = nil
		p.matchPackets()
	}
}

// SenderSide returns the capture nearer the sender of packets from side.
func (p *Pair) SenderSide(from analyze.Side) int {
	if from == analyze.Client {
		return p.ClientSide
	}
	return 1 - p.ClientSide
}

// matchPackets pairs each packet sent with its arrival, direction by
// direction, in order: the k-th copy of a (sequence number, length,
// flags) leaving matches the k-th arriving.
func (p *Pair) matchPackets() {
	var seqOff [2]uint32 // receiver's sequence numbers minus sender's, by side index
	for i, from := range []analyze.Side{analyze.Client, analyze.Server} {
		s, rc := p.Flows[p.SenderSide(from)], p.Flows[1-p.SenderSide(from)]
		if a, ok := synSeq(s, from); ok {
			if b, ok := synSeq(rc, from); ok {
				seqOff[i] = b - a // a middlebox that rewrites initial sequence numbers
			}
		}
	}
	for i, from := range []analyze.Side{analyze.Client, analyze.Server} {
		si := p.SenderSide(from)
		sent, recv := p.Flows[si].Log, p.Flows[1-si].Log
		queue := map[pktKey][]int{}
		for j := range recv {
			x := &recv[j]
			if x.From != from || x.Dup {
				continue
			}
			k := pktKey{x.RawSeq - seqOff[i], x.Len, x.Flags & keyFlags}
			queue[k] = append(queue[k], j)
		}
		got := map[int]bool{}
		for j := range sent {
			x := &sent[j]
			if x.From != from || x.Dup {
				continue
			}
			k := pktKey{x.RawSeq, x.Len, x.Flags & keyFlags}
			pk := Packet{From: from, Sent: j, Recv: -1, Fate: Dropped}
			if q := queue[k]; len(q) > 0 {
				pk.Recv, pk.Fate = q[0], Delivered
				queue[k] = q[1:]
				got[q[0]] = true
				// Acknowledgments count the other side's bytes: they are
				// translated back by that side's offset on the way.
				pk.Changes = changes(x, &recv[q[0]], -seqOff[1-i])
			}
			p.Packets = append(p.Packets, pk)
		}
		for j := range recv {
			if x := &recv[j]; x.From == from && !x.Dup && !got[j] {
				p.Packets = append(p.Packets, Packet{From: from, Sent: -1, Recv: j, Fate: Injected})
			}
		}
	}
	// Bytes that arrived in other segments than they left in were not lost.
	spans := map[[2]int]*coverage{} // by capture and side index
	for i := range p.Packets {
		pk := &p.Packets[i]
		if pk.Fate != Dropped && pk.Fate != Injected {
			continue
		}
		si := p.SenderSide(pk.From)
		var x *analyze.PacketRecord
		var ci int // the capture to look in
		var off uint32
		if pk.Fate == Dropped { // look among what arrived
			x, ci, off = &p.Flows[si].Log[pk.Sent], 1-si, seqOff[sideIndex(pk.From)]
		} else { // injected: look among what was sent
			x, ci, off = &p.Flows[1-si].Log[pk.Recv], si, -seqOff[sideIndex(pk.From)]
		}
		if x.Len == 0 || x.Flags&keyFlags != 0 {
			continue
		}
		k := [2]int{ci, sideIndex(pk.From)}
		if spans[k] == nil {
			spans[k] = newCoverage(p.Flows[ci].Log, pk.From)
		}
		if spans[k].covers(x.RawSeq+off, x.Len) {
			pk.Fate = Resegmented
		}
	}
}

func sideIndex(s analyze.Side) int {
	if s == analyze.Server {
		return 1
	}
	return 0
}

func synSeq(f *analyze.Flow, from analyze.Side) (uint32, bool) {
	for _, x := range f.Log {
		if x.From == from && x.Flags.Has(decode.SYN) && !x.Dup {
			return x.RawSeq, true
		}
	}
	return 0, false
}

// coverage is the sequence space one side's data covers in one capture,
// as sorted, merged spans relative to its first data byte.
type coverage struct {
	base  uint32
	spans []span
}

type span struct{ a, b int64 }

func newCoverage(log []analyze.PacketRecord, from analyze.Side) *coverage {
	c := &coverage{}
	first := true
	for _, x := range log {
		if x.From != from || x.Dup || x.Len == 0 {
			continue
		}
		if first {
			c.base, first = x.RawSeq, false
		}
		a := int64(x.RawSeq - c.base) // unsigned: below base wraps high, consistently
		c.spans = append(c.spans, span{a, a + int64(x.Len)})
	}
	slices.SortFunc(c.spans, func(x, y span) int { return cmp.Compare(x.a, y.a) })
	merged := c.spans[:0]
	for _, s := range c.spans {
		if n := len(merged); n > 0 && s.a <= merged[n-1].b {
			merged[n-1].b = max(merged[n-1].b, s.b)
			continue
		}
		merged = append(merged, s)
	}
	c.spans = merged
	return c
}

// covers reports whether [seq, seq+n) lies within the data.
func (c *coverage) covers(seq uint32, n int) bool {
	a := int64(seq - c.base)
	i := sort.Search(len(c.spans), func(i int) bool { return c.spans[i].a > a }) - 1
	return i >= 0 && c.spans[i].b >= a+int64(n)
}

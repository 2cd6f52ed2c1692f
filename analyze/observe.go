package analyze

import (
	"time"

	"github.com/rstsniff/rstsniff/decode"
)

// Per-packet observations, on the hot path: what each side's own packets
// look like (TTLs, IP IDs, flow labels, timestamps, its largest
// retransmitted segment) and what the flow saw around each RST. verdict.go
// weighs them once the flow ends; docs/verdicts.md ("Who really sent the reset")
// documents the signals.

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
	// The side's first segment of bigSegment bytes or more, and when its
	// latest smaller data segment went out.
	firstBig    uint32
	firstBigSet bool
	lastSmall   int64 // Unix nanoseconds
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
	if seg.PayloadLen > 0 && seg.PayloadLen < bigSegment {
		e.lastSmall = ts
	}
	if seg.PayloadLen >= bigSegment {
		if !e.firstBigSet {
			e.firstBig, e.firstBigSet = seg.Seq, true
		}
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
	ipid     uint16
	v4       bool
}

// sentRef is one packet a side sent, as a reset that answers it would
// show: its acknowledgment number, or where its sequence space ends.
type sentRef struct {
	t      int64 // Unix nanoseconds
	frame  int
	ack    uint32
	end    uint32 // seq + payload (+1 for SYN and FIN)
	hasAck bool
}

// sentRing holds a side's last sentRingLen packets (RSTs left out).
type sentRing struct {
	p    [sentRingLen]sentRef
	next uint8
}

func (r *sentRing) add(frame int, t int64, fl decode.Flags, seg *decode.Segment) {
	e := &r.p[r.next%sentRingLen]
	end := seg.Seq + uint32(seg.PayloadLen)
	if fl.Has(decode.SYN) {
		end++
	}
	if fl.Has(decode.FIN) {
		end++
	}
	e.t, e.frame, e.ack, e.end, e.hasAck = t, frame, seg.Ack, end, fl.Has(decode.ACK)
	r.next++
}

// answered finds the packet of the receiver's that a RST from the other
// side answers the way a TCP stack answers a packet it has no socket or no
// room for (RFC 9293 §3.10.7.1; Linux tcp_v4_send_reset): its sequence
// number is that packet's acknowledgment number and it carries no ACK
// (for a packet without ACK: RST+ACK, its acknowledgment number the
// packet's end). form says the reset has exactly that form; the
// receiver's latest packet also counts without it (any RST whose sequence
// number is its ACK), as it always did.
//
// Only packets the claimed sender cannot have taken in yet count: the
// receiver's latest, those it sent after the sender's own last packet,
// and those that end beyond what the sender ever acknowledged (data it
// never took in, and the ACKs sent after such data: packets arrive in
// order, and a delay on the way back can make the sender's last packet
// look later than it was). A kernel whose socket closed answers each of
// them so, one reset per arriving packet, with sequence numbers that
// differ and may lie behind what the receiver has since received.
func (f *flow) answered(from Side, seg *decode.Segment) (p sentRef, ok, form bool) {
	recv := from.Other()
	ring := &f.sent[recv.index()]
	sender := &f.d[from.index()]
	senderLast := f.lastFrom[from.index()].t
	latest := true
	for k := 1; k <= sentRingLen; k++ {
		p = ring.p[(int(ring.next)-k+2*sentRingLen)%sentRingLen]
		if p.frame == 0 {
			break
		}
		form = p.hasAck && seg.Seq == p.ack && !seg.Flags.Has(decode.ACK) || !p.hasAck && seg.Flags.Has(decode.ACK) && seg.Ack == p.end
		match := form || latest && p.hasAck && seg.Seq == p.ack
		unseen := latest || p.t > senderLast || !(sender.ackSet && seqDiff(sender.maxAck, p.end) >= 0)
		if match && unseen {
			return p, true, form
		}
		latest = false
	}
	return sentRef{}, false, false
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
	// The trigger's silence against the flow's others until then: whether
	// it was the longest, the longest other one, and how many packets the
	// flow had before the trigger.
	longestGap bool
	usualGap   time.Duration
	pktsBefore int

	sendNxt, recvAck       uint32
	sendSeqSet, recvAckSet bool
	senderFIN, recvRST     bool
	// reply: the RST answers a packet of the receiver's the way a TCP
	// stack does (answered), as a kernel answers every late packet to a
	// closed socket; answers is that packet.
	reply     bool
	replyForm bool // and in exactly the form a stack gives it
	answers   sentRef
	// couldEnd: no FIN from the sender, nor from both sides, came before
	// it, so it could have ended the connection.
	couldEnd bool
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
		c.longestGap = lp.gap > 0 && lp.gap == f.gaps[0]
		c.usualGap = f.gaps[1]
		c.pktsBefore = f.out.Packets[0] + f.out.Packets[1] - 2 // neither the RST nor its trigger
	}
	c.answers, c.reply, c.replyForm = f.answered(from, seg)
	if d := &f.d[recv.index()]; d.seqSet {
		c.recvNxt, c.recvSeqSet = d.nxt, true
	}
	// For Weaver's RST SEQ CHANGE: the sender's next sequence number and
	// the receiver's highest ACK before this reset, and whether the sender
	// had sent a FIN or the receiver a RST.
	if d := &f.d[from.index()]; d.seqSet {
		c.sendNxt, c.sendSeqSet = d.nxt, true
	}
	if d := &f.d[recv.index()]; d.ackSet {
		c.recvAck, c.recvAckSet = d.maxAck, true
	}
	c.senderFIN, c.recvRST = f.d[from.index()].finSeen, f.d[recv.index()].rstSeen
	ev := &f.d[from.index()].ev
	// A TSval of 0 says nothing: older Linux kernels send their own
	// resets so (suricata-verify's output-eve-anomaly-02: sshd's RST+ACK
	// with TS val 0, its IP ID and sequence number the server's next).
	if seg.Options&decode.OptTimestamp != 0 && ev.tsSet && seg.TSVal != 0 {
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

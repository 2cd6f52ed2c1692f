package analyze

import (
	"slices"
	"time"
)

// judge weighs the evidence of every reset in the flow and sets Sender and
// Evidence, the facts that point to a forged reset first. It prefers
// "unknown" to a wrong answer.
func (f *flow) judge(hosts *hostTTLs) {
	resets := f.out.Resets
	for i := range resets {
		r, c := &resets[i], &f.rx[i]
		sender := &f.d[r.From.index()].ev
		// Gathered on the stack, copied once into Evidence.
		var forgedBuf, genuineBuf [6]Evidence
		forged, genuine := forgedBuf[:0], genuineBuf[:0]

		// TTL (hop limit) against the sender's other packets, or its
		// other flows.
		base, scope := &sender.ttls, ScopeConnection
		ownTTL := false // the TTL of the sender's other packets in this connection
		if base.total() == 0 {
			addr := f.out.Client.Addr()
			if r.From == Server {
				addr = f.out.Server.Addr()
			}
			if h := hosts.get(keyOfAddr(addr)); h != nil && h.total() > 0 {
				base, scope = &h.ttlSet, ScopeCapture
			}
		}
		ttlFact := func(s Signal, p Verdict) Evidence {
			return Evidence{Signal: s, PointsTo: p, TTL: r.TTL, Baseline: baselineOf(base), Scope: scope}
		}
		switch n := base.total(); {
		case n == 0:
		case base.has(r.TTL):
			if n >= 2 {
				ownTTL = scope == ScopeConnection
				genuine = append(genuine, ttlFact(SigTTLMatch, VerdictGenuine))
			}
		case n >= 2 && base.other == 0:
			forged = append(forged, ttlFact(SigTTLDistance, VerdictForged))
			r.ttlMismatch = true
		default:
			forged = append(forged, ttlFact(SigTTLUnlike, VerdictForged))
			r.ttlMismatch = n >= 2
		}

		// The claimed sender kept talking.
		if c.race.frame != 0 {
			forged = append(forged, Evidence{Signal: SigSenderKeptSending, PointsTo: VerdictForged, Frames: []int{c.race.frame},
				Packet: c.raceKind, Bytes: c.raceBytes, Delay: time.Duration(c.race.t - r.Time.UnixNano())})
		}
		// How the receiver took it. A stack's reply to a stale packet is out
		// of step too, so this counts only for resets that answer nothing.
		if c.ignored.frame != 0 && !c.reply {
			forged = append(forged, Evidence{Signal: SigReceiverIgnored, PointsTo: VerdictForged, Frames: []int{c.ignored.frame}})
		}
		if c.challenge.frame != 0 && !c.reply {
			forged = append(forged, Evidence{Signal: SigChallengeACK, PointsTo: VerdictForged, Frames: []int{c.challenge.frame}})
		}
		// A stack answering a packet that was sent before the receiver took
		// in the sender's latest bytes lies behind them: out of step, but
		// exactly what RFC 9293 §3.10.7.1 makes it send.
		if r.SeqState == SeqOutOfWindow && !c.reply {
			forged = append(forged, Evidence{Signal: SigOutOfWindow, PointsTo: VerdictForged, Seq: r.Seq})
		}
		// Fields a device on the path cannot know.
		switch c.ts {
		case tsContinues:
			genuine = append(genuine, Evidence{Signal: SigTimestampContinues, PointsTo: VerdictGenuine})
		case tsForeign:
			forged = append(forged, Evidence{Signal: SigTimestampForeign, PointsTo: VerdictForged})
		}
		if c.ipidOK {
			genuine = append(genuine, Evidence{Signal: SigIPIDContinues, PointsTo: VerdictGenuine, IPID: r.IPID})
		}
		if c.labelOK {
			genuine = append(genuine, Evidence{Signal: SigFlowLabel, PointsTo: VerdictGenuine, Label: sender.label})
		}
		// Timing: sooner than the far side could have answered. Only
		// where the tap lies nearer the receiver: a sender beside it
		// answers from its kernel at once, whatever it took in the
		// handshake.
		tooSoon := false
		if c.hasTrigger && f.senderFar(r.From) {
			// A reply is timed from the packet it answers.
			at, frame := c.trigger.t, c.trigger.frame
			if c.reply {
				at, frame = c.answers.t, c.answers.frame
			}
			rtt := f.respDelay(r.From)
			if d := time.Duration(r.Time.UnixNano() - at); rtt >= minTimingRTT && d < rtt/2 {
				ownTTL = false // nearer than the sender after all
				tooSoon = true
				forged = append(forged, Evidence{Signal: SigTooSoon, PointsTo: VerdictForged, Frames: []int{frame}, Delay: d, RTT: rtt})
			}
		}
		// A reply to one of the receiver's packets, from the sender's
		// distance and no sooner than it could have sent it: the sender's
		// own stack, as when a closed socket meets late packets.
		if c.replyForm && !tooSoon && base.has(r.TTL) && base.total() >= 2 && scope == ScopeConnection {
			if d := time.Duration(r.Time.UnixNano() - c.answers.t); d >= 0 {
				genuine = append(genuine, Evidence{Signal: SigStackReply, PointsTo: VerdictGenuine, Frames: []int{c.answers.frame}, Delay: d, Seq: r.Seq})
			}
		}
		// Several resets from one side with different sequence numbers, or
		// resets toward both ends at once.
		// A stack answers each late packet with its own RST; only resets that
		// answer nothing make a burst.
		var burstBuf [8]int
		burst := burstBuf[:0]
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
			forged = append(forged, Evidence{Signal: SigBurst, PointsTo: VerdictForged, Frames: slices.Clone(burst), Count: len(burst), Seqs: seqs})
			r.burst = true
		}
		for j := range resets {
			o := &resets[j]
			if o.From != r.From && absDur(o.Time.Sub(r.Time)) <= bothEndsWindow && f.nothingBetween(i, j) {
				forged = append(forged, Evidence{Signal: SigBothEnds, PointsTo: VerdictForged, Frames: []int{r.Packet, o.Packet}, Delay: absDur(o.Time.Sub(r.Time))})
				r.bothEnds = true
				break
			}
		}
		switch r.SeqState {
		case SeqExact:
			genuine = append(genuine, Evidence{Signal: SigExactSeq, PointsTo: VerdictGenuine})
		case SeqZero:
			genuine = append(genuine, Evidence{Signal: SigRefusedSYNForm, PointsTo: VerdictGenuine})
		}

		r.Evidence = joinEvidence(forged, genuine)
		switch {
		case len(forged) > 0 && c.ts != tsContinues && !c.ipidOK && !c.labelOK:
			r.Sender = SenderPath
			// The sender's socket kept going, yet the reset came from its
			// own distance with nothing else amiss: what a REJECT rule on
			// that host, or a device right in front of it, sends (netfilter
			// answers the peer's packet in the host's name, with no TCP
			// options).
			if ownTTL && c.race.frame != 0 && c.ts == tsAbsent && !r.burst && !r.bothEnds && r.SeqState != SeqOutOfWindow {
				r.Sender = firewallOf(r.From)
			}
		case len(forged) == 0 && (c.ts == tsContinues || c.ipidOK || c.labelOK || base.has(r.TTL) && base.total() >= 2):
			r.Sender = stackOf(r.From)
		default:
			r.Sender = SenderUnknown
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

// senderFar reports whether the capture point lies clearly nearer the
// receiver than side s: s took at least farFactor times as long as the
// other side to answer during the handshake.
func (f *flow) senderFar(s Side) bool {
	if f.synTime.IsZero() || f.synAckTime.IsZero() || f.ackTime.IsZero() {
		// Without the whole handshake the tap cannot be placed; the
		// timing signal keeps its old meaning (the far side's answer).
		return true
	}
	return f.respDelay(s) >= farFactor*f.respDelay(s.Other())
}

// nothingBetween reports whether two resets of this flow are adjacent among
// the flow's packets.
func (f *flow) nothingBetween(i, j int) bool {
	if f.out.Resets[i].Packet > f.out.Resets[j].Packet {
		i, j = j, i
	}
	return f.rx[i].next == f.out.Resets[j].Packet
}

// joinEvidence is forged then genuine in one slice of their length (nil
// for none).
func joinEvidence(forged, genuine []Evidence) []Evidence {
	if len(forged)+len(genuine) == 0 {
		return nil
	}
	return append(append(make([]Evidence, 0, len(forged)+len(genuine)), forged...), genuine...)
}

// distinctSeqs counts the sequence numbers of from's resets within
// burstWindow of t (a flow holds a handful of resets: a scan, no map).
func distinctSeqs(resets []Reset, from Side, t time.Time) int {
	in := func(r *Reset) bool { return r.From == from && absDur(r.Time.Sub(t)) <= burstWindow }
	n := 0
	for i := range resets {
		if !in(&resets[i]) {
			continue
		}
		seen := false
		for j := range i {
			if in(&resets[j]) && resets[j].Seq == resets[i].Seq {
				seen = true
				break
			}
		}
		if !seen {
			n++
		}
	}
	return n
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

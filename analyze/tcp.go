package analyze

import (
	"bytes"
	"time"

	"github.com/rstsniff/rstsniff/decode"
)

// packet takes a segment at ts, which is t in Unix nanoseconds.
func (f *flow) packet(frame int, ts time.Time, t int64, from Side, seg *decode.Segment) {
	x, y := from.index(), from.Other().index()
	dx, dy := &f.d[x], &f.d[y]
	fl := seg.Flags

	if f.candidate && seg.PayloadLen > 0 && !fl.Has(decode.RST) {
		f.candidate = false
		if !bytes.HasPrefix(seg.Payload, []byte("SSH-")) {
			f.ignored = true
			f.out.Log, f.tail = nil, nil
			return
		}
	}

	if f.duplicate(t, from, seg) {
		f.out.Duplicates++
		return
	}
	f.out.LastPacket = frame
	f.out.Packets[x]++
	var stageBefore Stage // what a RST interrupted
	if fl.Has(decode.RST) {
		stageBefore = f.stage()
	}
	var gap time.Duration
	if f.out.Packets[0]+f.out.Packets[1] > 1 {
		gap = time.Duration(t - f.last)
		switch {
		case gap > f.gaps[0]:
			f.gaps[0], f.gaps[1] = gap, f.gaps[0]
		case gap > f.gaps[1]:
			f.gaps[1] = gap
		}
	}
	if n := len(f.rx); n > 0 && f.rx[n-1].next == 0 {
		f.rx[n-1].next = frame
	}
	f.watchResets(frame, t, from, seg)
	if !fl.Has(decode.RST) {
		dx.ev.packet(frame, t, seg)
	}

	if !dx.seqSet && !fl.Has(decode.SYN) && !dx.synSeen {
		if !f.established && !dy.synSeen {
			// Neither side's SYN is in the capture: it began mid-stream.
			f.out.Midstream = true
			f.established = true
		}
	}

	zeekHistory(f, from, seg)

	// Sequence space this segment covers.
	segLen := uint32(seg.PayloadLen)
	if fl.Has(decode.SYN) {
		segLen++
	}
	if fl.Has(decode.FIN) {
		segLen++
	}
	newSpace := false
	if fl.Has(decode.SYN) {
		if dx.synSeen && dx.isn == seg.Seq {
			dx.retrans++
		} else {
			dx.synSeen = true
			dx.isn = seg.Seq
			dx.s.start(seg.Seq + 1)
			newSpace = true
		}
		if fl.Has(decode.ACK) {
			f.synAckSeen = true
			if f.synAckTime.IsZero() {
				f.synAckTime = ts
			}
		} else if f.synAckTime.IsZero() {
			// The latest SYN before the SYN-ACK: that is the one answered.
			f.synTime = ts
		}
	}
	if !fl.Has(decode.RST) && segLen > 0 {
		end := seg.Seq + segLen
		if !dx.seqSet || seqDiff(end, dx.nxt) > 0 {
			newSpace = true
			dx.nxt = end
			dx.seqSet = true
		} else if !fl.Has(decode.SYN) {
			dx.retrans++
		}
	}
	if newSpace && !dx.unacked {
		dx.unacked = true
		dx.unackedFrom = t
		dx.retrans = 0
	}

	if fl.Has(decode.ACK) && !fl.Has(decode.RST) {
		if !dx.ackSet || seqDiff(seg.Ack, dx.maxAck) > 0 {
			dx.maxAck = seg.Ack
			dx.ackSet = true
		}
		if dy.unacked && dy.seqSet && seqDiff(seg.Ack, dy.nxt) >= 0 {
			dy.unacked = false
		}
		if !f.established && from == Client && f.synAckSeen && dx.synSeen &&
			seg.Ack == f.d[1].isn+1 {
			f.established = true
			f.ackTime = ts
		}
	}
	if !f.established && from == Client && f.synAckSeen && seg.PayloadLen > 0 {
		f.established = true
	}

	if from == Client && seg.PayloadLen > 0 && f.d[1].finSeen && !fl.Has(decode.RST) {
		f.out.ClientSentAfterClose = true
	}
	if fl.Has(decode.RST) {
		f.reset(frame, ts, from, seg, stageBefore)
	} else if seg.PayloadLen > 0 {
		if !dx.dataSet {
			dx.dataSet = true
			dx.dataBase = seg.Seq
			if dx.synSeen {
				dx.dataBase = dx.isn + 1
			}
			dx.dataEnd = dx.dataBase
			if f.out.Midstream && !bytes.HasPrefix(seg.Payload, []byte("SSH-")) {
				dx.w.stop(StopMidstream)
			}
		}
		if end := seg.Seq + uint32(seg.PayloadLen); seqDiff(end, dx.dataEnd) > 0 {
			dx.dataEnd = end
		}
		// The peer acknowledged bytes of this direction that the capture
		// never showed: the hole before this segment is lost for good.
		if dx.s.started && dy.ackSet && seqDiff(seg.Seq, dx.s.next) > 0 && seqDiff(dy.maxAck, seg.Seq) >= 0 {
			dx.s.skipTo(seg.Seq, &dx.w)
		}
		dx.s.add(seg.Seq, seg.Payload, seg.PayloadLen, &dx.w)
		if dx.w.state == walkStopped && dx.w.stopFrame == 0 {
			dx.w.stopFrame = frame
		}
		if !f.bannersSeen {
			f.afterBanners()
		}
	}
	if from == Server && f.serverEndFrame == 0 && fl&(decode.FIN|decode.RST) != 0 {
		f.serverEndFrame = frame
	}
	if fl.Has(decode.FIN) {
		if !f.d[0].finSeen && !f.d[1].finSeen {
			f.firstFIN, f.firstFINAt = from, frame
		}
		dx.finSeen = true
		if !f.ended {
			f.ended = true
			f.firstEnd = from
		}
	}
	dx.last = t
	if !fl.Has(decode.RST) {
		// A RST never draws a RST: triggers are the other packets.
		p := &f.lastFrom[x] // field by field, as in duplicate
		p.frame, p.t, p.gap, p.from, p.seq, p.ack, p.flags, p.plen = frame, t, gap, from, seg.Seq, seg.Ack, fl, seg.PayloadLen
		p.ipid, p.v4 = seg.IPID, seg.IPVersion == 4
		f.sent[x].add(frame, t, fl, seg)
	}
	f.last = t
	f.zeekState(from, seg)
}

// afterBanners stops both walkers when the identification strings show an
// SSH-1 connection: its binary packets are not RFC 4253's. It looks once,
// when both are known.
func (f *flow) afterBanners() {
	c, s := &f.d[0].w, &f.d[1].w
	if c.banner == "" || s.banner == "" {
		return
	}
	f.bannersSeen = true
	if isSSH1(c.banner) || (isSSH1(s.banner) && !isSSH199(s.banner)) {
		c.stop(StopSSH1)
		s.stop(StopSSH1)
	}
}

func isSSH1(b string) bool { return len(b) >= 6 && b[:6] == "SSH-1." && !isSSH199(b) }

func isSSH199(b string) bool { return len(b) >= 8 && b[:8] == "SSH-1.99" }

func (f *flow) reset(frame int, ts time.Time, from Side, seg *decode.Segment, st Stage) {
	dx := &f.d[from.index()]
	dx.rstSeen = true
	r := Reset{
		Packet:     frame,
		Time:       ts,
		From:       from,
		Stage:      st,
		TTL:        seg.TTL,
		Seq:        seg.Seq,
		Ack:        seg.Ack,
		Flags:      seg.Flags,
		Window:     seg.Window,
		IPID:       seg.IPID,
		FlowLabel:  seg.FlowLabel,
		PayloadLen: seg.PayloadLen,
		SeqState:   f.seqState(from, seg),
	}
	c := f.newResetCtx(from, seg)
	// A RST from a side that already sent its FIN is its kernel refusing
	// data that came after the close: the connection was closed, not reset.
	c.couldEnd = !dx.finSeen && !(f.d[0].finSeen && f.d[1].finSeen)
	f.rx = append(f.rx, c)
	f.out.Resets = append(f.out.Resets, r)
	if !f.resetEnded && c.couldEnd {
		f.resetEnded = true
		f.stageAtReset = st
		f.endReset = len(f.out.Resets)
	}
	if !f.ended {
		f.ended = true
		f.firstEnd = from
	}
}

// seqState places a RST's sequence number against what its claimed sender
// had sent and the receiver had acknowledged.
func (f *flow) seqState(from Side, seg *decode.Segment) SeqState {
	dx, dy := &f.d[from.index()], &f.d[from.Other().index()]
	if !dx.seqSet {
		if seg.Seq == 0 && seg.Flags.Has(decode.ACK) {
			return SeqZero
		}
		if dy.ackSet && seg.Seq == dy.maxAck {
			return SeqExact
		}
		return SeqUnknown
	}
	switch d := seqDiff(seg.Seq, dx.nxt); {
	case d == 0:
		return SeqExact
	case d < 0 && dy.ackSet && seqDiff(seg.Seq, dy.maxAck) >= 0:
		return SeqInWindow
	case d > 0 && d < maxUnscaledWindow:
		return SeqInWindow
	}
	return SeqOutOfWindow
}

// stage is the furthest stage the connection has reached so far. Once a
// RST has ended the connection the stage stays where it was: bytes that
// arrive later (a server banner racing a forged reset) reach a socket that
// no longer exists and are not protocol progress.
func (f *flow) stage() Stage {
	if f.resetEnded {
		return f.stageAtReset
	}
	if !f.established {
		return StageHandshake
	}
	c, s := &f.d[0].w, &f.d[1].w
	if c.banner == "" || s.banner == "" {
		// Begun before the capture, a banner may have gone by unseen:
		// nothing is claimed about what came before the first packet.
		if f.out.Midstream {
			return StageUnknown
		}
		return StageBanner
	}
	if c.kexinit == nil || s.kexinit == nil {
		return StageKexInit
	}
	if !c.newKeys || !s.newKeys {
		return StageKex
	}
	if f.auth.success {
		return StageSession
	}
	return StageAuth
}

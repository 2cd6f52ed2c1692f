package analyze

import (
	"time"

	"github.com/rstsniff/rstsniff/decode"
)

// record appends a packet to the flow's log: the first two thirds of keep
// stay, the rest is a ring of the latest.
func (f *flow) record(keep, frame int, ts time.Time, from Side, seg *decode.Segment, dup bool) {
	x, y := &f.d[from.index()], &f.d[from.Other().index()]
	if !x.relSet {
		x.relSet, x.relBase = true, seg.Seq
		if x.synSeen {
			x.relBase = x.isn
		}
	}
	r := PacketRecord{Frame: frame, Time: ts, From: from, Flags: seg.Flags, Seq: seg.Seq - x.relBase, Len: seg.PayloadLen,
		TTL: seg.TTL, Window: seg.Window, Stage: f.stage(), Dup: dup,
		Banner: len(seg.Payload) >= 4 && string(seg.Payload[:4]) == "SSH-",
		RawSeq: seg.Seq, RawAck: seg.Ack, IPID: seg.IPID, Options: seg.Options, MSS: seg.MSS, WScale: seg.WScale,
		TSVal: seg.TSVal, TSEcr: seg.TSEcr, Captured: len(seg.Payload), Sum: fnv64(seg.Payload),
		Out: seg.Direction == decode.DirOut}
	if seg.Flags.Has(decode.ACK) && y.relSet {
		r.Ack = seg.Ack - y.relBase
	}
	head := keep * 2 / 3
	if len(f.out.Log) < head {
		f.out.Log = append(f.out.Log, r)
		return
	}
	tail := keep - head
	if len(f.tail) < tail {
		f.tail = append(f.tail, r)
		return
	}
	f.tail[f.tailNext%tail] = r
	f.tailNext++
	f.out.LogOmitted++
}

// fnv64 is FNV-1a, to tell whether a payload changed between captures.
func fnv64(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

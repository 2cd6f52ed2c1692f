package analyze

import (
	"github.com/rstsniff/rstsniff/decode"
)

// fingerprint identifies a packet apart from its TTL, which a router
// changes: the same packet captured on two interfaces matches itself.
type fingerprint struct {
	t        int64 // packet time, Unix nanoseconds
	from     Side
	seq, ack uint32
	flags    decode.Flags
	ipid     uint16
	tsval    uint32
	win      uint16
	plen     int
	// Where it was seen: a copy differs in at least one of these (the
	// tunnels too: a mirror may hold a packet both as sent and wrapped).
	ttl   uint8
	tun   uint8
	ifidx int32
	dir   decode.Direction
}

// duplicate reports whether this packet is a copy of one seen just before
// at another capture point (another interface, direction, inside or
// outside a tunnel, or one router hop later), and remembers it otherwise.
func (f *flow) duplicate(t int64, from Side, seg *decode.Segment) bool {
	for i := 0; i < f.nRecent && i < len(f.recent); i++ {
		o := &f.recent[i]
		if o.seq != seg.Seq || o.ack != seg.Ack || o.plen != seg.PayloadLen || o.flags != seg.Flags || o.from != from {
			continue
		}
		if o.ifidx == seg.IfIndex && o.dir == seg.Direction && o.tun == seg.Tunnels && o.ttl != seg.TTL+1 {
			// Seen at the same point, and not one router hop later: a
			// packet the network really sent twice (a retransmission), or
			// another one alike but for its TTL (INTANG's type-2 resets:
			// RST+ACKs with two or three TTLs).
			continue
		}
		if o.ipid == seg.IPID && o.tsval == seg.TSVal && o.win == seg.Window && t-o.t <= int64(dupWindow) {
			return true
		}
	}
	// Field by field: a fingerprint built aside and copied in is read back
	// in 16-byte pieces from its fresh smaller stores, which stalls.
	o := &f.recent[f.nRecent%len(f.recent)]
	o.t, o.from, o.seq, o.ack, o.flags, o.ipid = t, from, seg.Seq, seg.Ack, seg.Flags, seg.IPID
	o.tsval, o.win, o.plen, o.ttl, o.ifidx, o.dir = seg.TSVal, seg.Window, seg.PayloadLen, seg.TTL, seg.IfIndex, seg.Direction
	o.tun = seg.Tunnels
	f.nRecent++
	return false
}

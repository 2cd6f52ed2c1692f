package decode

import (
	"encoding/binary"
	"net/netip"
	"time"
)

// Reassembly of IPv4 and IPv6 fragments. An overlay whose MTU is its
// path's (a VXLAN device made without an underlay keeps 1500) makes the
// kernel fragment its larger datagrams; a router fragments what it must
// forward onto a smaller link. The SSH inside is only readable whole.

// Bounds of what a Reassembler holds: packets whose fragments do not all
// come within fragTimeout of packet time (Linux's ipfrag_time), or that do
// not fit, are dropped and counted as lost.
const (
	fragMaxPending = 256     // packets being put back together at once
	fragMaxBytes   = 8 << 20 // the bytes they hold together
	fragTimeout    = 30 * time.Second
	fragMaxLen     = 65535 // the longest IP payload a fragment may reach
)

// fragment is what Decode read of one fragment for a Reassembler: where its
// IP header and data lie in the frame, and the packet it belongs to.
type fragment struct {
	header []byte // the IPv4 header with its options, or the IPv6 fixed header
	data   []byte
	offset int
	more   bool
	key    fragKey
}

type fragKey struct {
	src, dst netip.Addr
	id       uint32
	proto    uint8
	v6       bool
}

// datagram is one packet being put back together.
type datagram struct {
	header []byte   // the first fragment's IP header, once it came
	buf    []byte   // the data so far, each fragment at its offset
	have   []uint64 // which 8-byte blocks of buf came
	total  int      // the data's length, once the last fragment came; -1 before
	frames []int    // the frame numbers of its fragments, as they came
	first  int      // the frame number of the first fragment seen
	start  int64    // its packet time, Unix nanoseconds
	// counts: it carries TCP or a tunnel, so losing it loses SSH packets
	// (UDP only when the first fragment shows a tunnel's port).
	counts bool
}

// A Reassembler decodes frames as Decode does and puts fragmented packets
// back together: a fragment returns ErrFragment until its packet is whole,
// then its frame decodes as the whole packet. Its zero value is ready. The
// segment of a reassembled packet has the link facts (direction, interface,
// tags, tunnels) of its last fragment's frame and its payload aliases the
// Reassembler's buffer until the next call.
type Reassembler struct {
	pending map[fragKey]*datagram
	bytes   int
	cur     fragment
	out     []byte
	// lost counts the packets of TCP or a tunnel dropped incomplete; first
	// is the frame of the earliest one's first fragment.
	lost, first int
	parts       []int
}

// Parts are the frame numbers of the fragments of the packet the last
// Add completed, as they came (the last is that Add's frame): a recorder
// that keeps a connection's frames keeps them all.
func (r *Reassembler) Parts() []int { return r.parts }

// Decode decodes frame (frame number n, packet time t) into seg: Decode,
// then Add when it was a fragment.
func (r *Reassembler) Decode(frame []byte, link LinkType, n int, t time.Time, seg *Segment) error {
	err := Decode(frame, link, seg)
	if err != ErrFragment {
		return err
	}
	return r.Add(frame, link, n, t, seg)
}

// Add keeps the fragment in frame, for which Decode returned ErrFragment;
// when its packet is whole, it decodes that packet into seg. A loop that
// calls Decode itself calls Add only then, and pays nothing for frames
// that are not fragments.
func (r *Reassembler) Add(frame []byte, link LinkType, n int, t time.Time, seg *Segment) error {
	return r.add(frame, link, n, t.UnixNano(), seg)
}

// Lost is how many packets of TCP or a tunnel could not be put back
// together (fragments missing, too late, or beyond the bounds), those still
// incomplete included, and the frame of the first fragment of the earliest.
func (r *Reassembler) Lost() (n, first int) {
	n, first = r.lost, r.first
	for _, d := range r.pending {
		if d.counts {
			n++
			if first == 0 || d.first < first {
				first = d.first
			}
		}
	}
	return n, first
}

func (r *Reassembler) add(frame []byte, link LinkType, n int, t int64, seg *Segment) error {
	*seg = Segment{IfIndex: -1, frag: &r.cur}
	err := decodeLink(frame, link, seg)
	seg.frag = nil
	r.parts = nil
	f := &r.cur
	if err != ErrFragment || f.header == nil {
		return err
	}
	defer func() { *f = fragment{} }() // the frame's slices are not kept
	if r.pending == nil {
		r.pending = map[fragKey]*datagram{}
	}
	r.expire(t)
	d := r.pending[f.key]
	if d == nil {
		if len(r.pending) >= fragMaxPending {
			r.drop(r.oldest())
		}
		d = &datagram{total: -1, first: n, start: t}
		r.pending[f.key] = d
	}
	if p := f.key.proto; p == ipProtoTCP || p == ipProtoGRE || p == ipProtoIPIP || p == ipProtoIPv6 ||
		p == ipProtoUDP && f.offset == 0 && tunnelPort(f.data) {
		d.counts = true
	}
	end := f.offset + len(f.data)
	if end > fragMaxLen || !f.more && d.total >= 0 && d.total != end {
		r.drop(f.key) // longer than any packet, or two different ends
		return ErrFragment
	}
	if grow := end - len(d.buf); grow > 0 {
		if r.bytes+grow > fragMaxBytes {
			r.drop(f.key)
			return ErrFragment
		}
		d.buf = append(d.buf, make([]byte, grow)...)
		r.bytes += grow
	}
	copy(d.buf[f.offset:end], f.data)
	d.frames = append(d.frames, n)
	for b := f.offset / 8; b < (end+7)/8; b++ {
		for b/64 >= len(d.have) {
			d.have = append(d.have, 0)
		}
		d.have[b/64] |= 1 << (b % 64)
	}
	if f.offset == 0 {
		d.header = append(d.header[:0], f.header...)
	}
	if !f.more {
		d.total = end
	}
	if !d.whole() {
		return ErrFragment
	}
	delete(r.pending, f.key)
	r.bytes -= len(d.buf)
	r.parts = d.frames
	return r.decodeWhole(d, f.key.v6, f.key.proto, seg)
}

// whole tells whether every block up to the last fragment's end came.
func (d *datagram) whole() bool {
	if d.total < 0 || d.header == nil {
		return false
	}
	blocks := (d.total + 7) / 8
	for b := 0; b < blocks; b++ {
		if b/64 >= len(d.have) || d.have[b/64]&(1<<(b%64)) == 0 {
			return false
		}
	}
	return true
}

// decodeWhole decodes the packet put back together: its first fragment's
// header, made whole (no fragment fields, the full length), and its data.
func (r *Reassembler) decodeWhole(d *datagram, v6 bool, proto uint8, seg *Segment) error {
	if !v6 && len(d.header)+d.total > 0xffff {
		return ErrMalformed // longer than an IPv4 packet can say
	}
	r.out = append(append(r.out[:0], d.header...), d.buf[:d.total]...)
	h := r.out[:len(d.header)]
	if v6 {
		// The extension headers before the fragment header are dropped:
		// the fixed header now announces the fragmented protocol itself.
		binary.BigEndian.PutUint16(h[4:6], uint16(d.total))
		h[6] = proto
	} else {
		binary.BigEndian.PutUint16(h[2:4], uint16(len(r.out)))
		binary.BigEndian.PutUint16(h[6:8], binary.BigEndian.Uint16(h[6:8])&0x4000) // keep DF only
	}
	seg.restart()
	if v6 {
		return decodeIPv6(r.out, seg)
	}
	return decodeIPv4(r.out, seg)
}

// expire drops the packets whose first fragment came more than fragTimeout
// of packet time before t.
func (r *Reassembler) expire(t int64) {
	for k, d := range r.pending {
		if t-d.start > int64(fragTimeout) {
			r.drop(k)
		}
	}
}

func (r *Reassembler) oldest() fragKey {
	var key fragKey
	var start int64
	first := true
	for k, d := range r.pending {
		if first || d.start < start {
			key, start, first = k, d.start, false
		}
	}
	return key
}

// drop gives up on a packet, counting it when it carried TCP or a tunnel.
func (r *Reassembler) drop(k fragKey) {
	d := r.pending[k]
	if d == nil {
		return
	}
	delete(r.pending, k)
	r.bytes -= len(d.buf)
	if d.counts {
		r.lost++
		if r.first == 0 || d.first < r.first {
			r.first = d.first
		}
	}
}

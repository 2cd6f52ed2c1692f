package analyze

import (
	"encoding/binary"

	"github.com/rstsniff/rstsniff/decode"
)

// flowKey names a connection independent of direction: lo sorts before
// hi. Five plain words: the flow table hashes them with two
// multiplications and compares them without a call.
type flowKey struct {
	lo0, lo1, hi0, hi1 uint64 // the two addresses as 16 bytes, lower first
	// The two ports (lower address's first), and 1 for IPv4 apart from
	// IPv4-mapped IPv6.
	ports uint64
}

// set makes k the key of seg's connection, the same both ways. It writes
// in place: a key returned by value is stored in pieces and copied in
// 16-byte ones, and that copy stalls on every packet.
func (k *flowKey) set(seg *decode.Segment) {
	var s0, s1, d0, d1 uint64
	is4 := seg.Src.Is4() && seg.Dst.Is4()
	if is4 {
		// As4 is read back in one load; As16's two halves written to
		// memory and read back as one 16-byte array stall the CPU.
		s, d := seg.Src.As4(), seg.Dst.As4()
		s1, d1 = 0xffff<<32|uint64(binary.BigEndian.Uint32(s[:])), 0xffff<<32|uint64(binary.BigEndian.Uint32(d[:]))
	} else {
		s, d := seg.Src.As16(), seg.Dst.As16()
		s0, s1 = binary.BigEndian.Uint64(s[:8]), binary.BigEndian.Uint64(s[8:])
		d0, d1 = binary.BigEndian.Uint64(d[:8]), binary.BigEndian.Uint64(d[8:])
	}
	sp, dp := seg.SrcPort, seg.DstPort
	if s0 > d0 || s0 == d0 && (s1 > d1 || s1 == d1 && sp > dp) {
		s0, s1, sp, d0, d1, dp = d0, d1, dp, s0, s1, sp
	}
	ports := uint64(sp)<<32 | uint64(dp)<<16
	if is4 {
		ports |= 1
	}
	k.lo0, k.lo1, k.hi0, k.hi1, k.ports = s0, s1, d0, d1, ports
}

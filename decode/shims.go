package decode

import "encoding/binary"

// Shims: headers a provider's or a DSL link puts between Ethernet and IP.

const (
	etherMPLS          = 0x8847
	etherMPLSMulticast = 0x8848
	etherPPPoE         = 0x8864 // PPPoE session stage
	pppIPv4            = 0x0021
	pppIPv6            = 0x0057
	maxLabels          = 8 // MPLS labels followed before giving up
)

// decodeMPLS skips an MPLS label stack (RFC 3032), as a provider's link
// carries it, to the IP packet after its bottom label; what else a label
// may carry (a pseudowire's Ethernet) is not guessed at.
func decodeMPLS(b []byte, seg *Segment) error {
	for i := 0; i < maxLabels; i++ {
		if len(b) < 4 {
			return ErrTruncated
		}
		bottom := b[2]&0x01 != 0
		b = b[4:]
		if bottom {
			return decodeIP(b, seg)
		}
	}
	return ErrNotIP
}

// decodePPPoE reads a PPPoE session frame (RFC 2516), as a DSL link
// carries it, to the IP packet inside its PPP frame.
func decodePPPoE(b []byte, seg *Segment) error {
	if len(b) < 8 {
		return ErrTruncated
	}
	if b[0] != 0x11 || b[1] != 0 { // version 1, type 1; code 0: session data
		return ErrNotIP
	}
	switch binary.BigEndian.Uint16(b[6:8]) {
	case pppIPv4:
		return decodeIPv4(b[8:], seg)
	case pppIPv6:
		return decodeIPv6(b[8:], seg)
	}
	return ErrNotIP
}

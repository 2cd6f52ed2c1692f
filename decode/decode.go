package decode

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"sync"
)

// LinkType is a pcap LINKTYPE_ value (https://www.tcpdump.org/linktypes.html).
type LinkType uint16

// Link types rstsniff decodes. Several DLT_ values that libpcap reports for
// the same framing are accepted too (12 and 14 for raw IP).
const (
	LinkNull     LinkType = 0   // BSD loopback: 4-byte address family, host byte order
	LinkEthernet LinkType = 1   // Ethernet II, with 802.1Q/802.1ad tags
	LinkRawDLT12 LinkType = 12  // raw IP as libpcap's DLT_RAW on most systems
	LinkRawDLT14 LinkType = 14  // raw IP as DLT_RAW on OpenBSD
	LinkRaw      LinkType = 101 // raw IP (LINKTYPE_RAW)
	LinkLoop     LinkType = 108 // OpenBSD loopback: address family in network byte order
	LinkLinuxSLL LinkType = 113 // Linux cooked v1 (tcpdump -i any, older)
	LinkIPv4     LinkType = 228
	LinkIPv6     LinkType = 229
	LinkSLL2     LinkType = 276 // Linux cooked v2 (tcpdump 4.99 -i any)
)

// Supported reports whether Decode understands frames of link type l.
func (l LinkType) Supported() bool {
	switch l {
	case LinkNull, LinkEthernet, LinkRawDLT12, LinkRawDLT14, LinkRaw, LinkLoop,
		LinkLinuxSLL, LinkIPv4, LinkIPv6, LinkSLL2:
		return true
	}
	return false
}

// Flags is the TCP flag bitset, in header bit order.
type Flags uint8

const (
	FIN Flags = 1 << iota
	SYN
	RST
	PSH
	ACK
	URG
	ECE
	CWR
)

// Has reports whether every flag in f2 is set.
func (f Flags) Has(f2 Flags) bool { return f&f2 == f2 }

// String renders flags the way tcpdump does: S, F, R, P, U, E, W, then "." for ACK.
// Every one of the 256 is made once, on first use: a reset's flags are
// written in every JSON line, and "R." was an allocation each time.
func (f Flags) String() string { return flagNames()[f] }

var flagNames = sync.OnceValue(func() *[256]string {
	var t [256]string
	for i := range t {
		t[i] = Flags(i).render()
	}
	return &t
})

func (f Flags) render() string {
	var b [9]byte
	n := 0
	for _, c := range [...]struct {
		f Flags
		c byte
	}{{SYN, 'S'}, {FIN, 'F'}, {RST, 'R'}, {PSH, 'P'}, {URG, 'U'}, {ECE, 'E'}, {CWR, 'W'}, {ACK, '.'}} {
		if f&c.f != 0 {
			b[n] = c.c
			n++
		}
	}
	if n == 0 {
		return "none"
	}
	return string(b[:n])
}

// Options records which TCP options a segment carried.
type Options uint8

const (
	OptMSS Options = 1 << iota
	OptWScale
	OptSACKPerm
	OptSACK
	OptTimestamp
	OptMD5 // RFC 2385
	OptAO  // RFC 5925
	OptOther
)

// Direction is the packet direction the capture recorded, where it did.
type Direction uint8

const (
	DirUnknown Direction = iota
	DirIn                // addressed to the capturing host
	DirOut               // sent by the capturing host (SLL packet type 4)
)

// Segment holds the facts of one TCP segment that analysis needs.
//
// A Segment is a plain value: decode never allocates. Payload aliases the
// frame buffer handed to Decode and is only valid until that buffer is
// reused; copy whatever must outlive the call. The zero value is an empty
// segment.
type Segment struct {
	Src, Dst         netip.Addr
	SrcPort, DstPort uint16

	IPVersion uint8
	TTL       uint8  // IPv4 TTL or IPv6 hop limit
	IPID      uint16 // IPv4 identification; 0 for IPv6
	DF        bool   // IPv4 don't-fragment bit
	FlowLabel uint32 // IPv6 flow label
	TOS       uint8  // IPv4 TOS or IPv6 traffic class

	Seq, Ack uint32
	Flags    Flags
	Window   uint16
	Options  Options
	MSS      uint16
	WScale   uint8
	TSVal    uint32
	TSEcr    uint32

	// PayloadLen is the TCP payload length from the IP header, which stays
	// right when the capture cut the frame short (tcpdump -s).
	PayloadLen int
	// Payload is the captured part of the payload: len(Payload) <= PayloadLen.
	Payload []byte

	Direction Direction
	IfIndex   int32 // SLL2 interface index, -1 when unknown
	VLANs     uint8 // number of 802.1Q/802.1ad tags removed
	// Tunnels is the number of encapsulations removed (GRE, ERSPAN, VXLAN,
	// Geneve, IP in IP): the addresses, TTL and the rest are the innermost
	// packet's, the one the endpoints sent.
	Tunnels uint8

	// frag, when a Reassembler set it, receives what a fragment holds.
	frag *fragment

	// ICMP marks an ICMP error about a TCP segment (RFC 792 destination
	// unreachable or time exceeded; RFC 4443 also packet too big): then
	// Src, Dst, the ports and Seq are those of the TCP header the error
	// quotes, a packet that went the other way, and the IP fields (TTL,
	// IPID, ...) the error's own. Flags and the payload are zero.
	ICMP     bool
	ICMPType uint8
	ICMPCode uint8
	ICMPMTU  uint32     // next-hop MTU of "fragmentation needed" or "packet too big"
	ICMPFrom netip.Addr // the error's sender: the destination host or a router
}

// Errors returned by Decode. They are values, so returning them does not allocate.
var (
	ErrUnsupportedLink = errors.New("decode: unsupported link type")
	ErrNotIP           = errors.New("decode: not an IP packet")
	ErrNotTCP          = errors.New("decode: not TCP")
	// ErrFragment is a fragment of an IP packet that may carry TCP: of TCP,
	// ICMP, UDP (a tunnel's, maybe) or a tunnel protocol. Decode reads no
	// more of it; a Reassembler puts such packets back together.
	ErrFragment  = errors.New("decode: IP fragment")
	ErrTruncated = errors.New("decode: frame truncated")
	ErrMalformed = errors.New("decode: malformed header")
)

const (
	etherIPv4  = 0x0800
	etherIPv6  = 0x86dd
	ether8021Q = 0x8100
	ether8021A = 0x88a8
	ether9100  = 0x9100
)

// Decode parses one frame of the given link type into seg. It returns
// ErrNotIP or ErrNotTCP for frames that carry something else, ErrFragment
// for an IP fragment (a Reassembler's to keep), and ErrTruncated or
// ErrMalformed when the headers cannot be read.
func Decode(frame []byte, link LinkType, seg *Segment) error {
	*seg = Segment{IfIndex: -1}
	return decodeLink(frame, link, seg)
}

// restart clears what the headers read so far put in s, before the packet
// inside a tunnel or one put back together is read: only where the frame
// came from (direction, interface, tags, tunnels) and the Reassembler's
// hook stay.
func (s *Segment) restart() {
	*s = Segment{Direction: s.Direction, IfIndex: s.IfIndex, VLANs: s.VLANs, Tunnels: s.Tunnels, frag: s.frag}
}

func decodeLink(frame []byte, link LinkType, seg *Segment) error {
	switch link {
	case LinkEthernet:
		return decodeEthernet(frame, seg)
	case LinkLinuxSLL:
		if len(frame) < 16 {
			return ErrTruncated
		}
		setSLLDirection(seg, binary.BigEndian.Uint16(frame[0:2]))
		return decodeEtherType(binary.BigEndian.Uint16(frame[14:16]), frame[16:], seg)
	case LinkSLL2:
		if len(frame) < 20 {
			return ErrTruncated
		}
		seg.IfIndex = int32(binary.BigEndian.Uint32(frame[4:8]))
		setSLLDirection(seg, uint16(frame[10]))
		return decodeEtherType(binary.BigEndian.Uint16(frame[0:2]), frame[20:], seg)
	case LinkRaw, LinkRawDLT12, LinkRawDLT14:
		return decodeIP(frame, seg)
	case LinkIPv4:
		return decodeIPv4(frame, seg)
	case LinkIPv6:
		return decodeIPv6(frame, seg)
	case LinkNull, LinkLoop:
		if len(frame) < 4 {
			return ErrTruncated
		}
		// The family is in the writer's byte order (NULL) or network order
		// (LOOP); the values rstsniff needs are all below 256, so whichever
		// end holds the non-zero byte tells the order.
		af := binary.LittleEndian.Uint32(frame[:4])
		if af > 0xffff {
			af = binary.BigEndian.Uint32(frame[:4])
		}
		switch af {
		case 2:
			return decodeIPv4(frame[4:], seg)
		case 10, 24, 28, 30: // AF_INET6 on Linux, NetBSD/OpenBSD, FreeBSD, Darwin
			return decodeIPv6(frame[4:], seg)
		}
		return ErrNotIP
	}
	return ErrUnsupportedLink
}

func setSLLDirection(seg *Segment, pktType uint16) {
	switch pktType {
	case 0, 1, 2, 3:
		seg.Direction = DirIn
	case 4:
		seg.Direction = DirOut
	}
}

func decodeEthernet(frame []byte, seg *Segment) error {
	if len(frame) < 14 {
		return ErrTruncated
	}
	return decodeEtherType(binary.BigEndian.Uint16(frame[12:14]), frame[14:], seg)
}

func decodeEtherType(et uint16, b []byte, seg *Segment) error {
	for et == ether8021Q || et == ether8021A || et == ether9100 {
		if len(b) < 4 {
			return ErrTruncated
		}
		seg.VLANs++
		et = binary.BigEndian.Uint16(b[2:4])
		b = b[4:]
	}
	switch et {
	case etherIPv4:
		return decodeIPv4(b, seg)
	case etherIPv6:
		return decodeIPv6(b, seg)
	case etherMPLS, etherMPLSMulticast:
		return decodeMPLS(b, seg)
	case etherPPPoE:
		return decodePPPoE(b, seg)
	}
	return ErrNotIP
}

func decodeIP(b []byte, seg *Segment) error {
	if len(b) < 1 {
		return ErrTruncated
	}
	switch b[0] >> 4 {
	case 4:
		return decodeIPv4(b, seg)
	case 6:
		return decodeIPv6(b, seg)
	}
	return ErrNotIP
}

func decodeIPv4(b []byte, seg *Segment) error {
	if len(b) < 20 {
		return ErrTruncated
	}
	if b[0]>>4 != 4 {
		return ErrMalformed
	}
	ihl := int(b[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(b[2:4]))
	if total == 0 {
		// TSO/BIG TCP super-packets seen on the sending host carry 0.
		total = len(b)
	}
	if ihl < 20 || total < ihl {
		return ErrMalformed
	}
	if len(b) < ihl {
		return ErrTruncated
	}
	proto := b[9]
	if proto != ipProtoTCP && proto != ipProtoICMP && !isTunnel(proto) {
		return ErrNotTCP
	}
	// Trailing Ethernet padding lies beyond the IP total length.
	data := b[ihl:]
	if want := total - ihl; len(data) > want {
		data = data[:want]
	}
	frag := binary.BigEndian.Uint16(b[6:8])
	if frag&0x3fff != 0 { // more fragments, or an offset
		if f := seg.frag; f != nil {
			*f = fragment{header: b[:ihl], data: data, offset: int(frag&0x1fff) * 8, more: frag&0x2000 != 0,
				key: fragKey{src: netip.AddrFrom4([4]byte(b[12:16])), dst: netip.AddrFrom4([4]byte(b[16:20])),
					id: uint32(binary.BigEndian.Uint16(b[4:6])), proto: proto}}
		}
		return ErrFragment
	}
	if proto != ipProtoTCP && proto != ipProtoICMP {
		return decodeTunnel(proto, data, seg)
	}
	seg.IPVersion = 4
	seg.TOS = b[1]
	seg.IPID = binary.BigEndian.Uint16(b[4:6])
	seg.DF = frag&0x4000 != 0
	seg.TTL = b[8]
	seg.Src = netip.AddrFrom4([4]byte(b[12:16]))
	seg.Dst = netip.AddrFrom4([4]byte(b[16:20]))
	if proto == ipProtoICMP {
		return decodeICMPv4(data, seg)
	}
	return decodeTCP(data, total-ihl, seg)
}

// decodeICMPv4 reads an ICMP destination unreachable or time exceeded
// message that quotes a TCP segment; other ICMP is not rstsniff's.
func decodeICMPv4(b []byte, seg *Segment) error {
	if len(b) < 8 || b[0] != 3 && b[0] != 11 {
		return ErrNotTCP
	}
	q := b[8:] // the quoted IP header and at least 8 bytes of what followed
	if len(q) < 20 || q[0]>>4 != 4 {
		return ErrNotTCP
	}
	ihl := int(q[0]&0x0f) * 4
	if ihl < 20 || len(q) < ihl+8 || q[9] != ipProtoTCP || binary.BigEndian.Uint16(q[6:8])&0x1fff != 0 {
		return ErrNotTCP
	}
	if b[0] == 3 && b[1] == 4 { // fragmentation needed (RFC 1191)
		seg.ICMPMTU = uint32(binary.BigEndian.Uint16(b[6:8]))
	}
	seg.ICMP, seg.ICMPType, seg.ICMPCode, seg.ICMPFrom = true, b[0], b[1], seg.Src
	seg.Src = netip.AddrFrom4([4]byte(q[12:16]))
	seg.Dst = netip.AddrFrom4([4]byte(q[16:20]))
	quoteTCP(q[ihl:], seg)
	return nil
}

// decodeICMPv6 reads an ICMPv6 destination unreachable, packet too big or
// time exceeded message that quotes a TCP segment.
func decodeICMPv6(b []byte, seg *Segment) error {
	if len(b) < 8 || b[0] < 1 || b[0] > 3 {
		return ErrNotTCP
	}
	q := b[8:]
	if len(q) < 48 || q[0]>>4 != 6 || q[6] != ipProtoTCP {
		return ErrNotTCP
	}
	if b[0] == 2 {
		seg.ICMPMTU = binary.BigEndian.Uint32(b[4:8])
	}
	seg.ICMP, seg.ICMPType, seg.ICMPCode, seg.ICMPFrom = true, b[0], b[1], seg.Src
	seg.Src = netip.AddrFrom16([16]byte(q[8:24]))
	seg.Dst = netip.AddrFrom16([16]byte(q[24:40]))
	quoteTCP(q[40:], seg)
	return nil
}

// quoteTCP reads the ports and sequence number of a quoted TCP header: the
// 8 bytes every ICMP error carries.
func quoteTCP(t []byte, seg *Segment) {
	seg.SrcPort = binary.BigEndian.Uint16(t[0:2])
	seg.DstPort = binary.BigEndian.Uint16(t[2:4])
	seg.Seq = binary.BigEndian.Uint32(t[4:8])
}

// IPv6 extension headers that may sit between the fixed header and TCP.
const (
	ip6HopByHop   = 0
	ip6Routing    = 43
	ip6Fragment   = 44
	ip6AH         = 51
	ip6DestOpts   = 60
	ipProtoTCP    = 6
	ipProtoICMP   = 1
	ipProtoICMPv6 = 58
	ipProtoIPIP   = 4  // IPv4 in IP (RFC 2003)
	ipProtoIPv6   = 41 // IPv6 in IP (RFC 4213)
	ipProtoUDP    = 17 // VXLAN and Geneve ride on it
	ipProtoGRE    = 47
)

func decodeIPv6(b []byte, seg *Segment) error {
	if len(b) < 40 {
		return ErrTruncated
	}
	if b[0]>>4 != 6 {
		return ErrMalformed
	}
	vtf := binary.BigEndian.Uint32(b[0:4])
	seg.IPVersion = 6
	seg.TOS = uint8(vtf >> 20)
	seg.FlowLabel = vtf & 0xfffff
	plen := int(binary.BigEndian.Uint16(b[4:6]))
	if plen == 0 {
		// Jumbogram or GSO packet: the captured length is all there is.
		plen = len(b) - 40
	}
	next := b[6]
	seg.TTL = b[7]
	seg.Src = netip.AddrFrom16([16]byte(b[8:24]))
	seg.Dst = netip.AddrFrom16([16]byte(b[24:40]))
	data := b[40:]
	if len(data) > plen {
		data = data[:plen]
	}
extensions:
	for i := 0; i < 8 && next != ipProtoTCP && next != ipProtoICMPv6; i++ {
		switch next {
		case ip6HopByHop, ip6Routing, ip6DestOpts:
			if len(data) < 8 {
				return ErrTruncated
			}
			n := (int(data[1]) + 1) * 8
			if n > len(data) || n > plen {
				return ErrTruncated
			}
			next, data, plen = data[0], data[n:], plen-n
		case ip6Fragment:
			if len(data) < 8 {
				return ErrTruncated
			}
			if f := binary.BigEndian.Uint16(data[2:4]); f&0xfff9 != 0 {
				next := data[0]
				if next != ipProtoTCP && next != ipProtoICMPv6 && !isTunnel(next) {
					return ErrNotTCP
				}
				if fr := seg.frag; fr != nil {
					*fr = fragment{header: b[:40], data: data[8:], offset: int(f & 0xfff8), more: f&1 != 0,
						key: fragKey{src: netip.AddrFrom16([16]byte(b[8:24])), dst: netip.AddrFrom16([16]byte(b[24:40])),
							id: binary.BigEndian.Uint32(data[4:8]), proto: next, v6: true}}
				}
				return ErrFragment
			}
			next, data, plen = data[0], data[8:], plen-8
		case ip6AH:
			if len(data) < 8 {
				return ErrTruncated
			}
			n := (int(data[1]) + 2) * 4
			if n > len(data) || n > plen {
				return ErrTruncated
			}
			next, data, plen = data[0], data[n:], plen-n
		default:
			break extensions
		}
	}
	if isTunnel(next) {
		return decodeTunnel(next, data, seg)
	}
	if next == ipProtoICMPv6 {
		return decodeICMPv6(data, seg)
	}
	if next != ipProtoTCP {
		return ErrNotTCP
	}
	return decodeTCP(data, plen, seg)
}

// decodeTCP reads the TCP header from b; ipLen is the TCP segment length the
// IP header announced, which may exceed len(b) when the capture was cut.
func decodeTCP(b []byte, ipLen int, seg *Segment) error {
	if len(b) < 20 {
		return ErrTruncated
	}
	off := int(b[12]>>4) * 4
	if off < 20 || ipLen < off {
		return ErrMalformed
	}
	seg.SrcPort = binary.BigEndian.Uint16(b[0:2])
	seg.DstPort = binary.BigEndian.Uint16(b[2:4])
	seg.Seq = binary.BigEndian.Uint32(b[4:8])
	seg.Ack = binary.BigEndian.Uint32(b[8:12])
	seg.Flags = Flags(b[13])
	seg.Window = binary.BigEndian.Uint16(b[14:16])
	seg.PayloadLen = ipLen - off
	if len(b) < off {
		// Options cut by the snapshot length: the flags are still good.
		seg.Payload = b[len(b):]
		return nil
	}
	parseOptions(b[20:off], seg)
	seg.Payload = b[off:]
	if len(seg.Payload) > seg.PayloadLen {
		seg.Payload = seg.Payload[:seg.PayloadLen]
	}
	return nil
}

// parseOptions records the options it can read and stops, without failing
// the segment, at the first malformed one: middleboxes send odd options and
// the flags must still count.
func parseOptions(o []byte, seg *Segment) {
	// Nearly every segment after the handshake carries NOP, NOP, timestamps:
	// read them at once (what the loop below makes of them).
	if len(o) == 12 && binary.BigEndian.Uint32(o) == 0x0101080a {
		seg.Options |= OptTimestamp
		seg.TSVal = binary.BigEndian.Uint32(o[4:8])
		seg.TSEcr = binary.BigEndian.Uint32(o[8:12])
		return
	}
	parseEachOption(o, seg)
}

func parseEachOption(o []byte, seg *Segment) {
	for len(o) > 0 {
		kind := o[0]
		if kind == 0 {
			return
		}
		if kind == 1 {
			o = o[1:]
			continue
		}
		if len(o) < 2 {
			return
		}
		n := int(o[1])
		if n < 2 || n > len(o) {
			return
		}
		v := o[2:n]
		switch kind {
		case 2:
			if len(v) == 2 {
				seg.Options |= OptMSS
				seg.MSS = binary.BigEndian.Uint16(v)
			}
		case 3:
			if len(v) == 1 {
				seg.Options |= OptWScale
				seg.WScale = v[0]
			}
		case 4:
			seg.Options |= OptSACKPerm
		case 5:
			seg.Options |= OptSACK
		case 8:
			if len(v) == 8 {
				seg.Options |= OptTimestamp
				seg.TSVal = binary.BigEndian.Uint32(v[0:4])
				seg.TSEcr = binary.BigEndian.Uint32(v[4:8])
			}
		case 19:
			seg.Options |= OptMD5
		case 29:
			seg.Options |= OptAO
		default:
			seg.Options |= OptOther
		}
		o = o[n:]
	}
}

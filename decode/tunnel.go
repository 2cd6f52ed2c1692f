package decode

import "encoding/binary"

// Tunnels: what a traffic mirror or an overlay network wraps around the
// packets an endpoint sent. AWS VPC Traffic Mirroring delivers them in
// VXLAN, AWS Gateway Load Balancer in Geneve, a switch's ERSPAN session in
// GRE, Kubernetes overlays (flannel) in VXLAN on port 8472. Decode removes
// the wrapping and reads the packet inside, so its addresses, TTL and
// sequence numbers are the endpoints', as if captured where the mirror was.

// maxTunnels bounds the nesting Decode follows: a packet crafted to nest
// without end costs a few headers, not a loop.
const maxTunnels = 4

// UDP ports of the tunnels Decode opens: VXLAN's (RFC 7348), the Linux
// kernel's older VXLAN default that flannel keeps, and Geneve's (RFC 8926).
const (
	portVXLAN      = 4789
	portVXLANLinux = 8472
	portGeneve     = 6081
)

// EtherTypes carried by GRE and Geneve.
const (
	etherBridged  = 0x6558 // transparent Ethernet bridging: an Ethernet frame follows
	etherERSPAN2  = 0x88be // ERSPAN type II (type I when GRE carries no sequence number)
	etherERSPAN3  = 0x22eb // ERSPAN type III
	greChecksum   = 0x80
	greRouting    = 0x40
	greKey        = 0x20
	greSequence   = 0x10
	vxlanValidVNI = 0x08
)

func isTunnel(proto uint8) bool {
	return proto == ipProtoGRE || proto == ipProtoUDP || proto == ipProtoIPIP || proto == ipProtoIPv6
}

// decodeTunnel reads the packet inside b, the payload of an IP packet of
// protocol proto. The outer headers' facts are dropped: only where the
// frame came from (direction, interface) and the counts stay.
func decodeTunnel(proto uint8, b []byte, seg *Segment) error {
	if seg.Tunnels >= maxTunnels {
		return ErrNotTCP
	}
	seg.restart()
	seg.Tunnels++
	switch proto {
	case ipProtoIPIP:
		return decodeIPv4(b, seg)
	case ipProtoIPv6:
		return decodeIPv6(b, seg)
	case ipProtoGRE:
		return decodeGRE(b, seg)
	}
	return decodeUDPTunnel(b, seg)
}

// decodeGRE reads GRE (RFC 2784, with RFC 2890's key and sequence number)
// carrying IP, an Ethernet frame, or an ERSPAN type I, II or III mirror.
// PPTP's GRE (version 1) carries PPP and is not opened.
func decodeGRE(b []byte, seg *Segment) error {
	if len(b) < 4 {
		return ErrTruncated
	}
	flags, version := b[0], b[1]&0x07
	if version != 0 || flags&greRouting != 0 {
		return ErrNotIP
	}
	n := 4
	for _, f := range [...]uint8{greChecksum, greKey, greSequence} {
		if flags&f != 0 {
			n += 4
		}
	}
	if len(b) < n {
		return ErrTruncated
	}
	et, inner := binary.BigEndian.Uint16(b[2:4]), b[n:]
	switch et {
	case etherBridged:
		return decodeEthernet(inner, seg)
	case etherERSPAN2:
		if flags&greSequence == 0 { // type I: the mirrored frame at once
			return decodeEthernet(inner, seg)
		}
		if len(inner) < 8 {
			return ErrTruncated
		}
		return decodeEthernet(inner[8:], seg)
	case etherERSPAN3:
		if len(inner) < 12 {
			return ErrTruncated
		}
		if ft := inner[10] >> 2 & 0x1f; ft != 0 { // frame type 0: Ethernet
			return ErrNotIP
		}
		n := 12
		if inner[11]&0x01 != 0 { // O: a platform-specific subheader follows
			n += 8
		}
		if len(inner) < n {
			return ErrTruncated
		}
		return decodeEthernet(inner[n:], seg)
	}
	return decodeEtherType(et, inner, seg)
}

// tunnelPort tells whether UDP header b goes to a tunnel's port.
func tunnelPort(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	port := binary.BigEndian.Uint16(b[2:4])
	return port == portVXLAN || port == portVXLANLinux || port == portGeneve
}

// decodeUDPTunnel reads VXLAN or Geneve by the UDP destination port; any
// other UDP is not rstsniff's.
func decodeUDPTunnel(b []byte, seg *Segment) error {
	if !tunnelPort(b) {
		return ErrNotTCP // another port, or not even the port tells
	}
	port := binary.BigEndian.Uint16(b[2:4])
	if len(b) < 8 {
		return ErrTruncated
	}
	h := b[8:]
	switch port {
	case portVXLAN, portVXLANLinux:
		if len(h) < 8 {
			return ErrTruncated
		}
		if h[0]&vxlanValidVNI == 0 {
			return ErrNotIP
		}
		return decodeEthernet(h[8:], seg)
	case portGeneve:
		if len(h) < 8 {
			return ErrTruncated
		}
		if h[0]>>6 != 0 { // version 0 is the only one
			return ErrNotIP
		}
		n := 8 + int(h[0]&0x3f)*4
		if len(h) < n {
			return ErrTruncated
		}
		et := binary.BigEndian.Uint16(h[2:4])
		if et == etherBridged {
			return decodeEthernet(h[n:], seg)
		}
		return decodeEtherType(et, h[n:], seg)
	}
	return ErrNotTCP
}

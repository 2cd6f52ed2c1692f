package decode

import (
	"encoding/binary"
	"net/netip"
	"testing"
)

var (
	outer4 = netip.MustParseAddr("192.0.2.10")
	outer6 = netip.MustParseAddr("2001:db8:ffff::10")
)

// outerIPv4 wraps p in an IPv4 header of protocol proto between the
// tunnel's own endpoints, TTL 255 (as AWS mirrors send it).
func outerIPv4(proto byte, p []byte) []byte {
	h := make([]byte, 20)
	h[0] = 0x45
	binary.BigEndian.PutUint16(h[2:], uint16(20+len(p)))
	h[8], h[9] = 255, proto
	copy(h[12:], outer4.AsSlice())
	copy(h[16:], outer4.Next().AsSlice())
	return append(h, p...)
}

func outerIPv6(next byte, p []byte) []byte {
	h := make([]byte, 40)
	binary.BigEndian.PutUint32(h[0:], 6<<28|0xabcde)
	binary.BigEndian.PutUint16(h[4:], uint16(len(p)))
	h[6], h[7] = next, 255
	copy(h[8:], outer6.AsSlice())
	copy(h[24:], outer6.Next().AsSlice())
	return append(h, p...)
}

// gre builds a GRE header with the given flags (key and sequence fields
// filled when their flags are set) and protocol type.
func gre(flags byte, et uint16, p []byte) []byte {
	h := []byte{flags, 0, byte(et >> 8), byte(et)}
	for _, f := range []byte{greChecksum, greKey, greSequence} {
		if flags&f != 0 {
			h = append(h, 0, 0, 0, 7)
		}
	}
	return append(h, p...)
}

func udp(dport uint16, p []byte) []byte {
	h := make([]byte, 8)
	binary.BigEndian.PutUint16(h[0:], 49152)
	binary.BigEndian.PutUint16(h[2:], dport)
	binary.BigEndian.PutUint16(h[4:], uint16(8+len(p)))
	return append(h, p...)
}

func vxlan(p []byte) []byte { return append([]byte{0x08, 0, 0, 0, 0x12, 0x34, 0x56, 0}, p...) }

func geneve(optWords int, et uint16, p []byte) []byte {
	h := []byte{byte(optWords), 0, byte(et >> 8), byte(et), 0, 0, 0x2a, 0}
	return append(append(h, make([]byte, optWords*4)...), p...)
}

func erspan2(p []byte) []byte { return append([]byte{0x10, 0x64, 0x00, 0x01, 0, 0, 0, 0}, p...) }

func erspan3(sub bool, p []byte) []byte {
	h := []byte{0x20, 0x64, 0x00, 0x01, 1, 2, 3, 4, 0, 0, 0, 0}
	if sub {
		h[11] |= 0x01
		h = append(h, make([]byte, 8)...)
	}
	return append(h, p...)
}

func TestDecodeTunnels(t *testing.T) {
	const payload = "SSH-2.0-OpenSSH_9.2p1\r\n"
	p4, p6 := ipv4(tcpHeader(payload)), ipv6(tcpHeader(payload))
	e4 := ether(etherIPv4, 1, p4)
	cases := []struct {
		name    string
		frame   []byte
		v6      bool
		tunnels uint8
	}{
		{"GRE IPv4", ether(etherIPv4, 0, outerIPv4(ipProtoGRE, gre(0, etherIPv4, p4))), false, 1},
		{"GRE key+seq+checksum IPv6", ether(etherIPv4, 0, outerIPv4(ipProtoGRE, gre(greChecksum|greKey|greSequence, etherIPv6, p6))), true, 1},
		{"GRE bridged Ethernet", ether(etherIPv4, 0, outerIPv4(ipProtoGRE, gre(greKey, etherBridged, e4))), false, 1},
		{"ERSPAN I", ether(etherIPv4, 0, outerIPv4(ipProtoGRE, gre(0, etherERSPAN2, e4))), false, 1},
		{"ERSPAN II", ether(etherIPv4, 0, outerIPv4(ipProtoGRE, gre(greSequence, etherERSPAN2, erspan2(e4)))), false, 1},
		{"ERSPAN III", ether(etherIPv4, 0, outerIPv4(ipProtoGRE, gre(greSequence, etherERSPAN3, erspan3(false, e4)))), false, 1},
		{"ERSPAN III subheader", ether(etherIPv4, 0, outerIPv4(ipProtoGRE, gre(greSequence, etherERSPAN3, erspan3(true, e4)))), false, 1},
		{"GRE over IPv6", ether(etherIPv6, 0, outerIPv6(ipProtoGRE, gre(0, etherIPv4, p4))), false, 1},
		{"VXLAN", ether(etherIPv4, 0, outerIPv4(ipProtoUDP, udp(portVXLAN, vxlan(e4)))), false, 1},
		{"VXLAN flannel port", ether(etherIPv4, 0, outerIPv4(ipProtoUDP, udp(portVXLANLinux, vxlan(ether(etherIPv6, 0, p6))))), true, 1},
		{"VXLAN over IPv6", ether(etherIPv6, 0, outerIPv6(ipProtoUDP, udp(portVXLAN, vxlan(e4)))), false, 1},
		{"Geneve Ethernet", ether(etherIPv4, 0, outerIPv4(ipProtoUDP, udp(portGeneve, geneve(0, etherBridged, e4)))), false, 1},
		{"Geneve options IPv4", ether(etherIPv4, 0, outerIPv4(ipProtoUDP, udp(portGeneve, geneve(3, etherIPv4, p4)))), false, 1},
		{"IP in IP", outerIPv4(ipProtoIPIP, p4), false, 1},
		{"IPv6 in IPv4", outerIPv4(ipProtoIPv6, p6), true, 1},
		{"IPv4 in IPv6", outerIPv6(ipProtoIPIP, p4), false, 1},
		{"VXLAN in GRE", ether(etherIPv4, 0, outerIPv4(ipProtoGRE, gre(0, etherIPv4, outerIPv4(ipProtoUDP, udp(portVXLAN, vxlan(e4)))))), false, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			link := LinkEthernet
			if c.frame[0]>>4 == 4 || c.frame[0]>>4 == 6 {
				link = LinkRaw
			}
			var s Segment
			if err := Decode(c.frame, link, &s); err != nil {
				t.Fatal(err)
			}
			src, dst, ttl, ipv := cli4, srv4, uint8(63), uint8(4)
			if c.v6 {
				src, dst, ttl, ipv = cli6, srv6, 62, 6
			}
			if s.Src != src || s.Dst != dst || s.TTL != ttl || s.IPVersion != ipv {
				t.Errorf("inner %v > %v TTL %d IPv%d, want %v > %v TTL %d IPv%d", s.Src, s.Dst, s.TTL, s.IPVersion, src, dst, ttl, ipv)
			}
			if s.SrcPort != 33186 || s.DstPort != 22 || s.Seq != 1000 || string(s.Payload) != payload || s.TSVal != 77777 {
				t.Errorf("inner TCP %d > %d seq %d payload %q TSval %d", s.SrcPort, s.DstPort, s.Seq, s.Payload, s.TSVal)
			}
			if s.Tunnels != c.tunnels {
				t.Errorf("Tunnels = %d, want %d", s.Tunnels, c.tunnels)
			}
			if !c.v6 && s.FlowLabel != 0 {
				t.Errorf("the outer IPv6 flow label %#x leaked into an IPv4 packet", s.FlowLabel)
			}
		})
	}
}

// Tunnels that carry no TCP, or that cannot be read, fail the way other
// frames do: only cut or broken headers count as undecodable.
func TestDecodeTunnelErrors(t *testing.T) {
	p4 := ipv4(tcpHeader("x"))
	e4 := ether(etherIPv4, 0, p4)
	nest := p4
	for i := 0; i < maxTunnels+1; i++ {
		nest = outerIPv4(ipProtoIPIP, nest)
	}
	dns := outerIPv4(ipProtoUDP, udp(53, make([]byte, 30)))
	inner := ether(etherIPv4, 0, outerIPv4(ipProtoUDP, udp(53, make([]byte, 12))))
	vx := outerIPv4(ipProtoUDP, udp(portVXLAN, vxlan(e4)))
	cases := []struct {
		name  string
		frame []byte
		want  error
	}{
		{"UDP, not a tunnel", dns, ErrNotTCP},
		{"DNS inside VXLAN", outerIPv4(ipProtoUDP, udp(portVXLAN, vxlan(inner))), ErrNotTCP},
		{"VXLAN without a VNI", outerIPv4(ipProtoUDP, udp(portVXLAN, append([]byte{0, 0, 0, 0, 0, 0, 0, 0}, e4...))), ErrNotIP},
		{"VXLAN header cut", vx[:20+8+4], ErrTruncated},
		{"inner TCP cut", vx[:len(vx)-len(p4)+24], ErrTruncated},
		{"PPTP GRE", outerIPv4(ipProtoGRE, []byte{0x30, 0x81, 0x88, 0x0b, 0, 0, 0, 0, 0, 0, 0, 0}), ErrNotIP},
		{"GRE with routing", outerIPv4(ipProtoGRE, gre(greRouting, etherIPv4, p4)), ErrNotIP},
		{"GRE key cut", outerIPv4(ipProtoGRE, []byte{greKey, 0, 0x08, 0}), ErrTruncated},
		{"ERSPAN III IP frame type", outerIPv4(ipProtoGRE, gre(greSequence, etherERSPAN3, append([]byte{0x20, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2 << 2, 0}, p4...))), ErrNotIP},
		{"Geneve version 1", outerIPv4(ipProtoUDP, udp(portGeneve, append([]byte{0x40, 0, 0x65, 0x58, 0, 0, 0, 0}, e4...))), ErrNotIP},
		{"Geneve options cut", outerIPv4(ipProtoUDP, udp(portGeneve, []byte{4, 0, 0x65, 0x58, 0, 0, 0, 0, 1, 2})), ErrTruncated},
		{"nested past the bound", nest, ErrNotTCP},
		// Fragments of what may carry TCP are left to a Reassembler
		// (ErrFragment), first or later; of anything else, not.
		{"VXLAN, first fragment", setFrag(vx, 0x2000), ErrFragment},
		{"VXLAN, later fragment", setFrag(vx, 0x00b9), ErrFragment},
		{"DNS, first fragment", setFrag(dns, 0x2000), ErrFragment},
		{"GRE, first fragment", setFrag(outerIPv4(ipProtoGRE, gre(0, etherIPv4, p4)), 0x2000), ErrFragment},
		{"ESP, first fragment", setFrag(outerIPv4(50, make([]byte, 40)), 0x2000), ErrNotTCP},
		{"TCP in IPv6, first fragment", ipv6Frag(ipProtoTCP, 0x0001, tcpHeader("x")), ErrFragment},
		{"TCP in IPv6, later fragment", ipv6Frag(ipProtoTCP, 0x00b8, tcpHeader("x")), ErrFragment},
		{"VXLAN in IPv6, first fragment", ipv6Frag(ipProtoUDP, 0x0001, udp(portVXLAN, vxlan(e4))), ErrFragment},
		{"ESP in IPv6, first fragment", ipv6Frag(50, 0x0001, make([]byte, 30)), ErrNotTCP},
	}
	for _, c := range cases {
		var s Segment
		if err := Decode(c.frame, LinkRaw, &s); err != c.want {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

// A frame in a tunnel is decoded without allocating, as any other.
func TestDecodeTunnelNoAllocs(t *testing.T) {
	frame := ether(etherIPv4, 0, outerIPv4(ipProtoUDP, udp(portVXLAN, vxlan(ether(etherIPv4, 0, ipv4(tcpHeader("x")))))))
	var s Segment
	if n := testing.AllocsPerRun(100, func() { _ = Decode(frame, LinkEthernet, &s) }); n != 0 {
		t.Errorf("%v allocations per frame", n)
	}
}

// setFrag returns a copy of IPv4 packet p with its fragment field set.
func setFrag(p []byte, f uint16) []byte {
	q := append([]byte(nil), p...)
	binary.BigEndian.PutUint16(q[6:], f)
	return q
}

// ipv6Frag is an IPv6 packet whose fragment header (offset and M flag in
// f) announces next and carries p.
func ipv6Frag(next byte, f uint16, p []byte) []byte {
	fh := []byte{next, 0, byte(f >> 8), byte(f), 0, 0, 0, 1}
	return outerIPv6(ip6Fragment, append(fh, p...))
}

package decode

import "testing"

func mpls(labels int, p []byte) []byte {
	var h []byte
	for i := 0; i < labels; i++ {
		e := []byte{0, 0x10 + byte(i), 0, 64} // label 256+i, TTL 64
		if i == labels-1 {
			e[2] |= 0x01 // bottom of stack
		}
		h = append(h, e...)
	}
	return append(h, p...)
}

func pppoe(proto uint16, p []byte) []byte {
	h := []byte{0x11, 0, 0x12, 0x34, byte((len(p) + 2) >> 8), byte(len(p) + 2), byte(proto >> 8), byte(proto)}
	return append(h, p...)
}

func TestDecodeShims(t *testing.T) {
	p4, p6 := ipv4(tcpHeader("x")), ipv6(tcpHeader("x"))
	for _, c := range []struct {
		name  string
		frame []byte
		want  error
		v6    bool
	}{
		{"MPLS, one label", ether(etherMPLS, 0, mpls(1, p4)), nil, false},
		{"MPLS, three labels, IPv6", ether(etherMPLS, 0, mpls(3, p6)), nil, true},
		{"MPLS multicast behind a VLAN tag", ether(etherMPLSMulticast, 1, mpls(2, p4)), nil, false},
		{"MPLS, no bottom label", ether(etherMPLS, 0, mpls(0, append([]byte{0, 0x10, 0, 64}, p4...))), ErrNotIP, false},
		{"MPLS, stack cut", ether(etherMPLS, 0, []byte{0, 0x10})[:16], ErrTruncated, false},
		{"PPPoE IPv4", ether(etherPPPoE, 0, pppoe(pppIPv4, p4)), nil, false},
		{"PPPoE IPv6", ether(etherPPPoE, 0, pppoe(pppIPv6, p6)), nil, true},
		{"PPPoE LCP", ether(etherPPPoE, 0, pppoe(0xc021, make([]byte, 20))), ErrNotIP, false},
		{"PPPoE discovery code", ether(etherPPPoE, 0, append([]byte{0x11, 0x09}, make([]byte, 30)...)), ErrNotIP, false},
	} {
		var s Segment
		err := Decode(c.frame, LinkEthernet, &s)
		if err != c.want {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
			continue
		}
		src := cli4
		if c.v6 {
			src = cli6
		}
		if err == nil && (s.Src != src || s.DstPort != 22 || string(s.Payload) != "x") {
			t.Errorf("%s: %v port %d payload %q", c.name, s.Src, s.DstPort, s.Payload)
		}
	}
}

package decode

import (
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"testing"
)

var (
	cli4 = netip.MustParseAddr("198.51.100.2")
	srv4 = netip.MustParseAddr("203.0.113.2")
	cli6 = netip.MustParseAddr("2001:db8:1::2")
	srv6 = netip.MustParseAddr("2001:db8:2::2")
)

// tcpHeader is a RST+ACK-free data segment carrying timestamps and a NOP
// pad, as Linux sends them, followed by payload.
func tcpHeader(payload string) []byte {
	h := make([]byte, 32)
	binary.BigEndian.PutUint16(h[0:], 33186)
	binary.BigEndian.PutUint16(h[2:], 22)
	binary.BigEndian.PutUint32(h[4:], 1000)
	binary.BigEndian.PutUint32(h[8:], 2000)
	h[12] = 8 << 4 // 32-byte header
	h[13] = byte(PSH | ACK)
	binary.BigEndian.PutUint16(h[14:], 501)
	h[20], h[21] = 1, 1                       // NOP NOP
	h[22], h[23] = 8, 10                      // timestamps
	binary.BigEndian.PutUint32(h[24:], 77777) // TSval
	binary.BigEndian.PutUint32(h[28:], 88888) // TSecr
	return append(h, payload...)
}

func ipv4(tcp []byte) []byte {
	h := make([]byte, 20)
	h[0] = 0x45
	binary.BigEndian.PutUint16(h[2:], uint16(20+len(tcp)))
	binary.BigEndian.PutUint16(h[4:], 0x1234)
	h[6] = 0x40 // DF
	h[8] = 63
	h[9] = 6
	copy(h[12:], cli4.AsSlice())
	copy(h[16:], srv4.AsSlice())
	return append(h, tcp...)
}

// ipv6 builds an IPv6 packet with a hop-by-hop and a destination options
// extension header before TCP.
func ipv6(tcp []byte) []byte {
	ext := []byte{60, 0, 1, 4, 0, 0, 0, 0, /* hop-by-hop -> dest opts */
		6, 0, 1, 4, 0, 0, 0, 0 /* dest opts -> TCP */}
	h := make([]byte, 40)
	binary.BigEndian.PutUint32(h[0:], 6<<28|0x12345)
	binary.BigEndian.PutUint16(h[4:], uint16(len(ext)+len(tcp)))
	h[6] = 0 // hop-by-hop
	h[7] = 62
	copy(h[8:], cli6.AsSlice())
	copy(h[24:], srv6.AsSlice())
	return append(append(h, ext...), tcp...)
}

func ether(et uint16, vlans int, p []byte) []byte {
	f := make([]byte, 12)
	for i := 0; i < vlans; i++ {
		tag := uint16(0x8100)
		if i == 0 && vlans > 1 {
			tag = 0x88a8
		}
		f = binary.BigEndian.AppendUint16(f, tag)
		f = binary.BigEndian.AppendUint16(f, uint16(100+i))
	}
	f = binary.BigEndian.AppendUint16(f, et)
	f = append(f, p...)
	return append(f, 0, 0, 0, 0) // Ethernet padding past the IP length
}

func sll(et uint16, pktType uint16, p []byte) []byte {
	f := make([]byte, 16)
	binary.BigEndian.PutUint16(f[0:], pktType)
	binary.BigEndian.PutUint16(f[14:], et)
	return append(f, p...)
}

func sll2(et uint16, pktType byte, p []byte) []byte {
	f := make([]byte, 20)
	binary.BigEndian.PutUint16(f[0:], et)
	binary.BigEndian.PutUint32(f[4:], 7)
	f[10] = pktType
	return append(f, p...)
}

func null(af uint32, big bool, p []byte) []byte {
	f := make([]byte, 4)
	if big {
		binary.BigEndian.PutUint32(f, af)
	} else {
		binary.LittleEndian.PutUint32(f, af)
	}
	return append(f, p...)
}

func TestDecodeLinkTypes(t *testing.T) {
	const payload = "SSH-2.0-OpenSSH_9.2p1\r\n"
	p4, p6 := ipv4(tcpHeader(payload)), ipv6(tcpHeader(payload))
	cases := []struct {
		name  string
		link  LinkType
		frame []byte
		v6    bool
		dir   Direction
		vlans uint8
		ifidx int32
	}{
		{"ethernet ipv4", LinkEthernet, ether(0x0800, 0, p4), false, DirUnknown, 0, -1},
		{"ethernet ipv6", LinkEthernet, ether(0x86dd, 0, p6), true, DirUnknown, 0, -1},
		{"802.1Q", LinkEthernet, ether(0x0800, 1, p4), false, DirUnknown, 1, -1},
		{"QinQ", LinkEthernet, ether(0x86dd, 2, p6), true, DirUnknown, 2, -1},
		{"sll outgoing", LinkLinuxSLL, sll(0x0800, 4, p4), false, DirOut, 0, -1},
		{"sll host", LinkLinuxSLL, sll(0x86dd, 0, p6), true, DirIn, 0, -1},
		{"sll2", LinkSLL2, sll2(0x0800, 4, p4), false, DirOut, 0, 7},
		{"sll2 ipv6", LinkSLL2, sll2(0x86dd, 0, p6), true, DirIn, 0, 7},
		{"raw 101 v4", LinkRaw, p4, false, DirUnknown, 0, -1},
		{"raw 101 v6", LinkRaw, p6, true, DirUnknown, 0, -1},
		{"DLT_RAW 12", LinkRawDLT12, p4, false, DirUnknown, 0, -1},
		{"DLT_RAW 14", LinkRawDLT14, p6, true, DirUnknown, 0, -1},
		{"ipv4 228", LinkIPv4, p4, false, DirUnknown, 0, -1},
		{"ipv6 229", LinkIPv6, p6, true, DirUnknown, 0, -1},
		{"null little-endian v4", LinkNull, null(2, false, p4), false, DirUnknown, 0, -1},
		{"null big-endian v6 darwin", LinkNull, null(30, true, p6), true, DirUnknown, 0, -1},
		{"null linux v6", LinkNull, null(10, false, p6), true, DirUnknown, 0, -1},
		{"loop", LinkLoop, null(24, true, p6), true, DirUnknown, 0, -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var s Segment
			if err := Decode(c.frame, c.link, &s); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			wantSrc, wantDst, ttl := cli4, srv4, uint8(63)
			if c.v6 {
				wantSrc, wantDst, ttl = cli6, srv6, 62
			}
			if s.Src != wantSrc || s.Dst != wantDst || s.SrcPort != 33186 || s.DstPort != 22 {
				t.Errorf("addresses %v:%d > %v:%d", s.Src, s.SrcPort, s.Dst, s.DstPort)
			}
			if s.TTL != ttl || s.Seq != 1000 || s.Ack != 2000 || s.Flags != PSH|ACK || s.Window != 501 {
				t.Errorf("fields ttl=%d seq=%d ack=%d flags=%v win=%d", s.TTL, s.Seq, s.Ack, s.Flags, s.Window)
			}
			if s.Options != OptTimestamp || s.TSVal != 77777 || s.TSEcr != 88888 {
				t.Errorf("options %b ts %d/%d", s.Options, s.TSVal, s.TSEcr)
			}
			if string(s.Payload) != payload || s.PayloadLen != len(payload) {
				t.Errorf("payload %q (%d)", s.Payload, s.PayloadLen)
			}
			if c.v6 && (s.FlowLabel != 0x12345 || s.IPVersion != 6) {
				t.Errorf("flow label %x version %d", s.FlowLabel, s.IPVersion)
			}
			if !c.v6 && (s.IPID != 0x1234 || !s.DF || s.IPVersion != 4) {
				t.Errorf("ip id %x df %v version %d", s.IPID, s.DF, s.IPVersion)
			}
			if s.Direction != c.dir || s.VLANs != c.vlans || s.IfIndex != c.ifidx {
				t.Errorf("direction %d vlans %d ifindex %d", s.Direction, s.VLANs, s.IfIndex)
			}
		})
	}
}

// A frame cut by the snapshot length keeps the payload length from the IP
// header, so byte counts and sequence tracking stay right.
func TestDecodeSnaplen(t *testing.T) {
	f := ether(0x0800, 0, ipv4(tcpHeader("SSH-2.0-OpenSSH_9.2p1\r\n")))
	var s Segment
	if err := Decode(f[:14+20+32+5], LinkEthernet, &s); err != nil {
		t.Fatal(err)
	}
	if s.PayloadLen != 23 || string(s.Payload) != "SSH-2" {
		t.Errorf("payload %q, length %d", s.Payload, s.PayloadLen)
	}
	// Options cut off: flags still decoded.
	if err := Decode(f[:14+20+24], LinkEthernet, &s); err != nil {
		t.Fatal(err)
	}
	if s.Flags != PSH|ACK || len(s.Payload) != 0 || s.PayloadLen != 23 {
		t.Errorf("flags %v payload %d/%d", s.Flags, len(s.Payload), s.PayloadLen)
	}
}

// Every prefix of every frame decodes or fails cleanly; none panics, and a
// frame too short for the TCP header never yields a segment.
func TestDecodeTruncated(t *testing.T) {
	p4, p6 := ipv4(tcpHeader("hello")), ipv6(tcpHeader("hello"))
	frames := map[LinkType][]byte{
		LinkEthernet: ether(0x86dd, 2, p6),
		LinkLinuxSLL: sll(0x0800, 0, p4),
		LinkSLL2:     sll2(0x86dd, 0, p6),
		LinkRaw:      p4,
		LinkNull:     null(2, false, p4),
	}
	hdr := map[LinkType]int{LinkEthernet: 14 + 8 + 40 + 16 + 20, LinkLinuxSLL: 16 + 40, LinkSLL2: 20 + 40 + 16 + 20, LinkRaw: 40, LinkNull: 44}
	for lt, f := range frames {
		for n := 0; n <= len(f); n++ {
			var s Segment
			err := Decode(f[:n], lt, &s)
			if n < hdr[lt] && err == nil {
				t.Errorf("link %d: %d of %d bytes decoded without error", lt, n, len(f))
			}
		}
	}
}

func TestDecodeNotTCP(t *testing.T) {
	udp := ipv4(tcpHeader(""))
	udp[9] = 17
	frag := ipv4(tcpHeader(""))
	frag[6] = 0x20 // more fragments
	arp := ether(0x0806, 0, make([]byte, 28))
	for name, c := range map[string]struct {
		f    []byte
		lt   LinkType
		want error
	}{
		"udp":      {udp, LinkRaw, ErrNotTCP},
		"fragment": {frag, LinkRaw, ErrFragment},
		"arp":      {arp, LinkEthernet, ErrNotIP},
		"unknown":  {udp, LinkType(147), ErrUnsupportedLink},
	} {
		var s Segment
		if err := Decode(c.f, c.lt, &s); err != c.want {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
}

// A malformed option stops option parsing but keeps the segment: the RST
// flag must still count (gopacket before v1.7.7 dropped the TCP layer).
func TestDecodeBadOption(t *testing.T) {
	tcp := tcpHeader("")
	tcp[13] = byte(RST | ACK)
	tcp[20], tcp[21] = 8, 40 // timestamp option claiming 40 bytes
	var s Segment
	if err := Decode(ipv4(tcp), LinkRaw, &s); err != nil {
		t.Fatal(err)
	}
	if s.Flags != RST|ACK || s.Options&OptTimestamp != 0 {
		t.Errorf("flags %v options %b", s.Flags, s.Options)
	}
}

func TestDecodeNoAllocs(t *testing.T) {
	frames := []struct {
		f  []byte
		lt LinkType
	}{
		{ether(0x0800, 1, ipv4(tcpHeader("SSH-2.0-x\r\n"))), LinkEthernet},
		{sll2(0x86dd, 0, ipv6(tcpHeader("SSH-2.0-x\r\n"))), LinkSLL2},
	}
	var s Segment
	allocs := testing.AllocsPerRun(1000, func() {
		for _, f := range frames {
			if err := Decode(f.f, f.lt, &s); err != nil {
				t.Fatal(err)
			}
		}
	})
	if allocs != 0 {
		t.Errorf("Decode allocates %.1f times per run, want 0", allocs)
	}
}

func BenchmarkDecode(b *testing.B) {
	f := ether(0x0800, 0, ipv4(tcpHeader("SSH-2.0-OpenSSH_9.2p1\r\n")))
	var s Segment
	b.ReportAllocs()
	b.SetBytes(int64(len(f)))
	for i := 0; i < b.N; i++ {
		if err := Decode(f, LinkEthernet, &s); err != nil {
			b.Fatal(err)
		}
	}
}

func TestFlagsString(t *testing.T) {
	for f, want := range map[Flags]string{SYN: "S", SYN | ACK: "S.", RST: "R", RST | ACK: "R.", FIN | PSH | ACK: "FP.", 0: "none"} {
		if got := f.String(); got != want {
			t.Errorf("%08b: %q, want %q", uint8(f), got, want)
		}
	}
}

// icmpError wraps the start of a quoted packet in an ICMP (proto 1) or
// ICMPv6 (58) error sent by from, the way routers and REJECT rules do.
func icmpError(v6 bool, typ, code byte, rest uint32, from netip.Addr, quoted []byte) []byte {
	msg := []byte{typ, code, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(msg[4:], rest)
	msg = append(msg, quoted...)
	if !v6 {
		p := ipv4(msg)
		p[9] = 1
		copy(p[12:], from.AsSlice())
		copy(p[16:], cli4.AsSlice())
		return p
	}
	h := make([]byte, 40)
	binary.BigEndian.PutUint32(h[0:], 6<<28)
	binary.BigEndian.PutUint16(h[4:], uint16(len(msg)))
	h[6], h[7] = 58, 61
	copy(h[8:], from.AsSlice())
	copy(h[24:], cli6.AsSlice())
	return append(h, msg...)
}

// ipv6Plain is an IPv6 packet with TCP right after the fixed header, as an
// ICMPv6 error quotes it.
func ipv6Plain(tcp []byte) []byte {
	h := make([]byte, 40)
	binary.BigEndian.PutUint32(h[0:], 6<<28)
	binary.BigEndian.PutUint16(h[4:], uint16(len(tcp)))
	h[6], h[7] = 6, 64
	copy(h[8:], cli6.AsSlice())
	copy(h[24:], srv6.AsSlice())
	return append(h, tcp...)
}

func TestDecodeICMPErrors(t *testing.T) {
	router4, router6 := netip.MustParseAddr("198.51.100.1"), netip.MustParseAddr("2001:db8:1::1")
	syn := tcpHeader("")
	syn[13] = byte(SYN)
	q4 := ipv4(syn)[:28] // RFC 792: the IP header and 8 bytes of TCP
	q6 := ipv6Plain(syn)[:48]
	for name, c := range map[string]struct {
		f              []byte
		typ, code      uint8
		mtu            uint32
		from, src, dst netip.Addr
	}{
		"host prohibited":   {icmpError(false, 3, 10, 0, srv4, q4), 3, 10, 0, srv4, cli4, srv4},
		"frag needed":       {icmpError(false, 3, 4, 1000, router4, q4), 3, 4, 1000, router4, cli4, srv4},
		"ttl exceeded":      {icmpError(false, 11, 0, 0, router4, q4), 11, 0, 0, router4, cli4, srv4},
		"v6 adm prohibited": {icmpError(true, 1, 1, 0, srv6, q6), 1, 1, 0, srv6, cli6, srv6},
		"v6 too big":        {icmpError(true, 2, 0, 1280, router6, q6), 2, 0, 1280, router6, cli6, srv6},
	} {
		et := uint16(0x0800)
		if c.f[0]>>4 == 6 {
			et = 0x86dd
		}
		var s Segment
		if err := Decode(ether(et, 0, c.f), LinkEthernet, &s); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !s.ICMP || s.ICMPType != c.typ || s.ICMPCode != c.code || s.ICMPMTU != c.mtu || s.ICMPFrom != c.from ||
			s.Src != c.src || s.Dst != c.dst || s.SrcPort != 33186 || s.DstPort != 22 || s.Seq != 1000 || s.Flags != 0 || s.PayloadLen != 0 {
			t.Errorf("%s: %+v", name, s)
		}
	}
	// Not about TCP, or cut too short to name the connection: not ours.
	udp := ipv4(syn)
	udp[9] = 17
	echo := icmpError(false, 8, 0, 0, srv4, q4)
	for name, f := range map[string][]byte{
		"about udp":   icmpError(false, 3, 3, 0, srv4, udp[:28]),
		"echo":        echo,
		"short quote": icmpError(false, 3, 3, 0, srv4, q4[:24]),
		"v6 short":    icmpError(true, 1, 4, 0, srv6, q6[:44]),
	} {
		var s Segment
		if err := Decode(f, LinkRaw, &s); err != ErrNotTCP || s.ICMP {
			t.Errorf("%s: %v, ICMP %v; want ErrNotTCP", name, err, s.ICMP)
		}
	}
}

// The shortcut for NOP, NOP, timestamps reads what the option loop reads,
// and only then.
func TestTimestampShortcut(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 100000 {
		o := make([]byte, 4*r.IntN(11))
		for j := range o {
			o[j] = byte(r.IntN(256))
		}
		if len(o) == 12 && i%2 == 0 {
			copy(o, []byte{1, 1, 8, 10})
		}
		var got, want Segment
		parseOptions(o, &got)
		parseEachOption(o, &want)
		if got.Options != want.Options || got.TSVal != want.TSVal || got.TSEcr != want.TSEcr || got.MSS != want.MSS || got.WScale != want.WScale {
			t.Fatalf("options % x: %+v, want %+v", o, got, want)
		}
	}
}

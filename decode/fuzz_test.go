package decode

import (
	"encoding/binary"
	"os"
	"testing"
)

// labFrames returns the frames of a lab capture (classic pcap, little-endian)
// without any capture library.
func labFrames(t testing.TB, path string) [][]byte {
	b, err := os.ReadFile(path)
	if err != nil || len(b) < 24 {
		t.Fatalf("%s: %v", path, err)
	}
	var out [][]byte
	for o := 24; o+16 <= len(b); {
		n := int(binary.LittleEndian.Uint32(b[o+8:]))
		if o+16+n > len(b) {
			break
		}
		out = append(out, b[o+16:o+16+n])
		o += 16 + n
	}
	return out
}

// FuzzDecode: any frame of any link type decodes or fails cleanly; a decoded
// payload never claims more than the IP header announced.
func FuzzDecode(f *testing.F) {
	for _, fr := range labFrames(f, "../testdata/pcaps/reject-banner/capture.pcap") {
		f.Add(fr, uint16(LinkEthernet))
	}
	for _, fr := range labFrames(f, "../testdata/pcaps/any/capture.pcap")[:6] {
		f.Add(fr, uint16(LinkSLL2))
	}
	f.Add(ipv6(tcpHeader("SSH-2.0-x\r\n")), uint16(LinkRaw))
	f.Add(null(30, true, ipv6(tcpHeader(""))), uint16(LinkNull))
	f.Add(ether(0x86dd, 2, ipv6(tcpHeader("x"))), uint16(LinkEthernet))
	f.Add(ether(etherIPv4, 0, outerIPv4(ipProtoUDP, udp(portVXLAN, vxlan(ether(etherIPv4, 0, ipv4(tcpHeader("x"))))))), uint16(LinkEthernet))
	f.Add(outerIPv6(ipProtoGRE, gre(greSequence, etherERSPAN3, erspan3(true, ether(etherIPv4, 0, ipv4(tcpHeader("x")))))), uint16(LinkRaw))
	f.Add(outerIPv4(ipProtoUDP, udp(portGeneve, geneve(2, etherIPv6, ipv6(tcpHeader("x"))))), uint16(LinkRaw))
	f.Add(ether(etherMPLS, 0, mpls(2, ipv4(tcpHeader("x")))), uint16(LinkEthernet))
	f.Add(ether(etherPPPoE, 0, pppoe(pppIPv6, ipv6(tcpHeader("x")))), uint16(LinkEthernet))
	f.Fuzz(func(t *testing.T, frame []byte, link uint16) {
		var s Segment
		if err := Decode(frame, LinkType(link), &s); err != nil {
			return
		}
		if len(s.Payload) > s.PayloadLen || s.PayloadLen < 0 {
			t.Fatalf("payload %d of %d", len(s.Payload), s.PayloadLen)
		}
		if s.IPVersion != 4 && s.IPVersion != 6 {
			t.Fatalf("IP version %d", s.IPVersion)
		}
	})
}

package analyze

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/rstsniff/rstsniff/decode"
)

// FuzzWalker: any byte stream, split anywhere, leaves the walker's buffers
// within their bounds.
func FuzzWalker(f *testing.F) {
	f.Add(serverStream(), 10, false)
	f.Add([]byte("SSH-2.0-OpenSSH_9.2p1\r\n"), 3, true)
	f.Add(append([]byte("SSH-2.0-x\r\n"), packet(msgKexInit, kexinitBody(clientKex, "ssh-ed25519", "aes128-ctr", "hmac-sha2-256"))...), 100, true)
	f.Add([]byte("GET / HTTP/1.1\r\n"), 5, true)
	f.Fuzz(func(t *testing.T, data []byte, split int, client bool) {
		w := &walker{isClient: client}
		if split < 0 || split > len(data) {
			split = len(data) / 2
		}
		w.feed(data[:split])
		w.feed(data[split:])
		if len(w.line) > maxLineLen || len(w.preBanner) > keptPreBanner || cap(w.kexBuf) > maxKexInitKept || len(w.banner) > keptBannerLen {
			t.Fatalf("unbounded: line %d, pre-banner %d, kexinit buffer %d, banner %d", len(w.line), len(w.preBanner), cap(w.kexBuf), len(w.banner))
		}
	})
}

// FuzzAnalyzer reads the input as a series of segments (8 bytes each: flags,
// direction and client port, sequence and ACK steps, payload length, time
// step; the payload follows) and feeds them to one analyzer: whatever the
// order, flags and numbers, it must not panic and must hand every flow over.
func FuzzAnalyzer(f *testing.F) {
	f.Add([]byte{0x02, 0, 0, 0, 0, 0, 0, 1, 0x12, 1, 0, 1, 0, 1, 0, 1, 0x10, 0, 0, 1, 0, 1, 0, 1})
	f.Add(append([]byte{0x18, 1, 0, 1, 0, 1, 23, 2}, "SSH-2.0-OpenSSH_9.2p1\r\n"...))
	f.Add([]byte{0x04, 1, 0, 0, 0, 0, 0, 1, 0x14, 0, 0, 0, 0, 0, 0, 1, 0x11, 1, 0xff, 0xff, 0, 0, 0, 9})
	f.Add([]byte{0x02, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 3, 10, 0, 0, 0, 1}) // a SYN, then ICMP host prohibited
	f.Fuzz(func(t *testing.T, data []byte) {
		a := New(Config{MaxFlows: 8, KeepPackets: 6})
		t0 := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
		var seq, ack [2]uint32
		at := t0
		handed, frame := 0, 0
		for len(data) >= 8 {
			h := data[:8]
			data = data[8:]
			n := min(int(h[6]), len(data))
			payload := data[:n]
			data = data[n:]
			side := int(h[1] & 1)
			client := netip.AddrPortFrom(cAddr.Addr(), 40000+uint16(h[1]>>1))
			seq[side] += uint32(binary.BigEndian.Uint16(h[2:4]))
			ack[side] += uint32(binary.BigEndian.Uint16(h[4:6]))
			at = at.Add(time.Duration(h[7]) * 100 * time.Millisecond)
			s := decode.Segment{Src: client.Addr(), Dst: sAddr.Addr(), SrcPort: client.Port(), DstPort: 22, TTL: 64 - h[7]%3,
				Seq: seq[side], Ack: ack[side], Flags: decode.Flags(h[0]), Payload: payload, PayloadLen: n + int(h[0]&0x20), IfIndex: -1, IPVersion: 4}
			if side == 1 {
				s.Src, s.Dst, s.SrcPort, s.DstPort, s.TTL = sAddr.Addr(), client.Addr(), 22, client.Port(), 63
			}
			if h[0] == 0xff { // an ICMP error quoting this segment, from the other end
				s = decode.Segment{Src: s.Src, Dst: s.Dst, SrcPort: s.SrcPort, DstPort: s.DstPort, Seq: s.Seq, TTL: 60,
					IPVersion: 4, IfIndex: -1, ICMP: true, ICMPType: h[2] % 12, ICMPCode: h[3] % 17, ICMPMTU: uint32(h[4]) << 4, ICMPFrom: s.Dst}
			}
			frame++
			a.Packet(frame, at, &s)
			handed += len(a.Expire(at))
		}
		handed += len(a.Finish())
		if a.Open() != 0 {
			t.Fatalf("%d flows left after Finish", a.Open())
		}
	})
}

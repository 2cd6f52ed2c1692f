package decode

import (
	"encoding/binary"
	"testing"
	"time"
)

// fragments4 cuts IPv4 packet p (its header 20 bytes) into fragments at the
// given data offsets (multiples of 8), as a router or the sender's kernel
// cuts it.
func fragments4(p []byte, cuts ...int) [][]byte {
	h, data := p[:20], p[20:]
	bounds := append(append([]int{0}, cuts...), len(data))
	var out [][]byte
	for i := 0; i+1 < len(bounds); i++ {
		f := append(append([]byte(nil), h...), data[bounds[i]:bounds[i+1]]...)
		binary.BigEndian.PutUint16(f[2:], uint16(len(f)))
		v := uint16(bounds[i] / 8)
		if i+2 < len(bounds) {
			v |= 0x2000
		}
		binary.BigEndian.PutUint16(f[6:], v)
		out = append(out, f)
	}
	return out
}

// fragments6 cuts IPv6 packet p (a fixed header, one hop-by-hop header,
// then upper-layer data) into fragments carrying a fragment header each.
func fragments6(p []byte, cuts ...int) [][]byte {
	h, hbh, data := p[:40], p[40:48], p[48:]
	next := hbh[0]
	bounds := append(append([]int{0}, cuts...), len(data))
	var out [][]byte
	for i := 0; i+1 < len(bounds); i++ {
		f := append([]byte(nil), h...)
		f = append(f, ip6Fragment, hbh[1], hbh[2], hbh[3], hbh[4], hbh[5], hbh[6], hbh[7])
		f[6] = ip6HopByHop
		off := uint16(bounds[i])
		if i+2 < len(bounds) {
			off |= 1
		}
		f = append(f, next, 0, byte(off>>8), byte(off), 0xde, 0xad, 0xbe, 0xef)
		f = append(f, data[bounds[i]:bounds[i+1]]...)
		binary.BigEndian.PutUint16(f[4:], uint16(len(f)-40))
		out = append(out, f)
	}
	return out
}

// hopByHop6 is an IPv6 packet with one hop-by-hop header before TCP.
func hopByHop6(tcp []byte) []byte {
	p := outerIPv6(ip6HopByHop, append([]byte{ipProtoTCP, 0, 1, 4, 0, 0, 0, 0}, tcp...))
	copy(p[8:], cli6.AsSlice())
	copy(p[24:], srv6.AsSlice())
	p[7] = 62
	return p
}

func TestReassembler(t *testing.T) {
	payload := string(make([]byte, 1200)) + "SSH-2.0-x\r\n"
	vx := outerIPv4(ipProtoUDP, udp(portVXLAN, vxlan(ether(etherIPv4, 0, ipv4(tcpHeader(payload))))))
	v6 := hopByHop6(tcpHeader(payload))
	var want Segment
	if err := Decode(vx, LinkRaw, &want); err != nil {
		t.Fatal(err)
	}
	var want6 Segment
	if err := Decode(v6, LinkRaw, &want6); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		frags  [][]byte
		order  []int
		want   *Segment
		tunnel uint8
	}{
		{"VXLAN in two, in order", fragments4(vx, 800), []int{0, 1}, &want, 1},
		{"VXLAN in two, last first", fragments4(vx, 800), []int{1, 0}, &want, 1},
		{"VXLAN in three, one twice", fragments4(vx, 400, 800), []int{0, 2, 0, 1}, &want, 1},
		{"IPv6 TCP in three, out of order", fragments6(v6, 504, 1008), []int{2, 0, 1}, &want6, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r Reassembler
			var s Segment
			for i, k := range c.order {
				err := r.Decode(c.frags[k], LinkRaw, i+1, time.Unix(0, int64(i)*int64(time.Millisecond)), &s)
				last := i == len(c.order)-1
				if !last && err != ErrFragment || last && err != nil {
					t.Fatalf("fragment %d: %v", k, err)
				}
			}
			w := c.want
			if s.Src != w.Src || s.Dst != w.Dst || s.SrcPort != w.SrcPort || s.Seq != w.Seq || s.TTL != w.TTL ||
				string(s.Payload) != string(w.Payload) || s.PayloadLen != w.PayloadLen || s.Tunnels != c.tunnel {
				t.Errorf("put together: %v > %v:%d seq %d TTL %d payload %d/%d tunnels %d, want %v > %v:%d seq %d TTL %d payload %d/%d",
					s.Src, s.Dst, s.SrcPort, s.Seq, s.TTL, len(s.Payload), s.PayloadLen, s.Tunnels, w.Src, w.Dst, w.SrcPort, w.Seq, w.TTL, len(w.Payload), w.PayloadLen)
			}
			if n, _ := r.Lost(); n != 0 || len(r.pending) != 0 || r.bytes != 0 {
				t.Errorf("lost %d, %d pending, %d bytes held", n, len(r.pending), r.bytes)
			}
		})
	}
}

// What cannot be put back together is counted when it carried TCP or a
// tunnel, and only then.
func TestReassemblerLoses(t *testing.T) {
	tcp := ipv4(tcpHeader(string(make([]byte, 1200))))
	vx := outerIPv4(ipProtoUDP, udp(portVXLAN, vxlan(ether(etherIPv4, 0, tcp))))
	dns := outerIPv4(ipProtoUDP, udp(53, make([]byte, 1500)))
	sec := int64(time.Second)
	for _, c := range []struct {
		name      string
		frames    [][]byte
		times     []int64
		lost      int
		first     int
		lastError error
	}{
		{"the last fragment missing", fragments4(vx, 800)[:1], []int64{0}, 1, 1, ErrFragment},
		{"the first missing: UDP, port unseen", fragments4(vx, 800)[1:], []int64{0}, 0, 0, ErrFragment},
		{"TCP, the first missing", fragments4(tcp, 600)[1:], []int64{0}, 1, 1, ErrFragment},
		{"DNS, the last missing", fragments4(dns, 800)[:1], []int64{0}, 0, 0, ErrFragment},
		{"DNS, whole", fragments4(dns, 800), []int64{0, 0}, 0, 0, ErrNotTCP},
		{"more than 30 s apart", fragments4(vx, 800), []int64{0, 31 * sec}, 1, 1, ErrFragment},
		{"two ends", [][]byte{fragments4(tcp, 600)[1], fragments4(tcp[:len(tcp)-8], 600)[1]}, []int64{0, 0}, 1, 1, ErrFragment},
	} {
		var r Reassembler
		var s Segment
		var err error
		for i, f := range c.frames {
			err = r.Decode(f, LinkRaw, i+1, time.Unix(0, c.times[i]), &s)
		}
		if n, first := r.Lost(); n != c.lost || first != c.first || err != c.lastError {
			t.Errorf("%s: lost %d (first frame %d), last error %v; want %d (%d), %v", c.name, n, first, err, c.lost, c.first, c.lastError)
		}
	}
}

// The bounds hold: past fragMaxPending packets at once the oldest is given
// up, and counted.
func TestReassemblerBounds(t *testing.T) {
	var r Reassembler
	var s Segment
	tcp := ipv4(tcpHeader(string(make([]byte, 1200))))
	for i := 0; i < fragMaxPending+10; i++ {
		f := fragments4(tcp, 600)[0]
		binary.BigEndian.PutUint16(f[4:], uint16(i)) // a packet of its own
		if err := r.Decode(f, LinkRaw, i+1, time.Unix(0, int64(i)), &s); err != ErrFragment {
			t.Fatal(err)
		}
	}
	if len(r.pending) != fragMaxPending || r.lost != 10 || r.first != 1 {
		t.Errorf("%d pending, %d lost (first frame %d), want %d, 10, 1", len(r.pending), r.lost, r.first, fragMaxPending)
	}
	if n, _ := r.Lost(); n != fragMaxPending+10 {
		t.Errorf("Lost = %d, want every packet: %d", n, fragMaxPending+10)
	}
}

// Frames that are not fragments cost the Reassembler nothing.
func TestReassemblerNoAllocs(t *testing.T) {
	var r Reassembler
	var s Segment
	frame := ether(etherIPv4, 0, ipv4(tcpHeader("x")))
	if n := testing.AllocsPerRun(100, func() { _ = r.Decode(frame, LinkEthernet, 1, time.Time{}, &s) }); n != 0 {
		t.Errorf("%v allocations per frame", n)
	}
}

// FuzzReassembler feeds one Reassembler frames cut from the input (each
// preceded by its length byte): whatever they hold, it neither panics nor
// miscounts what it keeps.
func FuzzReassembler(f *testing.F) {
	vx := outerIPv4(ipProtoUDP, udp(portVXLAN, vxlan(ether(etherIPv4, 0, ipv4(tcpHeader(string(make([]byte, 300))))))))
	seed := func(frames ...[]byte) []byte {
		var b []byte
		for _, fr := range frames {
			b = append(append(b, byte(len(fr))), fr[:min(len(fr), 255)]...)
		}
		return b
	}
	fs := fragments4(vx, 96, 200)
	f.Add(seed(fs[2], fs[0], fs[1]))
	f6 := fragments6(hopByHop6(tcpHeader(string(make([]byte, 200)))), 104)
	f.Add(seed(f6[1], f6[0]))
	f.Fuzz(func(t *testing.T, in []byte) {
		var r Reassembler
		var s Segment
		for i := 0; len(in) > 0; i++ {
			n := min(int(in[0]), len(in)-1)
			frame := in[1 : 1+n]
			in = in[1+n:]
			if err := r.Decode(frame, LinkRaw, i+1, time.Unix(int64(i), 0), &s); err == nil && len(s.Payload) > s.PayloadLen {
				t.Fatalf("payload %d of %d", len(s.Payload), s.PayloadLen)
			}
			held := 0
			for _, d := range r.pending {
				held += len(d.buf)
			}
			if held != r.bytes || r.bytes < 0 || r.bytes > fragMaxBytes {
				t.Fatalf("holds %d bytes, counts %d", held, r.bytes)
			}
		}
	})
}

package live

import (
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcap"
)

// The default filter compiles for the link types live capture opens, and
// lets through what the analysis needs: SSH segments and ICMP errors, not
// other traffic.
func TestDefaultFilter(t *testing.T) {
	ipv4 := func(proto byte, payload ...byte) []byte {
		p := []byte{0x45, 0, 0, byte(20 + len(payload)), 0, 0, 0x40, 0, 64, proto, 0, 0, 198, 51, 100, 2, 203, 0, 113, 2}
		return append(p, payload...)
	}
	tcp22 := ipv4(6, 0x80, 0, 0, 22, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 2, 0, 0, 0, 0, 0, 0)
	tcp80 := ipv4(6, 0x80, 0, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 2, 0, 0, 0, 0, 0, 0)
	unreach := ipv4(1, 3, 10, 0, 0, 0, 0, 0, 0)
	echo := ipv4(1, 8, 0, 0, 0, 0, 0, 0, 0)
	ipv6 := func(next byte, payload ...byte) []byte {
		p := make([]byte, 40)
		p[0], p[5], p[6], p[7] = 0x60, byte(len(payload)), next, 64
		return append(p, payload...)
	}
	tooBig := ipv6(58, 2, 0, 0, 0, 0, 0, 5, 0)
	ns := ipv6(58, 135, 0, 0, 0, 0, 0, 0, 0)
	eth := func(et uint16, p []byte) []byte {
		return append([]byte{0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, byte(et >> 8), byte(et)}, p...)
	}
	for _, c := range []struct {
		name string
		pkt  []byte
		want bool
	}{
		{"ssh", tcp22, true}, {"http", tcp80, false}, {"unreachable", unreach, true},
		{"echo", echo, false}, {"too big", tooBig, true}, {"neighbour solicitation", ns, false},
	} {
		et := uint16(0x0800)
		if c.pkt[0]>>4 == 6 {
			et = 0x86dd
		}
		frame := eth(et, c.pkt)
		bpf, err := pcap.NewBPF(layers.LinkTypeEthernet, 262144, DefaultFilter(nil, true))
		if err != nil {
			t.Fatalf("%s: %v", DefaultFilter(nil, true), err)
		}
		ci := gopacket.CaptureInfo{CaptureLength: len(frame), Length: len(frame)}
		if got := bpf.Matches(ci, frame); got != c.want {
			t.Errorf("%s: matched %v, want %v", c.name, got, c.want)
		}
	}
	if _, err := pcap.NewBPF(layers.LinkTypeLinuxSLL2, 262144, DefaultFilter([]uint16{22, 2222}, false)); err != nil {
		t.Errorf("SLL2: %v", err)
	}
}

package analyze

import (
	"math/rand"
	"net/netip"
	"testing"

	"github.com/rstsniff/rstsniff/decode"
)

func keyOf(seg *decode.Segment) flowKey {
	var k flowKey
	k.set(seg)
	return k
}

func segBetween(src, dst netip.AddrPort) *decode.Segment {
	return &decode.Segment{Src: src.Addr(), SrcPort: src.Port(), Dst: dst.Addr(), DstPort: dst.Port()}
}

// A connection has one key both ways, and no other connection has it: not
// the same ports swapped, nor an IPv4 address written as IPv4-mapped IPv6.
func TestKeyOf(t *testing.T) {
	a, b := netip.MustParseAddrPort("198.51.100.7:40000"), netip.MustParseAddrPort("203.0.113.2:22")
	if keyOf(segBetween(a, b)) != keyOf(segBetween(b, a)) {
		t.Error("the two directions have different keys")
	}
	others := [][2]netip.AddrPort{
		{netip.MustParseAddrPort("198.51.100.7:22"), netip.MustParseAddrPort("203.0.113.2:40000")},
		{netip.MustParseAddrPort("[::ffff:198.51.100.7]:40000"), netip.MustParseAddrPort("[::ffff:203.0.113.2]:22")},
		{netip.MustParseAddrPort("198.51.100.7:40001"), b},
		{netip.MustParseAddrPort("198.51.100.8:40000"), b},
		{a, netip.MustParseAddrPort("203.0.113.3:22")},
		{a, a},
	}
	for _, o := range others {
		if keyOf(segBetween(o[0], o[1])) == keyOf(segBetween(a, b)) {
			t.Errorf("%v-%v has the key of %v-%v", o[0], o[1], a, b)
		}
	}
	// Same addresses, ports the other way round: lower address first decides.
	c, d := netip.MustParseAddrPort("203.0.113.2:40000"), netip.MustParseAddrPort("203.0.113.2:22")
	if keyOf(segBetween(c, d)) != keyOf(segBetween(d, c)) {
		t.Error("same address both ends: the two directions have different keys")
	}
}

// The flow table agrees with a Go map through a million random puts, gets
// and deletes, with growth and tombstones, over keys that differ in one
// byte or one port.
func TestFlowTableLikeMap(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	tab := newFlowTable()
	ref := map[flowKey]*flow{}
	var keys []flowKey
	for i := range 5000 {
		c := netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 51, 100, byte(i % 7)}), uint16(1024+i/7))
		if i%3 == 0 {
			c = netip.AddrPortFrom(netip.MustParseAddr("2001:db8::1"), uint16(i))
		}
		keys = append(keys, keyOf(segBetween(c, netip.MustParseAddrPort("203.0.113.2:22"))))
	}
	for op := range 1000000 {
		k := keys[rng.Intn(len(keys))]
		h := k.hash()
		switch rng.Intn(3) {
		case 0:
			if ref[k] == nil {
				f := &flow{key: k, hash: h}
				ref[k] = f
				tab.put(f, h)
			}
		case 1:
			if f := ref[k]; f != nil {
				tab.del(f, h)
				delete(ref, k)
			}
		}
		if got := tab.get(&k, h); got != ref[k] {
			t.Fatalf("op %d: get %p, want %p", op, got, ref[k])
		}
		if tab.len() != len(ref) {
			t.Fatalf("op %d: %d flows, want %d", op, tab.len(), len(ref))
		}
	}
	n := 0
	tab.each(func(f *flow) {
		if ref[f.key] != f {
			t.Fatalf("each gave a flow the map does not have")
		}
		n++
	})
	if n != len(ref) || len(tab.slots) > 4*len(keys) {
		t.Errorf("each saw %d of %d flows; %d slots for at most %d keys", n, len(ref), len(tab.slots), len(keys))
	}
}

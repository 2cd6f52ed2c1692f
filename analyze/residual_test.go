package analyze

import (
	"math/rand"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/rstsniff/rstsniff/decode"
)

// conn is one connection's segments from a client port, starting at start.
type conn struct {
	client netip.AddrPort
	start  time.Duration
	segs   []seg
	ttl    map[int]uint8 // index in segs: TTL
}

func feedConns(cs []conn) []*Flow {
	a := New(Config{})
	t0 := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	frame := 0
	for _, c := range cs {
		for i, g := range c.segs {
			frame++
			s := decode.Segment{Src: c.client.Addr(), Dst: sAddr.Addr(), SrcPort: c.client.Port(), DstPort: sAddr.Port(), TTL: 64,
				Seq: g.seq, Ack: g.ack, Flags: g.flags, Payload: []byte(g.payload), PayloadLen: len(g.payload)}
			if g.fromServer {
				s.Src, s.Dst, s.SrcPort, s.DstPort, s.TTL = sAddr.Addr(), c.client.Addr(), sAddr.Port(), c.client.Port(), 63
			}
			if v, ok := c.ttl[i]; ok {
				s.TTL = v
			}
			a.Packet(frame, t0.Add(c.start+g.at), &s)
		}
	}
	return a.Finish()
}

// TestResidualBlock: a device forges a reset for the client's banner; the
// next connections between the same hosts are refused in the server's name
// from the device's distance before the client sends a byte: residual
// blocks, with the time since the first forged reset. Negatives: a
// refusal from the server's own distance, one after the window, and the
// first connection itself.
func TestResidualBlock(t *testing.T) {
	banner := with(seg{false, PA, 101, 501, "SSH-2.0-x\r\n", 3 * time.Millisecond},
		seg{true, R, 501, 0, "", 3100 * time.Microsecond},
		seg{true, PA, 501, 112, "SSH-2.0-OpenSSH_9.2p1\r\n", 4 * time.Millisecond})
	refused := []seg{{false, S, 100, 0, "", 0}, {true, RA, 0, 101, "", 100 * time.Microsecond}}
	other := netip.MustParseAddrPort("198.51.100.3:40000")
	port := func(p uint16) netip.AddrPort { return netip.AddrPortFrom(cAddr.Addr(), p) }
	flows := feedConns([]conn{
		{port(40001), 0, banner, map[int]uint8{4: 64}},
		{port(40002), 5 * time.Second, refused, map[int]uint8{1: 64}},
		{port(40003), 9 * time.Second, refused, map[int]uint8{1: 64}},
		{port(40004), 10 * time.Second, refused, nil}, // the server's own refusal
		{other, 11 * time.Second, refused, map[int]uint8{1: 64}},
		{port(40005), 400 * time.Second, refused, map[int]uint8{1: 64}}, // long after
	})
	if len(flows) != 6 {
		t.Fatalf("%d flows", len(flows))
	}
	want := []struct {
		residual   bool
		delay      time.Duration
		count      int
		allClients bool
	}{{false, 0, 0, false}, {true, 5*time.Second - 3100*time.Microsecond + 100*time.Microsecond, 1, false},
		{true, 9*time.Second - 3*time.Millisecond, 2, false}, {false, 0, 0, false},
		{true, 11*time.Second - 3*time.Millisecond, 3, true}, {false, 0, 0, false}}
	for i, f := range flows {
		var fd *Finding
		for j := range f.Findings {
			if f.Findings[j].ID == FindResidualBlock {
				fd = &f.Findings[j]
			}
		}
		w := want[i]
		switch {
		case fd == nil && w.residual:
			r, _ := f.Ending()
			t.Errorf("flow %d (%v): findings %v, ending reset %+v, want residual-block", i+1, f.Client, findingIDs(f), r)
		case fd != nil && !w.residual:
			t.Errorf("flow %d (%v): residual-block %+v", i+1, f.Client, fd)
		case fd != nil && (fd.Delay != w.delay || fd.Count != w.count || fd.AllClients != w.allClients):
			t.Errorf("flow %d: delay %v count %d all clients %v, want %v %d %v", i+1, fd.Delay, fd.Count, fd.AllClients, w.delay, w.count, w.allClients)
		}
	}
}

// A rate limit is no residual block: connections get through, then SYNs
// are refused in the server's name from a device's distance, with no
// reset forged on an established connection before them. The refusals
// after the first are rate-limit, never residual-block.
func TestRateLimitIsNoResidualBlock(t *testing.T) {
	ok := with(seg{false, PA, 101, 501, "SSH-2.0-x\r\n", 3 * time.Millisecond},
		seg{true, PA, 501, 112, "SSH-2.0-OpenSSH_9.2p1\r\n", 4 * time.Millisecond},
		seg{false, PA, 112, 524, "\x00\x00\x00\x0c\x0a\x14kexinit....", 5 * time.Millisecond},
		seg{true, PA, 524, 128, "\x00\x00\x00\x0c\x0a\x14kexinit....", 6 * time.Millisecond},
		seg{false, FA, 128, 540, "", 7 * time.Millisecond}, seg{true, FA, 540, 129, "", 8 * time.Millisecond})
	refused := []seg{{false, S, 100, 0, "", 0}, {true, RA, 0, 101, "", 100 * time.Microsecond}}
	port := func(p uint16) netip.AddrPort { return netip.AddrPortFrom(cAddr.Addr(), p) }
	flows := feedConns([]conn{
		{port(40001), 0, ok, nil},
		{port(40002), time.Second, ok, nil},
		{port(40003), 2 * time.Second, ok, nil},
		{port(40004), 3 * time.Second, refused, map[int]uint8{1: 64}},
		{port(40005), 4 * time.Second, refused, map[int]uint8{1: 64}},
	})
	if len(flows) != 5 {
		t.Fatalf("%d flows", len(flows))
	}
	for i, f := range flows[3:] {
		ids := findingIDs(f)
		if slices.Contains(ids, FindResidualBlock) || !slices.Contains(ids, FindRateLimit) {
			t.Errorf("refusal %d: findings %v, want rate-limit and no residual-block", i+1, ids)
		}
	}
}

// insertLast puts a late forged reset where sorting would, and declines
// when two times are equal (where a sort's order is its own).
func TestInsertLastSorts(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for range 20000 {
		n := 2 + rng.Intn(33)
		ts := make([]forgedAt, n)
		for i := range ts {
			ts[i] = forgedAt{t: rng.Int63n(int64(3 * n)), drawn: rng.Intn(2) == 0}
		}
		slices.SortFunc(ts[:n-1], func(x, y forgedAt) int { return cmpInt64(x.t, y.t) })
		want := slices.Clone(ts)
		slices.SortFunc(want, func(x, y forgedAt) int { return cmpInt64(x.t, y.t) })
		distinct := len(slices.CompactFunc(slices.Clone(want), func(x, y forgedAt) bool { return x.t == y.t })) == n
		got := slices.Clone(ts)
		if ok := insertLast(got); ok != distinct {
			t.Fatalf("%v: insertLast %v, times distinct %v", ts, ok, distinct)
		} else if ok && !slices.Equal(got, want) {
			t.Fatalf("%v: got %v, want %v", ts, got, want)
		}
	}
}

package analyze

import (
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/rstsniff/rstsniff/decode"
)

// One million SYNs from distinct sources (a scan or a flood) keep the
// table at MaxFlows and the heap bounded; every connection past the cap is
// evicted, counted and still handed over.
func TestFlowTablePressure(t *testing.T) {
	if testing.Short() {
		t.Skip("a million packets")
	}
	const n = 1000000
	a := New(Config{})
	t0 := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	var s decode.Segment
	handed, maxOpen := 0, 0
	var maxHeap uint64
	var ms runtime.MemStats
	for i := 0; i < n; i++ {
		src := netip.AddrFrom4([4]byte{198, 18 + byte(i>>16&1), byte(i >> 8), byte(i)})
		s = decode.Segment{Src: src, Dst: sAddr.Addr(), SrcPort: uint16(1024 + i%60000), DstPort: 22,
			Seq: uint32(i), Flags: S, TTL: 64, IfIndex: -1, IPVersion: 4}
		ts := t0.Add(time.Duration(i) * 10 * time.Microsecond) // 100,000 SYNs a second
		a.Packet(i+1, ts, &s)
		if a.Open() > DefaultMaxFlows || i%100000 == 0 {
			handed += len(a.Expire(ts))
		}
		maxOpen = max(maxOpen, a.Open())
		if i%50000 == 0 {
			runtime.ReadMemStats(&ms)
			maxHeap = max(maxHeap, ms.HeapAlloc)
		}
	}
	handed += len(a.Finish())
	if maxOpen > DefaultMaxFlows+1 {
		t.Errorf("the table reached %d flows, cap %d", maxOpen, DefaultMaxFlows)
	}
	if handed != n {
		t.Errorf("%d connections handed over, want %d", handed, n)
	}
	if a.Evicted() < n-2*DefaultMaxFlows {
		t.Errorf("%d evicted, want nearly all of %d", a.Evicted(), n)
	}
	// About 3 KB per flow in the table, and what was handed over is garbage.
	if maxHeap > 400<<20 {
		t.Errorf("heap reached %d MB", maxHeap>>20)
	}
	if a.hosts.len() > maxHosts {
		t.Errorf("TTL baselines for %d hosts, bound %d", a.hosts.len(), maxHosts)
	}
	// The latest clients keep their baselines; the earliest went.
	i := n - 1
	last := netip.AddrFrom4([4]byte{198, 18 + byte(i>>16&1), byte(i >> 8), byte(i)})
	if h := a.hosts.get(keyOfAddr(last)); h == nil || h.total() == 0 {
		t.Error("the latest client's TTL baseline was pruned")
	}
	if a.hosts.get(keyOfAddr(netip.AddrFrom4([4]byte{198, 18, 0, 0}))) != nil {
		t.Error("the first client's TTL baseline is still held")
	}
	t.Logf("max %d open, %d evicted, heap at most %d MB, %d host baselines", maxOpen, a.Evicted(), maxHeap>>20, a.hosts.len())
}

// The rate history stays bounded under many distinct clients, and a
// client seen lately still has its history: its refused connection after
// two that got through is named a rate limit.
func TestRateHistoryBounded(t *testing.T) {
	a := New(Config{})
	t0 := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	server := netip.MustParseAddrPort("203.0.113.2:22")
	ok := func(i int, client netip.Addr, at time.Duration) {
		rateLimitDetector{}.detect(a, &Flow{Client: netip.AddrPortFrom(client, uint16(1024+i%60000)), Server: server,
			Start: t0.Add(at), Stage: StageSession, Outcome: OutcomeClosed})
	}
	for i := range 100000 { // 100,000 clients in 50 s, all within the window
		ok(i, netip.AddrFrom4([4]byte{198, 18 + byte(i>>16&1), byte(i >> 8), byte(i)}), time.Duration(i)*500*time.Microsecond)
		if a.history.len() > maxHistory {
			t.Fatalf("rate history at %d pairs, bound %d", a.history.len(), maxHistory)
		}
	}
	me := netip.MustParseAddr("198.51.100.7")
	ok(1, me, 50*time.Second)
	ok(2, me, 50100*time.Millisecond)
	refused := &Flow{Client: netip.AddrPortFrom(me, 3000), Server: server, Start: t0.Add(50200 * time.Millisecond),
		Stage: StageHandshake, Outcome: OutcomeRefused, FirstPacket: 7, Resets: []Reset{{Packet: 8, From: Server}}}
	rateLimitDetector{}.detect(a, refused)
	if len(refused.Findings) != 1 || refused.Findings[0].ID != FindRateLimit {
		t.Errorf("findings %+v, want rate-limit", refused.Findings)
	}
}

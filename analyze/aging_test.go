package analyze

import (
	"net/netip"
	"testing"
	"time"
)

// Over half an hour of packet time, a client a second that got through
// leaves the rate history holding the last minutes' clients, not every
// one; a client within its window keeps its history (its refusal after two
// that got through is still a rate limit), and a connection still open
// since long ago keeps the history it may be judged by.
func TestAgingFollowsTheWindow(t *testing.T) {
	a := New(Config{})
	t0 := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	server := netip.MustParseAddrPort("203.0.113.2:22")
	client := func(i int) netip.Addr { return netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)}) }
	ok := func(i int, c netip.Addr, at time.Duration) {
		rateLimitDetector{}.detect(a, &Flow{Client: netip.AddrPortFrom(c, uint16(1024+i)), Server: server,
			Start: t0.Add(at), Stage: StageSession, Outcome: OutcomeClosed})
	}
	forged := func(c netip.Addr, at time.Duration) {
		a.noteBlocks(&Flow{Client: netip.AddrPortFrom(c, 4000), Server: server, Start: t0.Add(at),
			Resets: []Reset{{Time: t0.Add(at), From: Server, Sender: SenderPath, Stage: StageBanner}}})
	}
	const n = 1800 // one a second for 30 minutes
	mostRate, mostBlocks := 0, 0
	for i := range n {
		at := time.Duration(i) * time.Second
		ok(i, client(i), at)
		forged(client(i), at)
		a.age(&Batch{now: t0.Add(at)})
		mostRate, mostBlocks = max(mostRate, a.history.len()), max(mostBlocks, a.blocks.len())
	}
	// A window's clients (one a second) plus up to one sweep interval late;
	// the forged resets also under the server's own key.
	if bound := int((DefaultRateWindow+agingEvery)/time.Second) + 1; mostRate > bound {
		t.Errorf("rate history at %d pairs, want at most %d", mostRate, bound)
	}
	if bound := int((residualWindow+agingEvery)/time.Second) + 2; mostBlocks > bound {
		t.Errorf("forged resets under %d keys, want at most %d", mostBlocks, bound)
	}
	if a.history.len() == 0 || a.blocks.len() == 0 {
		t.Fatal("aging forgot the last minute too")
	}
	// The latest clients are still known: two successes and a refusal.
	me := client(n - 1)
	end := time.Duration(n-1) * time.Second
	ok(n, me, end+100*time.Millisecond)
	refused := &Flow{Client: netip.AddrPortFrom(me, 3000), Server: server, Start: t0.Add(end + 200*time.Millisecond),
		Stage: StageHandshake, Outcome: OutcomeRefused, FirstPacket: 7, Resets: []Reset{{Packet: 8, From: Server}}}
	rateLimitDetector{}.detect(a, refused)
	if len(refused.Findings) != 1 || refused.Findings[0].ID != FindRateLimit {
		t.Errorf("findings %+v, want rate-limit", refused.Findings)
	}
	// A connection open since the first minute holds back the sweep: what
	// it may be judged by stays.
	b := New(Config{})
	for i := range n {
		at := time.Duration(i) * time.Second
		*b.history.put(rateKey{c: keyOfAddr(client(i))}) = rate{ok: 1, lastOK: t0.Add(at).UnixNano()}
		b.age(&Batch{now: t0.Add(at), oldest: t0.Add(30 * time.Second).UnixNano()})
	}
	if b.history.get(rateKey{c: keyOfAddr(client(0))}) == nil {
		t.Error("the rate history a connection open since 0:30 may be judged by was swept")
	}
	if b.history.get(rateKey{c: keyOfAddr(client(n - 1))}) == nil {
		t.Error("the latest entry was swept")
	}
}

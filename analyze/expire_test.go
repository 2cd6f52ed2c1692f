package analyze

import (
	"net/netip"
	"testing"
	"time"

	"github.com/rstsniff/rstsniff/decode"
)

func segAt(a *Analyzer, frame int, t time.Time, client netip.AddrPort, fromServer bool, fl decode.Flags, seq, ack uint32, payload string) uint64 {
	s := decode.Segment{Src: client.Addr(), Dst: sAddr.Addr(), SrcPort: client.Port(), DstPort: 22, TTL: 64,
		Seq: seq, Ack: ack, Flags: fl, Payload: []byte(payload), PayloadLen: len(payload), IfIndex: -1}
	if fromServer {
		s.Src, s.Dst, s.SrcPort, s.DstPort, s.TTL = sAddr.Addr(), client.Addr(), 22, client.Port(), 63
	}
	return a.Packet(frame, t, &s)
}

// An ended connection waits out the grace period (late packets still
// count), then is handed over once; a silent one after the flow timeout.
func TestExpire(t *testing.T) {
	t0 := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	a := New(Config{Grace: 2 * time.Second, FlowTimeout: time.Minute})
	c1, c2 := netip.MustParseAddrPort("198.51.100.2:40001"), netip.MustParseAddrPort("198.51.100.2:40002")
	h := segAt(a, 1, t0, c1, false, S, 100, 0, "")
	segAt(a, 2, t0, c1, true, SA, 500, 101, "")
	segAt(a, 3, t0, c1, false, A, 101, 501, "")
	segAt(a, 4, t0, c1, false, PA, 101, 501, "SSH-2.0-x\r\n")
	segAt(a, 5, t0, c1, true, R, 501, 0, "")
	segAt(a, 6, t0, c2, false, S, 900, 0, "")
	segAt(a, 7, t0, c2, true, SA, 700, 901, "")
	segAt(a, 8, t0, c2, false, A, 901, 701, "")
	if got := a.Expire(t0.Add(time.Second)); len(got) != 0 {
		t.Fatalf("handed over inside the grace period: %d", len(got))
	}
	// The server's banner races the reset, inside the grace period.
	segAt(a, 9, t0.Add(1500*time.Millisecond), c1, true, PA, 501, 112, "SSH-2.0-y\r\n")
	got := a.Expire(t0.Add(3600 * time.Millisecond))
	if len(got) != 1 || got[0].Handle != h || got[0].Outcome != OutcomeReset || !got[0].Resets[0].Sender.Forged() {
		t.Fatalf("after the grace period: %+v", got)
	}
	if got := a.Expire(t0.Add(30 * time.Second)); len(got) != 0 || a.Open() != 1 {
		t.Fatalf("established connection handed over before its timeout: %d, %d open", len(got), a.Open())
	}
	got = a.Expire(t0.Add(2 * time.Minute))
	if len(got) != 1 || got[0].Outcome != OutcomeOpen || a.Open() != 0 {
		t.Fatalf("after the flow timeout: %+v, %d open", got, a.Open())
	}
}

// Past MaxFlows the least recently active connections are handed over
// early and counted.
func TestEviction(t *testing.T) {
	t0 := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	a := New(Config{MaxFlows: 100})
	for i := 0; i < 150; i++ {
		c := netip.AddrPortFrom(cAddr.Addr(), uint16(30000+i))
		segAt(a, 2*i+1, t0.Add(time.Duration(i)*time.Millisecond), c, false, S, 100, 0, "")
		segAt(a, 2*i+2, t0.Add(time.Duration(i)*time.Millisecond), c, true, SA, 500, 101, "")
	}
	got := a.Expire(t0.Add(time.Second))
	if a.Open() > 100 || a.Evicted() < 50 || len(got) != a.Evicted() {
		t.Fatalf("%d open, %d evicted, %d handed over", a.Open(), a.Evicted(), len(got))
	}
	for _, f := range got {
		if !f.Evicted || f.Client.Port() >= 30000+uint16(a.Evicted()) {
			t.Fatalf("evicted %v (evicted flag %v): not among the oldest", f.Client, f.Evicted)
		}
	}
}

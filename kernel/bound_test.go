package kernel

import (
	"net/netip"
	"testing"
	"time"
)

// A flood of resets (a scan of closed ports answered by the stack) keeps
// the journal at maxEvents, the latest kept, however recent they all are.
func TestJournalBounded(t *testing.T) {
	j := NewJournal(JournalOptions{})
	t0 := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	src := netip.MustParseAddrPort("203.0.113.2:22")
	const n = 4 * maxEvents
	most := 0
	for i := range n {
		dst := netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)}), uint16(1024+i%60000))
		j.Add(Event{Time: t0.Add(time.Duration(i) * time.Microsecond), Kind: StackSent, Src: src, Dst: dst})
		most = max(most, j.Len())
	}
	if most > maxEvents+1 {
		t.Errorf("the journal held %d events, bound %d", most, maxEvents)
	}
	ev := j.Events()
	if last := ev[len(ev)-1]; !last.Time.Equal(t0.Add((n - 1) * time.Microsecond)) {
		t.Errorf("the latest event kept is at %v", last.Time)
	}
}

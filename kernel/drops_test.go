package kernel

import (
	"net/netip"
	"testing"
	"time"
)

// A connection's dropped packets: its own events only, within its time,
// and not the drop a REJECT's reset already explains.
func TestDropped(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 19, 0, 0, 0, time.UTC)
	srv := netip.MustParseAddrPort("203.0.113.2:22")
	cli := netip.MustParseAddrPort("198.51.100.4:40000")
	other := netip.MustParseAddrPort("198.51.100.3:40001")
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	j := NewJournal(JournalOptions{Start: t0, Local: func(a netip.Addr) bool { return a == srv.Addr() }, Firewall: true})
	// The client's SYN and its retransmissions, dropped (the reset a REJECT
	// would send: server to client); another client's REJECTed SYN.
	for _, ms := range []int{100, 1100, 3100} {
		j.Add(Event{Time: at(ms), Kind: FirewallDropped, Src: srv, Dst: cli})
	}
	j.Add(Event{Time: at(200), Kind: FirewallDropped, Src: srv, Dst: other})
	j.Add(Event{Time: at(200), Kind: StackSent, Src: srv, Dst: cli})

	d := j.Dropped(cli, srv, at(100), at(3100))
	if d == nil || d.Count != 3 || len(d.Events) != 3 || !d.Events[0].Time.Equal(at(100)) {
		t.Fatalf("dropped %+v, want the three SYNs", d)
	}
	if d := j.Dropped(cli, srv, at(1500), at(1600)); d != nil {
		t.Errorf("outside the connection's time: %+v", d)
	}
	// The other client's drop is its REJECT's: the reset takes it, and it
	// is no longer a drop of its own.
	ws := j.AttributeAll([]Query{{Src: srv, Dst: other, Time: at(200)}})
	if ws[0] == nil || ws[0].Basis != BasisDropInference {
		t.Fatalf("reject: %+v", ws[0])
	}
	if d := j.Dropped(other, srv, at(200), at(200)); d != nil {
		t.Errorf("the REJECT's drop counted again: %+v", d)
	}
	// Before the witness started: nothing.
	if d := j.Dropped(cli, srv, t0.Add(-time.Hour), t0.Add(-time.Minute)); d != nil {
		t.Errorf("before the start: %+v", d)
	}
}

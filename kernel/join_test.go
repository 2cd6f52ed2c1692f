package kernel

import (
	"errors"
	"net/netip"
	"testing"
	"time"
)

func TestAttribute(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 5, 0, 0, 0, time.UTC)
	srv := netip.MustParseAddrPort("198.51.100.2:22")
	cli := netip.MustParseAddrPort("198.51.100.1:50000")
	far := netip.MustParseAddrPort("203.0.113.9:40000")
	local := func(a netip.Addr) bool { return a == srv.Addr() }
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	ev := func(ms int, k Kind, src, dst netip.AddrPort, r Reason) Event {
		return Event{Time: at(ms), Netns: 7, Kind: k, Src: src, Dst: dst, Reason: r}
	}
	type q struct {
		src, dst netip.AddrPort
		ms       int
	}
	for _, c := range []struct {
		name     string
		events   []Event
		firewall bool
		lost     uint64
		queries  []q
		want     []string // per query: sender/basis/reason/received/after, "nil" for no witness
	}{
		{name: "stack sent it",
			events:  []Event{ev(1000, StackSent, srv, cli, ReasonAbortOnClose)},
			queries: []q{{srv, cli, 1000}},
			want:    []string{"stack tcp_send_reset TCP_ABORT_ON_CLOSE received=false after=0"}},
		{name: "two resets, two events, each once, nearest first",
			events:  []Event{ev(1000, StackSent, srv, cli, ReasonAbortOnClose), ev(1400, StackSent, srv, cli, ReasonNoSocket)},
			queries: []q{{srv, cli, 1401}, {srv, cli, 1001}},
			want: []string{"stack tcp_send_reset NO_SOCKET received=false after=0",
				"stack tcp_send_reset TCP_ABORT_ON_CLOSE received=false after=0"}},
		{name: "one event, two resets: the second is not the stack's",
			events: []Event{ev(1000, StackSent, srv, cli, ReasonNoSocket)}, firewall: true,
			queries: []q{{srv, cli, 1000}, {srv, cli, 1100}},
			want:    []string{"stack tcp_send_reset NO_SOCKET received=false after=0", "not-this-host no kernel event  received=false after=0"}},
		{name: "outside the window",
			events: []Event{ev(1000, StackSent, srv, cli, ReasonNoSocket)}, firewall: true,
			queries: []q{{srv, cli, 2500}},
			want:    []string{"not-this-host no kernel event  received=false after=0"}},
		{name: "a reset captured before the kernel sent one is not that one",
			events: []Event{ev(1000, StackSent, srv, cli, ReasonNoSocket)}, firewall: true,
			queries: []q{{srv, cli, 990}},
			want:    []string{"not-this-host no kernel event  received=false after=0"}},
		{name: "a socket's own reset is sent before its event fires: captured 10 ms before it, it is that one",
			events: []Event{{Time: at(1000), Netns: 7, Kind: StackSent, Src: srv, Dst: cli, Reason: ReasonAbortOnClose, Active: true}}, firewall: true,
			queries: []q{{srv, cli, 990}},
			want:    []string{"stack tcp_send_reset TCP_ABORT_ON_CLOSE received=false after=0"}},
		{name: "firewall by drop inference",
			events: []Event{ev(1000, FirewallDropped, srv, cli, 0)}, firewall: true,
			queries: []q{{srv, cli, 1000}},
			want:    []string{"firewall kfree_skb NETFILTER_DROP  received=false after=0"}},
		{name: "firewall by fentry",
			events: []Event{{Time: at(1000), Netns: 7, Kind: FirewallSent, Src: srv, Dst: cli, Hook: HookInput}}, firewall: true,
			queries: []q{{srv, cli, 1000}},
			want:    []string{"firewall nf_send_reset  received=false after=0"}},
		{name: "absence proves nothing when netfilter is not watched",
			queries: []q{{srv, cli, 1000}},
			want:    []string{"nil"}},
		{name: "absence proves nothing when events were lost",
			firewall: true, lost: 1,
			queries: []q{{srv, cli, 1000}},
			want:    []string{"nil"}},
		{name: "not this host's address",
			firewall: true,
			queries:  []q{{far, cli, 1000}},
			want:     []string{"nil"}},
		{name: "received, then the kernel answered twice",
			events: []Event{ev(1000, Received, cli, srv, 0), ev(1200, StackSent, srv, cli, ReasonNoSocket),
				ev(1300, StackSent, srv, far, ReasonNoSocket), ev(1500, StackSent, srv, cli, ReasonNoSocket)},
			queries: []q{{cli, srv, 1000}},
			want:    []string{"unknown   received=true after=2"}},
		{name: "three forged resets, the socket accepted one",
			events: []Event{ev(1001, Received, cli, srv, 0)}, firewall: true,
			queries: []q{{cli, srv, 1000}, {cli, srv, 1001}, {cli, srv, 1002}},
			want: []string{"unknown   received=false after=0 not-accepted", "unknown   received=true after=0",
				"unknown   received=false after=0 not-accepted"}},
		{name: "addressed to this host, no socket took it",
			firewall: true,
			queries:  []q{{cli, srv, 1000}},
			want:     []string{"unknown   received=false after=0 not-accepted"}},
		{name: "before the witness started",
			events: []Event{ev(-10, StackSent, srv, cli, ReasonNoSocket)}, firewall: true,
			queries: []q{{srv, cli, -10}},
			want:    []string{"nil"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			j := NewJournal(JournalOptions{Netns: 7, Start: t0, Local: local, Lost: func() (uint64, error) { return c.lost, nil },
				Now: func() time.Time { return at(5000) }, Firewall: c.firewall})
			for _, e := range c.events {
				j.Add(e)
			}
			var qs []Query
			for _, qq := range c.queries {
				qs = append(qs, Query{qq.src, qq.dst, at(qq.ms)})
			}
			for i, w := range j.AttributeAll(qs) {
				got := "nil"
				if w != nil {
					reason := ""
					if w.Sent != nil && w.Sent.Kind == StackSent {
						reason = w.Sent.Reason.String()
					}
					got = w.Sender.String() + " " + w.Basis.String() + " " + reason + " received=" +
						map[bool]string{true: "true", false: "false"}[w.Received != nil] + " after=" + string(rune('0'+len(w.After)))
					if w.NotAccepted {
						got += " not-accepted"
					}
				}
				if got != c.want[i] {
					t.Errorf("query %d: got %q, want %q", i, got, c.want[i])
				}
			}
		})
	}
}

// TestLossesNearOnly: a reset with no event is "not sent by this host" only
// when no event was lost near it; losses are placed between two counts.
func TestLossesNearOnly(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 5, 0, 0, 0, time.UTC)
	srv := netip.MustParseAddrPort("198.51.100.2:22")
	cli := netip.MustParseAddrPort("198.51.100.1:50000")
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	var lost uint64
	var lostErr error
	now := at(0)
	j := NewJournal(JournalOptions{Netns: 7, Start: t0, Firewall: true,
		Local: func(a netip.Addr) bool { return a == srv.Addr() },
		Lost:  func() (uint64, error) { return lost, lostErr },
		Now:   func() time.Time { return now }})
	for _, c := range []struct {
		why          string
		lost         uint64
		err          error
		now, reset   int // ms
		notThisHosts bool
	}{
		{"nothing lost yet", 0, nil, 500, 400, true},
		{"one lost since the last count: near this reset", 1, nil, 3000, 2900, false},
		{"no more lost, long after", 1, nil, 10000, 9000, true},
		{"a reset within the window of the earlier loss", 1, nil, 11000, 3500, false},
		{"a reset a window past the earlier loss", 1, nil, 12000, 4100, true},
		{"the count cannot be read", 1, errors.New("closed"), 20000, 19000, false},
		{"nor now", 1, errors.New("closed"), 30000, 29000, false},
		{"read again, the same count", 1, nil, 40000, 39000, true},
	} {
		lost, lostErr, now = c.lost, c.err, at(c.now)
		w := j.AttributeAll([]Query{{Src: srv, Dst: cli, Time: at(c.reset)}})[0]
		if got := w != nil && w.Sender == SenderNotHost; got != c.notThisHosts {
			t.Errorf("%s: not this host's %v, want %v (%+v)", c.why, got, c.notThisHosts, w)
		}
	}
}

func TestOtherNamespaceLeftOut(t *testing.T) {
	j := NewJournal(JournalOptions{Netns: 7})
	if j.Add(Event{Netns: 8, Kind: StackSent}) || j.Len() != 0 {
		t.Error("an event of namespace 8 entered the journal of 7")
	}
	if !j.Add(Event{Netns: 7, Kind: StackSent}) || j.Len() != 1 {
		t.Error("an event of namespace 7 was left out")
	}
}

func TestJournalKeepsOrderAndForgets(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 5, 0, 0, 0, time.UTC)
	j := NewJournal(JournalOptions{})
	j.Add(Event{Time: t0.Add(2 * time.Second)})
	j.Add(Event{Time: t0})
	j.Add(Event{Time: t0.Add(time.Second)})
	evs := j.Events()
	for i := 1; i < len(evs); i++ {
		if evs[i].Time.Before(evs[i-1].Time) {
			t.Fatalf("events out of order: %v", evs)
		}
	}
	j.Add(Event{Time: t0.Add(keep + 1500*time.Millisecond)})
	if j.Len() != 2 {
		t.Errorf("after %v the journal holds %d events, want 2", keep, j.Len())
	}
}

func TestReasonByName(t *testing.T) {
	for name, want := range map[string]Reason{
		"SK_RST_REASON_NO_SOCKET": ReasonNoSocket, "TCP_ABORT_ON_CLOSE": ReasonAbortOnClose,
		"SK_RST_REASON_MPTCP_RST_EMPTCP": ReasonMPTCP, "SK_RST_REASON_SOMETHING_NEW": ReasonUnknown,
		"SK_RST_REASON_TCP_KEEPALIVE_TIMEOUT": ReasonKeepaliveTimeout, "UNKNOWN": ReasonUnknown,
	} {
		if got := ReasonByName(name); got != want {
			t.Errorf("%s: got %s, want %s", name, got, want)
		}
	}
}

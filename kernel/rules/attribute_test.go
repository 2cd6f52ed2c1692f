//go:build linux

package rules

import (
	"encoding/binary"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/nftables/expr"

	"github.com/rstsniff/rstsniff/kernel"
)

// Expressions as the kernel gives them back for the nft rules named in
// each helper's comment (the shapes TestReadRuleset reads from a real
// ruleset).

// saddrDport: ip saddr ADDR tcp dport PORT [counter] VERDICT, in an inet table.
func saddrDport(addr string, port uint16, counter bool, verdict expr.Any) []expr.Any {
	a := netip.MustParseAddr(addr).As4()
	p := make([]byte, 2)
	binary.BigEndian.PutUint16(p, port)
	es := []expr.Any{
		&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1}, &expr.Cmp{Register: 1, Data: []byte{2}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 12, Len: 4},
		&expr.Cmp{Register: 1, Data: a[:]},
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1}, &expr.Cmp{Register: 1, Data: []byte{6}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
		&expr.Cmp{Register: 1, Data: p},
	}
	if counter {
		es = append(es, &expr.Counter{})
	}
	return append(es, verdict)
}

var (
	reset = &expr.Reject{Type: 1}
	drop  = &expr.Verdict{Kind: expr.VerdictDrop}
)

// rateLimit: tcp dport 22 ct state new limit rate over 5/minute counter drop
func rateLimit() []expr.Any {
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1}, &expr.Cmp{Register: 1, Data: []byte{6}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
		&expr.Cmp{Register: 1, Data: []byte{0, 22}},
		&expr.Ct{Register: 1, Key: expr.CtKeySTATE},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: binary.NativeEndian.AppendUint32(nil, 8), Xor: []byte{0, 0, 0, 0}},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: []byte{0, 0, 0, 0}},
		&expr.Limit{Rate: 5, Over: true, Unit: expr.LimitTimeMinute, Burst: 5},
		&expr.Counter{}, drop,
	}
}

var t0 = time.Date(2026, 12, 4, 19, 0, 0, 0, time.UTC)

// snap makes a snapshot read over [at, at+1ms] with the rules' packet counters.
func snap(at time.Duration, rules []compiled, packets ...uint64) *Snapshot {
	rs := append([]compiled(nil), rules...)
	for i := range rs {
		rs[i].Rule.Packets = packets[i]
	}
	return newSnapshot(t0.Add(at), t0.Add(at+time.Millisecond), rs, "")
}

func lab() []compiled {
	ci := chainInfo{family: "inet", table: "lab", chain: "input", hook: "input"}
	return []compiled{
		compile(ci, 2, saddrDport("198.51.100.7", 22, false, reset), nil, nil),
		compile(ci, 3, saddrDport("198.51.100.8", 22, true, reset), nil, nil),
		compile(ci, 4, saddrDport("198.51.100.9", 22, true, drop), nil, nil),
		compile(ci, 5, rateLimit(), nil, nil),
		policyRule(ci, false),
	}
}

// event is the kernel's FirewallDropped for a client's SYN to port 22:
// the reset's addresses (server first).
func event(client string, at time.Duration) *kernel.Event {
	return &kernel.Event{Kind: kernel.FirewallDropped, Time: t0.Add(at),
		Src: netip.MustParseAddrPort("203.0.113.2:22"), Dst: netip.MustParseAddrPort(client + ":40000")}
}

func handles(cs []kernel.Candidate) []uint64 {
	var out []uint64
	for _, c := range cs {
		out = append(out, c.Rule.Handle)
	}
	return out
}

func TestAttribute(t *testing.T) {
	rs := lab()
	h := NewHistory(false)
	h.Add(snap(0, rs, 0, 0, 0, 0, 0))
	h.Add(snap(100*time.Millisecond, rs, 0, 1, 1, 0, 0)) // .8 and .9 each dropped once
	h.Add(snap(200*time.Millisecond, rs, 0, 1, 1, 2, 0)) // the rate limit twice
	h.Add(snap(300*time.Millisecond, rs, 0, 1, 1, 2, 0)) // nothing
	h.Add(snap(400*time.Millisecond, rs, 0, 2, 1, 3, 0)) // .8 again, and the rate limit once
	h.Add(snap(500*time.Millisecond, rs, 0, 3, 1, 2, 0)) // read 0.5 ms after an event: not yet "after" it
	h.Add(snap(520*time.Millisecond, rs, 0, 3, 1, 2, 0)) // .8 dropped by now
	h.Add(&Snapshot{Begin: t0.Add(600 * time.Millisecond), End: t0.Add(601 * time.Millisecond), Err: syscall.EPERM, Why: kernel.WhyPrivilege})

	cases := []struct {
		name    string
		e       *kernel.Event
		status  kernel.RuleStatus
		want    []uint64 // candidates' handles
		_       kernel.Match
		uncount []uint64
	}{
		{"each rule to its own address", event("198.51.100.9", 50*time.Millisecond), kernel.RulesNamed, []uint64{4}, kernel.MatchCovers, nil},
		{"the other rule that rose does not cover it", event("198.51.100.8", 50*time.Millisecond), kernel.RulesNamed, []uint64{3}, kernel.MatchCovers, nil},
		{"rate limit: its ct state and limit not evaluated", event("198.51.100.2", 150*time.Millisecond), kernel.RulesNamed, []uint64{5}, kernel.MatchUnknown, nil},
		{"no counter: the uncounted rule, no candidate", event("198.51.100.7", 250*time.Millisecond), kernel.RulesNoneRose, nil, 0, []uint64{2}},
		{"two rules rose, both cover .8: both listed", event("198.51.100.8", 350*time.Millisecond), kernel.RulesNamed, []uint64{3, 5}, 0, nil},
		{"two rules rose, one covers .9", event("198.51.100.9", 350*time.Millisecond), kernel.RulesNamed, []uint64{5}, 0, nil},
		{"nothing rose: no candidate, none invented", event("198.51.100.8", 250*time.Millisecond), kernel.RulesNoneRose, nil, 0, nil},
		{"a read within the margin is not after", event("198.51.100.8", 499500*time.Microsecond), kernel.RulesNamed, []uint64{3}, kernel.MatchCovers, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := h.Attribute(c.e)
			if r == nil {
				t.Fatal("nil")
			}
			if r.Status != c.status || fmtU(handles(r.Candidates)) != fmtU(c.want) {
				t.Fatalf("status %s candidates %v, want %s %v", r.Status, handles(r.Candidates), c.status, c.want)
			}
			for _, cd := range r.Candidates {
				want := kernel.MatchCovers
				if cd.Rule.Handle == 5 { // ct state and limit cannot be evaluated
					want = kernel.MatchUnknown
				}
				if cd.Match != want {
					t.Errorf("handle %d: match %s, want %s (%v)", cd.Rule.Handle, cd.Match, want, cd.Unevaluated)
				}
			}
			var u []uint64
			for _, x := range r.Uncounted {
				u = append(u, x.Handle)
			}
			if fmtU(u) != fmtU(c.uncount) {
				t.Errorf("uncounted %v, want %v", u, c.uncount)
			}
		})
	}
	// The rate limit rose between 100 and 200 ms; in that window it is the
	// only one that rose, and it covers any client: named, its limit
	// unevaluated.
	if r := h.Attribute(event("198.51.100.8", 150*time.Millisecond)); r.Status != kernel.RulesNamed || fmtU(handles(r.Candidates)) != fmtU([]uint64{5}) ||
		!strings.Contains(strings.Join(r.Candidates[0].Unevaluated, ","), "limit") {
		t.Errorf("rate limit for .8: %+v", r)
	}
	// Before the first snapshot: nothing to say.
	if r := h.Attribute(event("198.51.100.8", -time.Second)); r != nil {
		t.Errorf("before the first read: %+v", r)
	}
	// After the last good read, the reads fail: unreadable, privilege,
	// with what could have from the last good read.
	r := h.Attribute(event("198.51.100.8", 550*time.Millisecond))
	if r.Status != kernel.RulesUnreadable || r.Why != kernel.WhyPrivilege || len(r.Uncounted) == 0 {
		t.Errorf("after the reads failed: %+v", r)
	}
	// Not a firewall event.
	if r := h.Attribute(&kernel.Event{Kind: kernel.StackSent, Time: t0}); r != nil {
		t.Errorf("stack event: %+v", r)
	}
	// iptables-legacy: when nothing rose, say the rules cannot be named.
	hl := NewHistory(true)
	hl.Add(snap(0, rs, 0, 0, 0, 0, 0))
	hl.Add(snap(100*time.Millisecond, rs, 0, 0, 0, 0, 0))
	if r := hl.Attribute(event("198.51.100.2", 50*time.Millisecond)); r.Status != kernel.RulesLegacy {
		t.Errorf("legacy: %+v", r)
	}
}

func fmtU(v []uint64) string {
	var b strings.Builder
	for _, x := range v {
		b.WriteString(" ")
		b.WriteString(time.Duration(x).String())
	}
	return b.String()
}

func TestRender(t *testing.T) {
	ci := chainInfo{family: "inet", table: "lab", chain: "input"}
	prefix := []expr.Any{
		&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1}, &expr.Cmp{Register: 1, Data: []byte{2}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 12, Len: 4},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: []byte{255, 255, 240, 0}, Xor: []byte{0, 0, 0, 0}},
		&expr.Cmp{Register: 1, Data: []byte{198, 51, 96, 0}},
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1}, &expr.Cmp{Register: 1, Data: []byte{6}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
		&expr.Cmp{Op: expr.CmpOpGte, Register: 1, Data: []byte{0, 22}},
		&expr.Cmp{Op: expr.CmpOpLte, Register: 1, Data: []byte{0, 23}},
		drop,
	}
	cases := []struct {
		exprs []expr.Any
		text  string
		with  string
	}{
		{saddrDport("198.51.100.7", 22, false, reset), "ip saddr 198.51.100.7 tcp dport 22 reject with tcp reset",
			"ip saddr 198.51.100.7 tcp dport 22 counter reject with tcp reset"},
		{rateLimit(), "tcp dport 22 ct state new limit rate over 5/minute counter drop", ""},
		{prefix, "ip saddr 198.51.96.0/20 tcp dport 22-23 drop", "ip saddr 198.51.96.0/20 tcp dport 22-23 counter drop"},
	}
	for _, c := range cases {
		r := compile(ci, 1, c.exprs, nil, nil).Rule
		if r.Text != c.text || r.WithCounter != c.with {
			t.Errorf("text %q with counter %q, want %q %q", r.Text, r.WithCounter, c.text, c.with)
		}
	}
	// The /20 and the port range are evaluated.
	c := compile(ci, 1, prefix, nil, nil)
	for _, x := range []struct {
		src  string
		port uint16
		ok   bool
	}{{"198.51.100.2", 22, true}, {"198.51.111.255", 23, true}, {"198.51.112.1", 22, false}, {"198.51.100.2", 24, false}} {
		p := Packet{Src: netip.AddrPortFrom(netip.MustParseAddr(x.src), 40000), Dst: netip.AddrPortFrom(netip.MustParseAddr("203.0.113.2"), x.port)}
		if ok, m, _ := ruleMatch(&c, p); ok != x.ok || ok && m != kernel.MatchCovers {
			t.Errorf("%s port %d: covers %v (%s), want %v", x.src, x.port, ok, m, x.ok)
		}
	}
	// An IPv6 packet is not matched by an IPv4 rule of an inet table.
	p6 := Packet{Src: netip.MustParseAddrPort("[2001:db8:1::2]:40000"), Dst: netip.MustParseAddrPort("[2001:db8:2::2]:22")}
	if ok, _, _ := ruleMatch(&c, p6); ok {
		t.Error("an IPv4 rule covers an IPv6 packet")
	}
	// Owners.
	for _, o := range []struct {
		table, chain string
		owner        kernel.Owner
		name         string
	}{{"filter", "f2b-sshd", kernel.OwnerFail2ban, "sshd"}, {"f2b-table", "f2b-chain", kernel.OwnerFail2ban, ""},
		{"firewalld", "filter_IN_public_deny", kernel.OwnerFirewalld, "public"}, {"filter", "IN_home_allow", kernel.OwnerFirewalld, "home"},
		{"filter", "INPUT", kernel.OwnerNone, ""}} {
		if ow, n := owner(o.table, o.chain); ow != o.owner || n != o.name {
			t.Errorf("%s %s: %s %q, want %s %q", o.table, o.chain, ow, n, o.owner, o.name)
		}
	}
}

// The history keeps a bounded number of reads; an event whose "before"
// was dropped says so rather than naming a rule from a wider window.
func TestHistoryBounds(t *testing.T) {
	rs := lab()
	h := NewHistory(false)
	for i := range keepSnaps + 10 {
		h.Add(snap(time.Duration(i)*10*time.Millisecond, rs, 0, uint64(i), 0, 0, 0))
	}
	if h.Len() != keepSnaps {
		t.Fatalf("%d reads kept, want %d", h.Len(), keepSnaps)
	}
	if r := h.Attribute(event("198.51.100.8", 55*time.Millisecond)); r == nil || r.Status != kernel.RulesNoSnapshot {
		t.Errorf("an event before the reads kept: %+v", r)
	}
	if r := h.Attribute(event("198.51.100.8", time.Duration(keepSnaps)*10*time.Millisecond+5*time.Millisecond)); r == nil || r.Status != kernel.RulesNamed {
		t.Errorf("an event among the reads kept: %+v", r)
	}
	// Reads older than keepAge go too.
	h.Add(snap(keepAge+time.Hour, rs, 0, 0, 0, 0, 0))
	if h.Len() != 1 {
		t.Errorf("%d reads kept after an hour, want 1", h.Len())
	}
}

// An ip6 table's rule on a shortened prefix load (nft writes a /64 as an
// 8-byte load) and an inet set of ports.
func TestIPv6AndSets(t *testing.T) {
	rule := []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 8, Len: 8},
		&expr.Cmp{Register: 1, Data: []byte{0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0}},
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1}, &expr.Cmp{Register: 1, Data: []byte{6}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
		&expr.Lookup{SourceRegister: 1, SetName: "__set0"},
		&expr.Counter{}, drop,
	}
	sets := map[string]*set{"__set0": {Name: "__set0", Anonymous: true, Read: true, Elements: []element{{Key: []byte{0, 22}}, {Key: []byte{0x08, 0x98}}}}}
	c := compile(chainInfo{family: "ip6", table: "t", chain: "input"}, 1, rule, nil, sets)
	if want := "ip6 saddr 2001:db8:1::/64 tcp dport { 22, 2200 } counter drop"; c.Rule.Text != want {
		t.Errorf("text %q, want %q", c.Rule.Text, want)
	}
	for _, x := range []struct {
		src, dst string
		ok       bool
	}{
		{"[2001:db8:1::2]:40000", "[2001:db8:2::2]:22", true},
		{"[2001:db8:1::2]:40000", "[2001:db8:2::2]:2200", true},
		{"[2001:db8:1::2]:40000", "[2001:db8:2::2]:2222", false},
		{"[2001:db8:5::2]:40000", "[2001:db8:2::2]:22", false},
		{"198.51.100.2:40000", "203.0.113.2:22", false},
	} {
		p := Packet{Src: netip.MustParseAddrPort(x.src), Dst: netip.MustParseAddrPort(x.dst)}
		if ok, m, _ := ruleMatch(&c, p); ok != x.ok || ok && m != kernel.MatchCovers {
			t.Errorf("%s -> %s: covers %v (%s), want %v", x.src, x.dst, ok, m, x.ok)
		}
	}
}

// fail2ban's nftables action: table inet f2b-table, chain f2b-chain, the
// jail's addresses in the set addr-set-<jail>.
func TestFail2banNftables(t *testing.T) {
	rule := []expr.Any{
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1}, &expr.Cmp{Register: 1, Data: []byte{6}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
		&expr.Cmp{Register: 1, Data: []byte{0, 22}},
		&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1}, &expr.Cmp{Register: 1, Data: []byte{2}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 12, Len: 4},
		&expr.Lookup{SourceRegister: 1, SetName: "addr-set-sshd"},
		&expr.Reject{Type: 0, Code: 3},
	}
	sets := map[string]*set{"addr-set-sshd": {Name: "addr-set-sshd", Read: true, Elements: []element{{Key: []byte{198, 51, 100, 5}}}}}
	c := compile(chainInfo{family: "inet", table: "f2b-table", chain: "f2b-chain"}, 3, rule, nil, sets)
	if c.Rule.Owner != kernel.OwnerFail2ban || c.Rule.OwnerName != "sshd" || c.Rule.Verdict != kernel.VerdictReject {
		t.Errorf("owner %s %q verdict %s", c.Rule.Owner, c.Rule.OwnerName, c.Rule.Verdict)
	}
	if want := "tcp dport 22 ip saddr @addr-set-sshd reject with icmp type port-unreachable"; c.Rule.Text != want {
		t.Errorf("text %q, want %q", c.Rule.Text, want)
	}
	in := Packet{Src: netip.MustParseAddrPort("198.51.100.5:40000"), Dst: netip.MustParseAddrPort("203.0.113.2:22")}
	out := Packet{Src: netip.MustParseAddrPort("198.51.100.6:40000"), Dst: netip.MustParseAddrPort("203.0.113.2:22")}
	if ok, m, _ := ruleMatch(&c, in); !ok || m != kernel.MatchCovers {
		t.Errorf("a banned address: covers %v %s", ok, m)
	}
	if ok, _, _ := ruleMatch(&c, out); ok {
		t.Error("an address not banned is covered")
	}
}

// A base chain whose policy drops: when no rule rose, it could have.
func TestPolicyDrop(t *testing.T) {
	ci := chainInfo{family: "ip", table: "filter", chain: "INPUT", hook: "input", iptables: true}
	rs := []compiled{compile(ci, 2, saddrDport("198.51.100.3", 22, true, reset)[2:], nil, nil), policyRule(ci, true)}
	h := NewHistory(false)
	h.Add(snap(0, rs, 0, 0))
	h.Add(snap(100*time.Millisecond, rs, 0, 0))
	r := h.Attribute(event("198.51.100.9", 50*time.Millisecond))
	if r == nil || r.Status != kernel.RulesNoneRose || len(r.Uncounted) != 1 || !r.Uncounted[0].Policy || r.Uncounted[0].Chain != "INPUT" {
		t.Fatalf("%+v", r)
	}
	// An IPv6 packet does not meet an ip table's policy.
	e := event("198.51.100.9", 50*time.Millisecond)
	e.Src, e.Dst = netip.MustParseAddrPort("[2001:db8:2::2]:22"), netip.MustParseAddrPort("[2001:db8:1::2]:40000")
	if r := h.Attribute(e); r == nil || len(r.Uncounted) != 0 {
		t.Errorf("IPv6 and an ip table's policy: %+v", r)
	}
}

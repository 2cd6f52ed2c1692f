package correlate

import (
	"net/netip"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/catalog"
	"github.com/rstsniff/rstsniff/decode"
)

var t0 = time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)

// pkt is a packet as one capture recorded it.
func pkt(frame int, at time.Duration, from analyze.Side, flags decode.Flags, seq uint32, n int, ttl uint8) analyze.PacketRecord {
	return analyze.PacketRecord{Frame: frame, Time: t0.Add(at), From: from, Flags: flags, RawSeq: seq, Len: n, TTL: ttl,
		Captured: n, Sum: uint64(seq)*31 + uint64(n)}
}

func flow(log ...analyze.PacketRecord) *analyze.Flow {
	return &analyze.Flow{ID: 1, Client: netip.MustParseAddrPort("198.51.100.2:40000"), Server: netip.MustParseAddrPort("203.0.113.2:22"),
		Start: log[0].Time, End: log[len(log)-1].Time, Log: log}
}

func capt(name string, f *analyze.Flow) *Capture {
	return &Capture{Name: name, Start: f.Start, End: f.End, Flows: []*analyze.Flow{f}}
}

const (
	c = analyze.Client
	s = analyze.Server
	S = decode.SYN
	A = decode.ACK
	P = decode.PSH | decode.ACK
)

// A segment the sender's offload split in two on the way is not lost, and
// the two halves were not injected.
func TestResegmented(t *testing.T) {
	ms := time.Millisecond
	client := flow(pkt(1, 0, c, S, 100, 0, 64), pkt(2, ms, s, S|A, 500, 0, 63), pkt(3, 2*ms, c, A, 101, 0, 64),
		pkt(4, 3*ms, c, P, 101, 2000, 64), pkt(5, 5*ms, s, A, 501, 0, 63))
	server := flow(pkt(1, 0, c, S, 100, 0, 63), pkt(2, ms, s, S|A, 500, 0, 64), pkt(3, 2*ms, c, A, 101, 0, 63),
		pkt(4, 3*ms, c, P, 101, 1000, 63), pkt(5, 3*ms, c, P, 1101, 1000, 63), pkt(6, 5*ms, s, A, 501, 0, 64))
	r := Compare(capt("c", client), capt("s", server))
	if len(r.Pairs) != 1 {
		t.Fatalf("%d pairs", len(r.Pairs))
	}
	p := r.Pairs[0]
	if len(p.Findings) != 0 || p.Counts[Resegmented] != 3 || p.Counts[Delivered] != 4 {
		t.Errorf("counts %v, findings %+v", p.Counts, p.Findings)
	}
}

// A payload changed on the way (same length), and a window rewritten.
func TestChanged(t *testing.T) {
	ms := time.Millisecond
	client := flow(pkt(1, 0, c, S, 100, 0, 64), pkt(2, ms, s, S|A, 500, 0, 63), pkt(3, 2*ms, c, P, 101, 40, 64))
	server := flow(pkt(1, 0, c, S, 100, 0, 62), pkt(2, ms, s, S|A, 500, 0, 64), pkt(3, 2*ms, c, P, 101, 40, 62))
	server.Log[2].Sum++
	server.Log[2].Window = 7
	r := Compare(capt("c", client), capt("s", server))
	p := r.Pairs[0]
	if p.Hops != [2]int{2, 1} {
		t.Errorf("hops %v, want 2 for the client's packets and 1 for the server's", p.Hops)
	}
	want := []Finding{
		{ID: FindModified, From: c, Packets: 1, Frames: [2][]int{{3}, {3}}, Change: Change{Field: FieldWindow, Sent: 0, Got: 7}, First: KindData, FirstLen: 40},
		{ID: FindModified, From: c, Packets: 1, Frames: [2][]int{{3}, {3}}, Change: Change{Field: FieldPayload, Bytes: 40}, First: KindData, FirstLen: 40},
	}
	if !reflect.DeepEqual(p.Findings, want) {
		t.Errorf("findings\n%+v\nwant\n%+v", p.Findings, want)
	}
}

// The second file may be the client's: sides follow the TTLs, not the
// order of the files.
func TestServerFileFirst(t *testing.T) {
	ms := time.Millisecond
	client := flow(pkt(1, 0, c, S, 100, 0, 64), pkt(2, ms, s, S|A, 500, 0, 63), pkt(3, 2*ms, s, decode.RST, 501, 0, 64),
		pkt(4, 3*ms, c, A, 101, 0, 64))
	server := flow(pkt(1, 0, c, S, 100, 0, 63), pkt(2, ms, s, S|A, 500, 0, 64), pkt(3, 3*ms, c, A, 101, 0, 63))
	r := Compare(capt("server side", server), capt("client side", client))
	p := r.Pairs[0]
	if p.ClientSide != 1 {
		t.Fatalf("client side %d, want the second capture", p.ClientSide)
	}
	if len(p.Findings) != 1 || p.Findings[0].ID != FindForged || p.Findings[0].Frames[1][0] != 3 {
		t.Errorf("findings %+v, want the RST in the client side's frame 3 forged", p.Findings)
	}
}

// A firewall that rewrites the client's initial sequence number (Cisco ASA
// does) hides the connection from sequence numbers; the TCP timestamps
// still match it, and the packets are paired through the offset.
func TestISNRewritten(t *testing.T) {
	ms := time.Millisecond
	ts := func(p analyze.PacketRecord, v uint32) analyze.PacketRecord {
		p.Options |= decode.OptTimestamp
		p.TSVal = v
		return p
	}
	client := flow(ts(pkt(1, 0, c, S, 100, 0, 64), 7000), ts(pkt(2, ms, s, S|A, 500, 0, 63), 9000),
		ts(pkt(3, 2*ms, c, P, 101, 41, 64), 7001), ts(pkt(4, 3*ms, s, P, 501, 41, 63), 9001))
	server := flow(ts(pkt(1, 0, c, S, 5100, 0, 63), 7000), ts(pkt(2, ms, s, S|A, 500, 0, 64), 9000),
		ts(pkt(3, 2*ms, c, P, 5101, 41, 63), 7001), ts(pkt(4, 3*ms, s, P, 501, 41, 64), 9001))
	server.Log[2].Sum = client.Log[2].Sum
	// The acknowledgments of the client's bytes are in each side's numbering.
	for _, x := range []struct {
		f   *analyze.Flow
		i   int
		ack uint32
	}{{client, 1, 101}, {server, 1, 5101}, {client, 2, 501}, {server, 2, 501}, {client, 3, 142}, {server, 3, 5142}} {
		x.f.Log[x.i].RawAck = x.ack
	}
	r := Compare(capt("c", client), capt("s", server))
	if len(r.Pairs) != 1 {
		t.Fatalf("%d pairs, want the connection matched by its timestamps", len(r.Pairs))
	}
	p := r.Pairs[0]
	if p.Counts[Delivered] != 4 || len(p.Findings) != 0 || !p.MatchedBy.Timestamps() {
		t.Errorf("counts %v, findings %+v, matched by %v", p.Counts, p.Findings, p.MatchedBy)
	}
}

// Clones of one connection (the same sequence numbers in thousands of
// flows, as a capture generator makes) are matched by their addresses and
// ports, without a quadratic blow-up.
func TestClonesMatchedByTuple(t *testing.T) {
	ms := time.Millisecond
	var a, b []*analyze.Flow
	for i := range 3000 {
		mk := func(ttlC, ttlS uint8) *analyze.Flow {
			f := flow(pkt(1, 0, c, S, 100, 0, ttlC), pkt(2, ms, s, S|A, 500, 0, ttlS), pkt(3, 2*ms, c, A, 101, 0, ttlC))
			f.Client = netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)}), 40000)
			return f
		}
		a, b = append(a, mk(64, 63)), append(b, mk(63, 64))
	}
	start := time.Now()
	r := Compare(&Capture{Name: "a", Start: t0, End: t0.Add(time.Second), Flows: a}, &Capture{Name: "b", Start: t0, End: t0.Add(time.Second), Flows: b})
	if len(r.Pairs) != 3000 {
		t.Fatalf("%d pairs, want 3000", len(r.Pairs))
	}
	for _, p := range r.Pairs {
		if p.Flows[0].Client != p.Flows[1].Client {
			t.Fatalf("%v paired with %v", p.Flows[0].Client, p.Flows[1].Client)
		}
	}
	t.Logf("3000 clones matched in %v", time.Since(start))
}

// A long transfer with every tenth segment lost on the way: each loss is
// found once, retransmissions that arrived are not counted, and the work
// grows with the packets, not their square.
func TestLongTransferLosses(t *testing.T) {
	const n = 100000
	var sent, recv []analyze.PacketRecord
	sent = append(sent, pkt(1, 0, c, S, 100, 0, 64))
	recv = append(recv, pkt(1, 0, c, S, 100, 0, 63))
	seq := uint32(101)
	for i := range n {
		at := time.Duration(i+1) * time.Microsecond
		sent = append(sent, pkt(len(sent)+1, at, c, P, seq, 1000, 64))
		if i%10 != 0 {
			recv = append(recv, pkt(len(recv)+1, at, c, P, seq, 1000, 63))
		}
		seq += 1000
	}
	end := time.Duration(n+1) * time.Microsecond
	sent = append(sent, pkt(len(sent)+1, end, c, A, seq, 0, 64))
	recv = append(recv, pkt(len(recv)+1, end, c, A, seq, 0, 63))
	start := time.Now()
	r := Compare(capt("c", flow(sent...)), capt("s", flow(recv...)))
	p := r.Pairs[0]
	if p.Counts[Dropped] != n/10 || p.Counts[Delivered] != n-n/10+2 || p.Counts[Resegmented] != 0 {
		t.Errorf("counts %v", p.Counts)
	}
	t.Logf("%d packets compared in %v", len(sent)+len(recv), time.Since(start))
}

// Every finding correlate makes is in the one catalog, as a finding from
// a second capture, and the catalog has no such finding correlate does not
// make (the README and docs/findings.md are tied to the catalog there).
func TestFindingIDsInCatalog(t *testing.T) {
	ids := []FindingID{FindForged, FindInjected, FindDropped, FindAbsent, FindModified}
	for _, id := range ids {
		e, ok := catalog.Lookup(string(id))
		if !ok || e.Source != catalog.SourceSecondCapture || e.Meaning == "" || len(e.Causes) == 0 || len(e.NextSteps) == 0 {
			t.Errorf("%s: not in the catalog as a second capture's finding with its words (%+v)", id, e)
		}
	}
	if !slices.Equal(FindingIDs, ids) {
		t.Errorf("FindingIDs %v, want %v in this order", FindingIDs, ids)
	}
}

// docs/correlate.md's table of correlation findings names every finding ID, and
// no other.
func TestFindingIDsInREADME(t *testing.T) {
	b, err := os.ReadFile("../docs/correlate.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(b), "Findings (JSON `findings`, each with the frame numbers in both files):")
	if !ok {
		t.Fatal("docs/correlate.md: no table of correlation findings")
	}
	table, _, _ = strings.Cut(table, "\n\n"+"Each RST")
	var listed []FindingID
	for _, l := range strings.Split(table, "\n") {
		if id, ok := strings.CutPrefix(l, "| `"); ok {
			id, _, _ = strings.Cut(id, "`")
			listed = append(listed, FindingID(id))
		}
	}
	for _, id := range FindingIDs {
		if !slices.Contains(listed, id) {
			t.Errorf("docs/correlate.md does not list %s", id)
		}
	}
	for _, id := range listed {
		if !slices.Contains(FindingIDs[:], id) {
			t.Errorf("docs/correlate.md lists %s, which correlate does not find", id)
		}
	}
}

// Enum names, and "unknown" for a value out of range rather than a panic.
func TestEnumNames(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{KindSYNACK.String(), "SYN-ACK"}, {Kind(99).String(), "unknown"},
		{FieldPayload.String(), "payload"}, {Field(99).String(), "unknown"},
		{Removed.String(), "removed"}, {Op(99).String(), "unknown"},
		{SameTTL.String(), "same-ttl"}, {ByTiming.String(), "timing"}, {Orientation(99).String(), "unknown"},
		{ByTuple.String(), "tuple"}, {MatchedBy(99).String(), "unknown"},
	} {
		if c.got != c.want {
			t.Errorf("%q, want %q", c.got, c.want)
		}
	}
}

// With no router between the points (the same TTLs), the timing tells
// which capture is nearer the client, whatever order they come in and
// however far apart their clocks are; which point a lost packet is missing
// from then says it was lost, not injected.
func TestOrientByTiming(t *testing.T) {
	us := time.Microsecond
	skew := 5 * time.Millisecond // the server-side capture's clock runs ahead
	near := flow(pkt(1, 0, c, S, 100, 0, 64), pkt(2, 1100*us, s, S|A, 500, 0, 64), pkt(3, 2000*us, c, A, 101, 0, 64),
		pkt(4, 3000*us, c, P, 101, 40, 64), pkt(5, 4200*us, s, A, 501, 0, 64))
	far := flow(pkt(1, skew+100*us, c, S, 100, 0, 64), pkt(2, skew+1000*us, s, S|A, 500, 0, 64), pkt(3, skew+2100*us, c, A, 101, 0, 64),
		pkt(4, skew+4100*us, s, A, 501, 0, 64))
	for _, order := range [][2]*analyze.Flow{{near, far}, {far, near}} {
		r := Compare(capt("a", order[0]), capt("b", order[1]))
		p := r.Pairs[0]
		want := 0
		if order[0] == far {
			want = 1
		}
		if p.ClientSide != want || p.OrientedBy != ByTiming {
			t.Errorf("client side %d by %v, want %d by timing", p.ClientSide, p.OrientedBy, want)
		}
		if p.Counts[Dropped] != 1 || p.Counts[Injected] != 0 || p.Hops != [2]int{0, 0} {
			t.Errorf("counts %v, hops %v: want one packet lost, none injected, no router", p.Counts, p.Hops)
		}
	}
}

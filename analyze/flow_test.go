package analyze

import (
	"crypto/sha1"
	"encoding/base64"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/rstsniff/rstsniff/decode"
)

// Vectors from the Community ID specification's baseline
// (corelight/community-id-spec baseline/baseline_deflt.json), both directions.
func TestCommunityID(t *testing.T) {
	for _, c := range []struct{ a, b, want string }{
		{"128.232.110.120:34855", "66.35.250.204:80", "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
		{"66.35.250.204:80", "128.232.110.120:34855", "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
		{"[2001:470:e5bf:dead:4957:2174:e82c:4887]:63943", "[2607:f8b0:400c:c03::1a]:25", "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="},
		{"[2607:f8b0:400c:c03::1a]:25", "[2001:470:e5bf:dead:4957:2174:e82c:4887]:63943", "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="},
	} {
		if got := communityID(netip.MustParseAddrPort(c.a), netip.MustParseAddrPort(c.b)); got != c.want {
			t.Errorf("%s -> %s: %s, want %s", c.a, c.b, got, c.want)
		}
	}
	// An IPv4-mapped address against a plain IPv6 one (a crafted capture)
	// hashes 4 bytes and 16, as the specification's byte strings are.
	a, b := netip.MustParseAddrPort("[::ffff:198.51.100.2]:40000"), netip.MustParseAddrPort("[2001:db8::1]:22")
	h := sha1.New()
	h.Write([]byte{0, 0, 198, 51, 100, 2})
	h.Write(b.Addr().AsSlice())
	h.Write([]byte{6, 0, 40000 >> 8, 40000 & 0xff, 0, 22})
	if got, want := communityID(a, b), "1:"+base64.StdEncoding.EncodeToString(h.Sum(nil)); got != want {
		t.Errorf("mixed families: %s, want %s", got, want)
	}
}

var (
	cAddr = netip.MustParseAddrPort("198.51.100.2:40000")
	sAddr = netip.MustParseAddrPort("203.0.113.2:22")
)

// seg is one synthetic segment: from the client unless fromServer.
type seg struct {
	fromServer bool
	flags      decode.Flags
	seq, ack   uint32
	payload    string
	at         time.Duration
}

func feed(cfg Config, segs []seg) []*Flow {
	a := New(cfg)
	t0 := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	for i, g := range segs {
		s := decode.Segment{Src: cAddr.Addr(), Dst: sAddr.Addr(), SrcPort: cAddr.Port(), DstPort: sAddr.Port(), TTL: 64,
			Seq: g.seq, Ack: g.ack, Flags: g.flags, Payload: []byte(g.payload), PayloadLen: len(g.payload)}
		if g.fromServer {
			s.Src, s.Dst, s.SrcPort, s.DstPort, s.TTL = sAddr.Addr(), cAddr.Addr(), sAddr.Port(), cAddr.Port(), 63
		}
		a.Packet(i+1, t0.Add(g.at), &s)
	}
	return a.Finish()
}

const (
	S  = decode.SYN
	SA = decode.SYN | decode.ACK
	A  = decode.ACK
	PA = decode.PSH | decode.ACK
	FA = decode.FIN | decode.ACK
	R  = decode.RST
	RA = decode.RST | decode.ACK
)

// handshake is a completed three-way handshake: client ISN 100, server ISN 500.
var handshake = []seg{{false, S, 100, 0, "", 0}, {true, SA, 500, 101, "", time.Millisecond}, {false, A, 101, 501, "", 2 * time.Millisecond}}

func with(extra ...seg) []seg { return append(append([]seg{}, handshake...), extra...) }

func TestFlowOutcomes(t *testing.T) {
	ms := time.Millisecond
	cases := []struct {
		name       string
		segs       []seg
		outcome    Outcome
		closedBy   Side
		stage      Stage
		resets     int
		firstStage Stage
		seqState   string
		connState  string
	}{
		{"refused", []seg{{false, S, 100, 0, "", 0}, {true, RA, 0, 101, "", ms}},
			OutcomeRefused, Server, StageHandshake, 1, StageHandshake, "zero", "REJ"},
		{"single SYN, capture ends at once", []seg{{false, S, 100, 0, "", 0}},
			OutcomeOpen, SideNone, StageHandshake, 0, 0, "", "S0"},
		{"SYN retransmitted, never answered", []seg{{false, S, 100, 0, "", 0}, {false, S, 100, 0, "", time.Second}},
			OutcomeTimeout, SideNone, StageHandshake, 0, 0, "", "S0"},
		{"reset by the server after the client banner",
			with(seg{false, PA, 101, 501, "SSH-2.0-x\r\n", 3 * ms}, seg{true, R, 501, 0, "", 4 * ms}),
			OutcomeReset, Server, StageBanner, 1, StageBanner, "exact", "RSTR"},
		{"server FIN, then its kernel resets late client data",
			with(seg{true, FA, 501, 101, "", 3 * ms}, seg{false, PA, 101, 502, "data", 4 * ms}, seg{true, R, 502, 0, "", 5 * ms}),
			OutcomeClosed, Server, StageBanner, 1, StageBanner, "exact", "RSTR"},
		{"client FIN, server resets instead of closing",
			with(seg{false, FA, 101, 501, "", 3 * ms}, seg{true, RA, 501, 102, "", 4 * ms}),
			OutcomeReset, Client, StageBanner, 1, StageBanner, "exact", "RSTR"},
		{"both FIN, a late RST changes nothing",
			with(seg{false, FA, 101, 501, "", 3 * ms}, seg{true, FA, 501, 102, "", 4 * ms}, seg{false, R, 102, 0, "", 5 * ms}),
			OutcomeClosed, Client, StageBanner, 1, StageBanner, "exact", "RSTO"},
		{"data never acknowledged", with(seg{false, PA, 101, 501, "SSH-2.0-x\r\n", 3 * ms}, seg{false, PA, 101, 501, "SSH-2.0-x\r\n", 300 * ms}),
			OutcomeTimeout, SideNone, StageBanner, 0, 0, "", "S1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			flows := feed(Config{}, c.segs)
			if len(flows) != 1 {
				t.Fatalf("%d flows", len(flows))
			}
			f := flows[0]
			if f.Outcome != c.outcome || f.ClosedBy != c.closedBy || f.Stage != c.stage || len(f.Resets) != c.resets {
				t.Errorf("outcome %v by %q stage %v resets %d; want %v by %q stage %v resets %d",
					f.Outcome, f.ClosedBy, f.Stage, len(f.Resets), c.outcome, c.closedBy, c.stage, c.resets)
			}
			if c.resets > 0 && (f.Resets[0].Stage != c.firstStage || f.Resets[0].SeqState.String() != c.seqState) {
				t.Errorf("first reset at %v seq %s, want %v %s", f.Resets[0].Stage, f.Resets[0].SeqState, c.firstStage, c.seqState)
			}
			if f.ConnState != c.connState {
				t.Errorf("conn_state %s (history %s), want %s", f.ConnState, f.History, c.connState)
			}
			if f.Client != cAddr || f.Server != sAddr || f.FirstPacket != 1 || f.LastPacket != len(c.segs) {
				t.Errorf("endpoints %v %v packets %d-%d", f.Client, f.Server, f.FirstPacket, f.LastPacket)
			}
		})
	}
}

// A capture that starts mid-connection: the side on the SSH port is the
// server, and encrypted bytes do not pretend to be a banner.
func TestFlowMidstream(t *testing.T) {
	flows := feed(Config{}, []seg{{true, PA, 9000, 7000, "\x8f\x12\x00ciphertext", 0}, {false, A, 7000, 9013, "", time.Millisecond}})
	if len(flows) != 1 {
		t.Fatalf("%d flows", len(flows))
	}
	f := flows[0]
	if f.Client != cAddr || !f.Midstream || f.Stage != StageUnknown || f.ConnState != "OTH" || f.History[0] != '^' {
		t.Errorf("client %v midstream %v stage %v conn_state %s history %s", f.Client, f.Midstream, f.Stage, f.ConnState, f.History)
	}
}

// Off the SSH ports a flow is followed only when it speaks SSH.
func TestFlowPortsAndPayload(t *testing.T) {
	segs := with(seg{true, PA, 501, 101, "SSH-2.0-OpenSSH_9.2p1\r\n", 3 * time.Millisecond}, seg{false, PA, 101, 524, "SSH-2.0-x\r\n", 4 * time.Millisecond})
	if n := len(feed(Config{Ports: []uint16{2222}}, segs)); n != 1 {
		t.Errorf("SSH off the configured ports: %d flows, want 1", n)
	}
	http := with(seg{false, PA, 101, 501, "GET / HTTP/1.1\r\n", 3 * time.Millisecond})
	if n := len(feed(Config{Ports: []uint16{2222}}, http)); n != 0 {
		t.Errorf("HTTP off the SSH ports: %d flows, want 0", n)
	}
	f := feed(Config{}, http)
	if len(f) != 1 || len(f[0].Notes) == 0 {
		t.Errorf("HTTP on port 22 should be reported with a note: %+v", f)
	}
}

// An ended connection's memory is reused for the next one: nothing of the
// first leaks into the second, and the first's results stay as they were.
func TestFlowReused(t *testing.T) {
	ms := time.Millisecond
	a := New(Config{KeepPackets: 50})
	t0 := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	send := func(port uint16, at time.Duration, segs []seg) {
		for i, g := range segs {
			s := decode.Segment{Src: cAddr.Addr(), Dst: sAddr.Addr(), SrcPort: port, DstPort: sAddr.Port(), TTL: 64,
				Seq: g.seq, Ack: g.ack, Flags: g.flags, Payload: []byte(g.payload), PayloadLen: len(g.payload)}
			if g.fromServer {
				s.Src, s.Dst, s.SrcPort, s.DstPort, s.TTL = sAddr.Addr(), cAddr.Addr(), sAddr.Port(), port, 63
			}
			a.Packet(i+1, t0.Add(at+g.at), &s)
		}
	}
	send(40000, 0, with(seg{false, PA, 101, 501, "SSH-2.0-first\r\n", 3 * ms}, seg{true, PA, 501, 116, "SSH-2.0-srv\r\n", 4 * ms},
		seg{true, R, 514, 0, "", 5 * ms}))
	first := a.Expire(t0.Add(time.Minute))
	if len(first) != 1 || len(a.free) != 1 {
		t.Fatalf("%d flows handed over, %d kept for reuse", len(first), len(a.free))
	}
	send(40001, time.Minute, with(seg{false, FA, 101, 501, "", 3 * ms}, seg{true, FA, 501, 102, "", 4 * ms}, seg{false, A, 102, 502, "", 5 * ms}))
	if len(a.free) != 0 {
		t.Error("the second connection did not reuse the first's memory")
	}
	second := a.Expire(t0.Add(2 * time.Minute))
	if len(second) != 1 {
		t.Fatalf("%d flows", len(second))
	}
	f, g := first[0], second[0]
	if g.ClientBanner != "" || g.ServerBanner != "" || len(g.Resets) != 0 || g.Outcome != OutcomeClosed || len(g.Log) != 6 || g.Client.Port() != 40001 {
		t.Errorf("second connection: banners %q %q, %d resets, %v, %d packets logged, client %v",
			g.ClientBanner, g.ServerBanner, len(g.Resets), g.Outcome, len(g.Log), g.Client)
	}
	if f.ClientBanner != "SSH-2.0-first" || len(f.Resets) != 1 || f.Outcome != OutcomeReset || len(f.Log) != 6 || f.Log[5].Flags != R {
		t.Errorf("first connection changed: banner %q, %d resets, %v, %d packets logged", f.ClientBanner, len(f.Resets), f.Outcome, len(f.Log))
	}
}

// An SSH-1 client meeting a server that speaks both (SSH-1.99) stops both
// walkers once both identification strings are in, whichever came first,
// and an SSH-2 pair is left alone.
func TestSSH1StopsBothWalkers(t *testing.T) {
	for _, c := range []struct {
		client, server string
		serverFirst    bool
		stopped        bool
	}{
		{"SSH-1.5-old", "SSH-1.99-srv", false, true},
		{"SSH-1.5-old", "SSH-1.99-srv", true, true},
		{"SSH-2.0-new", "SSH-2.0-srv", false, false},
	} {
		a := New(Config{})
		t0 := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
		seg := func(fromServer bool, seq, ack uint32, fl decode.Flags, payload string) *decode.Segment {
			s := &decode.Segment{Src: cAddr.Addr(), Dst: sAddr.Addr(), SrcPort: cAddr.Port(), DstPort: 22, TTL: 64,
				Seq: seq, Ack: ack, Flags: fl, Payload: []byte(payload), PayloadLen: len(payload), IfIndex: -1, IPVersion: 4}
			if fromServer {
				s.Src, s.Dst, s.SrcPort, s.DstPort = sAddr.Addr(), cAddr.Addr(), 22, cAddr.Port()
			}
			return s
		}
		cl, sv := c.client+"\r\n", c.server+"\r\n"
		a.Packet(1, t0, seg(false, 100, 0, S, ""))
		a.Packet(2, t0, seg(true, 500, 101, SA, ""))
		a.Packet(3, t0, seg(false, 101, 501, A, ""))
		first, second := seg(false, 101, 501, PA, cl), seg(true, 501, 101+uint32(len(cl)), PA, sv)
		if c.serverFirst {
			first, second = seg(true, 501, 101, PA, sv), seg(false, 101, 501+uint32(len(sv)), PA, cl)
		}
		a.Packet(4, t0.Add(time.Millisecond), first)
		a.Packet(5, t0.Add(2*time.Millisecond), second)
		fs := a.Judge(a.CollectAll())
		if len(fs) != 1 {
			t.Fatalf("%d flows", len(fs))
		}
		got := slices.Contains(fs[0].Notes, Note{Client, StopSSH1}) && slices.Contains(fs[0].Notes, Note{Server, StopSSH1})
		if got != c.stopped {
			t.Errorf("%s / %s (server first %v): notes %q", c.client, c.server, c.serverFirst, fs[0].Notes)
		}
	}
}

// The authentication heuristic reads sizes of encrypted chunks; with
// compression negotiated they say nothing, and it stays undecided.
func TestAuthHeuristicOffWhenCompressed(t *testing.T) {
	for _, comp := range []string{"none", "zlib@openssh.com"} {
		kex := func() []byte {
			b := make([]byte, 16)
			for _, l := range []string{"curve25519-sha256", "ssh-ed25519", "aes128-ctr", "aes128-ctr", "hmac-sha2-256", "hmac-sha2-256", comp, comp, "", ""} {
				b = append(b, nameList(l)...)
			}
			return append(b, 0, 0, 0, 0, 0)
		}
		hello := func(banner string) []byte {
			s := append([]byte(banner+"\r\n"), packet(msgKexInit, kex())...)
			return append(s, packet(msgNewKeys, nil)...)
		}
		a := New(Config{})
		t0 := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
		seq := [2]uint32{101, 501}
		frame := 0
		send := func(fromServer bool, payload []byte) {
			frame++
			i, j := 0, 1
			s := &decode.Segment{Src: cAddr.Addr(), Dst: sAddr.Addr(), SrcPort: cAddr.Port(), DstPort: 22, TTL: 64, Flags: PA, IfIndex: -1, IPVersion: 4}
			if fromServer {
				i, j = 1, 0
				s.Src, s.Dst, s.SrcPort, s.DstPort = sAddr.Addr(), cAddr.Addr(), 22, cAddr.Port()
			}
			s.Seq, s.Ack, s.Payload, s.PayloadLen = seq[i], seq[j], payload, len(payload)
			seq[i] += uint32(len(payload))
			a.Packet(frame, t0.Add(time.Duration(frame)*time.Millisecond), s)
		}
		frame++
		a.Packet(frame, t0, &decode.Segment{Src: cAddr.Addr(), Dst: sAddr.Addr(), SrcPort: cAddr.Port(), DstPort: 22, Seq: 100, Flags: S, TTL: 64, IfIndex: -1})
		frame++
		a.Packet(frame, t0, &decode.Segment{Src: sAddr.Addr(), Dst: cAddr.Addr(), SrcPort: 22, DstPort: cAddr.Port(), Seq: 500, Ack: 101, Flags: SA, TTL: 63, IfIndex: -1})
		send(false, hello("SSH-2.0-client"))
		send(true, hello("SSH-2.0-server"))
		send(false, make([]byte, 52)) // SERVICE_REQUEST
		send(true, make([]byte, 52))  // SERVICE_ACCEPT
		send(false, make([]byte, 100))
		send(true, make([]byte, 36)) // USERAUTH_SUCCESS, 16 bytes shorter
		fs := a.Judge(a.CollectAll())
		if len(fs) != 1 {
			t.Fatalf("%s: %d flows", comp, len(fs))
		}
		if decided := fs[0].AuthSuccess != nil; decided != (comp == "none") {
			t.Errorf("compression %s: auth decided %v (%v)", comp, decided, fs[0].AuthSuccess)
		}
	}
}

// Outcomes, which summaries count by, names every outcome once: a new
// one left out would go uncounted.
func TestOutcomesListsEveryOutcome(t *testing.T) {
	seen := map[Outcome]bool{}
	for _, o := range Outcomes {
		if seen[o] || o.String() == "unknown" {
			t.Errorf("%d (%s) twice or unnamed", o, o)
		}
		seen[o] = true
	}
	if len(seen) != len(outcomeNames) {
		t.Errorf("Outcomes holds %d outcomes, there are %d", len(seen), len(outcomeNames))
	}
}

// A capture holding only the server's packets (asymmetric routing): the
// server acknowledges the client's, so the client's are missing, and no
// finding or stage rests on them.
func TestOneDirection(t *testing.T) {
	ms := time.Millisecond
	var only []seg
	for _, s := range with(seg{false, PA, 101, 501, "SSH-2.0-x\r\n", 3 * ms}, seg{true, PA, 501, 112, "SSH-2.0-y\r\n", 4 * ms},
		seg{true, FA, 512, 112, "", 5 * ms}) {
		if s.fromServer {
			only = append(only, s)
		}
	}
	fs := feed(Config{}, only)
	if len(fs) != 1 {
		t.Fatalf("%d flows", len(fs))
	}
	f := fs[0]
	if f.Missing != Client || f.Stage != StageUnknown || len(f.Findings) != 1 || f.Findings[0].ID != FindOneDirection || f.Findings[0].Blame != BlameUnknown {
		t.Errorf("missing %v stage %v findings %+v", f.Missing, f.Stage, f.Findings)
	}
	// Both directions: nothing is missing.
	if fs := feed(Config{}, with(seg{true, FA, 501, 101, "", 3 * ms})); fs[0].Missing != SideNone {
		t.Errorf("both directions: missing %v", fs[0].Missing)
	}
}

// SSH on a port not taken for SSH is found by its first payload; its
// packet log still starts at the SYN, so reports draw every packet.
func TestCandidateLoggedFromSYN(t *testing.T) {
	ms := time.Millisecond
	fs := feed(Config{Ports: []uint16{2222}, KeepPackets: 16}, with(seg{true, PA, 501, 101, "SSH-2.0-x\r\n", 3 * ms}, seg{false, PA, 101, 512, "SSH-2.0-y\r\n", 4 * ms}))
	if len(fs) != 1 {
		t.Fatalf("%d flows", len(fs))
	}
	if l := fs[0].Log; len(l) != 5 || l[0].Frame != 1 || !l[0].Flags.Has(S) {
		t.Errorf("log %+v, want all 5 packets from the SYN", l)
	}
	// Not SSH: no flow, and its log is dropped with it.
	if fs := feed(Config{Ports: []uint16{2222}, KeepPackets: 16}, with(seg{false, PA, 101, 501, "GET / HTTP/1.1\r\n", 3 * ms})); len(fs) != 0 {
		t.Errorf("%d flows for HTTP on a port not taken for SSH", len(fs))
	}
}

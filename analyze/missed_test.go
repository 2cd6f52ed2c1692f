package analyze

import (
	"testing"
	"time"

	"github.com/rstsniff/rstsniff/decode"
)

// The cases issue 20 found the detectors missing or getting wrong.

func findingIDs(f *Flow) []FindingID {
	var ids []FindingID
	for _, fd := range f.Findings {
		ids = append(ids, fd.ID)
	}
	return ids
}

func hasFinding(f *Flow, id FindingID) bool {
	for _, fd := range f.Findings {
		if fd.ID == id {
			return true
		}
	}
	return false
}

// A capture begun while a connection was open: sshd's LoginGraceTime
// close (a FIN, then a RST) comes with no banner in the capture, because
// the banners went by before it. Nothing before the first packet is
// claimed: no server-close-before-banner, no post-synack-reset, stage
// unknown.
func TestMidstreamClaimsNothingBefore(t *testing.T) {
	for name, segs := range map[string][]seg{
		"fin": {{false, A, 7000, 9000, "", 0}, {true, FA, 9000, 7000, "", 120 * time.Second}, {false, FA, 7000, 9001, "", 120*time.Second + time.Millisecond}},
		"rst": {{false, A, 7000, 9000, "", 0}, {true, RA, 9000, 7000, "", 120 * time.Second}},
	} {
		t.Run(name, func(t *testing.T) {
			flows := feed(Config{}, segs)
			if len(flows) != 1 {
				t.Fatalf("%d flows", len(flows))
			}
			f := flows[0]
			if !f.Midstream || f.Stage != StageUnknown {
				t.Errorf("midstream %v stage %v, want a mid-stream flow at stage unknown", f.Midstream, f.Stage)
			}
			if hasFinding(f, FindCloseBeforeBan) || hasFinding(f, FindPostSynAckReset) {
				t.Errorf("findings %v claim what came before the capture", findingIDs(f))
			}
		})
	}
	// The same close with the handshake in the capture is what it says.
	f := feed(Config{}, with(seg{true, FA, 501, 101, "", 120 * time.Second}, seg{false, FA, 101, 502, "", 120*time.Second + time.Millisecond}))[0]
	if !hasFinding(f, FindCloseBeforeBan) {
		t.Errorf("with its handshake: findings %v, want server-close-before-banner", findingIDs(f))
	}
}

// feedTTL is feed with some frames' TTLs set (1-based frame: TTL).
func feedTTL(cfg Config, segs []seg, ttl map[int]uint8) []*Flow {
	a := New(cfg)
	t0 := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	for i, g := range segs {
		s := decode.Segment{Src: cAddr.Addr(), Dst: sAddr.Addr(), SrcPort: cAddr.Port(), DstPort: sAddr.Port(), TTL: 64,
			Seq: g.seq, Ack: g.ack, Flags: g.flags, Payload: []byte(g.payload), PayloadLen: len(g.payload)}
		if g.fromServer {
			s.Src, s.Dst, s.SrcPort, s.DstPort, s.TTL = sAddr.Addr(), cAddr.Addr(), sAddr.Port(), cAddr.Port(), 63
		}
		if v, ok := ttl[i+1]; ok {
			s.TTL = v
		}
		a.Packet(i+1, t0.Add(g.at), &s)
	}
	return a.Finish()
}

// chatter is a session after the handshake: banners, then echoes a few
// milliseconds apart, every gap at most 4 ms; it ends at 40 ms with the
// client at seq 101+n, the server at 501+m.
func chatter() (segs []seg, cseq, sseq uint32, end time.Duration) {
	segs = with(seg{true, PA, 501, 101, "SSH-2.0-OpenSSH_9.2p1\r\n", 3 * time.Millisecond},
		seg{false, PA, 101, 524, "SSH-2.0-x\r\n", 4 * time.Millisecond})
	cseq, sseq, end = 112, 524, 4*time.Millisecond
	for i := 0; i < 6; i++ {
		end += 3 * time.Millisecond
		segs = append(segs, seg{false, PA, cseq, sseq, "abcd", end})
		cseq += 4
		end += 3 * time.Millisecond
		segs = append(segs, seg{true, PA, sseq, cseq, "efgh", end})
		sseq += 4
	}
	return segs, cseq, sseq, end
}

// A conntrack table that forgets idle connections after a few seconds:
// the reset answering the first packet after 5 s of silence, forged (TTL
// 64 where the server's packets come with 63), is an idle-timeout reset
// although 5 s is below the default threshold; the silence and the usual
// gaps are stated.
func TestRelativeIdleTimeout(t *testing.T) {
	segs, cseq, sseq, end := chatter()
	typed := end + 5*time.Second
	segs = append(segs, seg{false, PA, cseq, sseq, "typed\n", typed}, seg{true, R, sseq, 0, "", typed + 100*time.Microsecond})
	n := len(segs)
	f := feedTTL(Config{}, segs, map[int]uint8{n: 64})[0]
	r, _ := f.Ending()
	if r == nil || !r.Sender.Forged() {
		t.Fatalf("ending reset %+v, want a forged one", r)
	}
	var fd *Finding
	for i := range f.Findings {
		if f.Findings[i].ID == FindIdleTimeoutReset {
			fd = &f.Findings[i]
		}
	}
	if fd == nil {
		t.Fatalf("findings %v, want idle-timeout-reset", findingIDs(f))
	}
	if !fd.Relative || fd.Delay != 5*time.Second || fd.Usual != 3*time.Millisecond || fd.Other != n-1 || fd.Reset != n {
		t.Errorf("relative %v silence %v usual %v frames %d/%d, want relative, 5s, 3ms, %d/%d", fd.Relative, fd.Delay, fd.Usual, fd.Other, fd.Reset, n-1, n)
	}

	// Negatives: the same reset from the server's own distance (genuine);
	// a silence like the others; a silence under a second; a longer
	// silence earlier in the connection.
	genuine := append([]seg(nil), segs...)
	genuine[n-1].at = typed + 1500*time.Microsecond // as far as the server is
	if f := feedTTL(Config{}, genuine, nil)[0]; hasFinding(f, FindIdleTimeoutReset) {
		t.Errorf("a genuine reset after 5 s of silence: %v", findingIDs(f))
	}
	short := append([]seg(nil), segs[:n-2]...)
	short = append(short, seg{false, PA, cseq, sseq, "typed\n", end + 900*time.Millisecond}, seg{true, R, sseq, 0, "", end + 901*time.Millisecond})
	if f := feedTTL(Config{}, short, map[int]uint8{n: 64})[0]; hasFinding(f, FindIdleTimeoutReset) {
		t.Errorf("a reset after 0.9 s of silence: %v", findingIDs(f))
	}
	earlier := append([]seg(nil), segs[:n-2]...)
	earlier[len(earlier)-1].at += 30 * time.Second // one silence of 30 s before the last echo
	earlier = append(earlier, seg{false, PA, cseq, sseq, "typed\n", typed + 30*time.Second}, seg{true, R, sseq, 0, "", typed + 30*time.Second + 100*time.Microsecond})
	if f := feedTTL(Config{IdleThreshold: time.Hour}, earlier, map[int]uint8{n: 64})[0]; hasFinding(f, FindIdleTimeoutReset) {
		t.Errorf("a 5 s silence after a 30 s one: %v", findingIDs(f))
	}
	pause := append([]seg(nil), segs[:n-2]...)
	pause[len(pause)-1].at += time.Second // a pause of 1 s before the last echo: 5 s is not 10 times it
	pause = append(pause, seg{false, PA, cseq, sseq, "typed\n", typed + time.Second}, seg{true, R, sseq, 0, "", typed + time.Second + 100*time.Microsecond})
	if f := feedTTL(Config{}, pause, map[int]uint8{n: 64})[0]; hasFinding(f, FindIdleTimeoutReset) {
		t.Errorf("a 5 s silence after a 1 s one: %v", findingIDs(f))
	}
	// The threshold stays a floor: above it any reset counts, as before.
	if f := feedTTL(Config{IdleThreshold: 4 * time.Second}, genuine, nil)[0]; !hasFinding(f, FindIdleTimeoutReset) {
		t.Errorf("a genuine reset after 5 s with --idle-threshold 4s: %v", findingIDs(f))
	}
}

// A link whose MTU drops packets both ways: the client's banner is
// acknowledged, its first large segment (the KEXINIT) goes out again and
// again and nothing from the server comes after it. mtu-blackhole, marked
// Silent (likely, with the alternative). Negatives: the large segment
// acknowledged in the end; an earlier large segment acknowledged (this is
// not the first); nothing of the client's acknowledged before.
func TestBlackholeNothingBack(t *testing.T) {
	big := string(make([]byte, 1448))
	banners := with(seg{true, PA, 501, 101, "SSH-2.0-OpenSSH_9.2p1\r\n", 3 * time.Millisecond},
		seg{false, PA, 101, 524, "SSH-2.0-x\r\n", 4 * time.Millisecond},
		seg{true, A, 524, 112, "", 5 * time.Millisecond})
	var lost []seg
	for k, at := range []time.Duration{6, 210, 650, 1500, 3200} {
		_ = k
		lost = append(lost, seg{false, A, 112, 524, big, at * time.Millisecond})
	}
	f := feed(Config{}, append(append([]seg(nil), banners...), lost...))[0]
	var fd *Finding
	for i := range f.Findings {
		if f.Findings[i].ID == FindMTUBlackhole {
			fd = &f.Findings[i]
		}
	}
	if fd == nil || !fd.Silent || fd.Side != Client || fd.Count != 5 || fd.Size[0] != 1448 || fd.Packets[0] != len(banners)+1 {
		t.Fatalf("findings %v (%+v), want a silent mtu-blackhole of the client's 1448 bytes sent 5 times from frame %d", findingIDs(f), fd, len(banners)+1)
	}
	if f.Outcome != OutcomeTimeout || f.Stage != StageKexInit {
		t.Errorf("outcome %v at %v, want a timeout at kexinit", f.Outcome, f.Stage)
	}

	acked := append(append(append([]seg(nil), banners...), lost...), seg{true, A, 524, 112 + 1448, "", 3300 * time.Millisecond})
	if f := feed(Config{}, acked)[0]; hasFinding(f, FindMTUBlackhole) {
		t.Errorf("acknowledged in the end: %v", findingIDs(f))
	}
	second := append(append([]seg(nil), banners...), seg{false, A, 112, 524, big, 6 * time.Millisecond}, seg{true, A, 524, 112 + 1448, "", 7 * time.Millisecond})
	for _, s := range lost {
		s.seq += 1448
		s.at += 2 * time.Millisecond
		second = append(second, s)
	}
	if f := feed(Config{}, second)[0]; hasFinding(f, FindMTUBlackhole) {
		t.Errorf("a second large segment lost after the first passed: %v", findingIDs(f))
	}
	// A smaller segment after the large one, unanswered too: the server
	// is gone, not the large segments (suricata-verify's
	// ssh-hassh-incomplete: 1440 bytes then 528, neither acknowledged).
	tail := append(append([]seg(nil), banners...), lost[0], seg{false, PA, 112 + 1448, 524, "tail", 7 * time.Millisecond})
	tail = append(tail, lost[1:]...)
	if f := feed(Config{}, tail)[0]; hasFinding(f, FindMTUBlackhole) {
		t.Errorf("a small segment after the large one, unanswered: %v", findingIDs(f))
	}
	noAck := append(append([]seg(nil), banners[:4]...), lost...) // the server never acknowledged the client's banner
	if f := feed(Config{}, noAck)[0]; hasFinding(f, FindMTUBlackhole) {
		t.Errorf("nothing of the client's acknowledged before: %v", findingIDs(f))
	}
}

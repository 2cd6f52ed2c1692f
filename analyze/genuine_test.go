package analyze

import (
	"strings"
	"testing"
	"time"
)

// The patterns issue 24 found genuine stacks sending, and the rules that
// keep them from being called forged.

// A server 40 ms away refuses with "Exceeded MaxStartups" and closes (FIN)
// before the client's banner and ACKs reach it. Its kernel answers each of
// them with a reset whose sequence number is that packet's acknowledgment
// number (RFC 9293 §3.10.7.1): three resets, three sequence numbers, the
// first behind what the client has received by then. The lab's
// maxstartups-late case recorded this shape.
func TestClosedSocketAnswersEachPacket(t *testing.T) {
	f := run([]pk{
		{false, S, 100, 0, "", 0, 64, 1, 0},
		{true, SA, 500, 101, "", 40 * msec, 52, 0, 0},
		{false, A, 101, 501, "", 40*msec + 50*time.Microsecond, 64, 2, 0},
		{false, PA, 101, 501, "SSH-2.0-OpenSSH_9.2p1\r\n", 41 * msec, 64, 3, 0},
		{true, PA, 501, 101, "Exceeded MaxStartups\r\n", 60 * msec, 52, 0, 0},
		{false, A, 124, 523, "", 60*msec + 20*time.Microsecond, 64, 4, 0},
		{true, FA, 523, 101, "", 61 * msec, 52, 0, 0},
		{false, FA, 124, 524, "", 61*msec + 20*time.Microsecond, 64, 5, 0},
		{true, R, 501, 0, "", 81 * msec, 52, 0, 0},  // answers frame 4
		{true, R, 523, 0, "", 100 * msec, 52, 0, 0}, // answers frame 6
		{true, R, 524, 0, "", 101 * msec, 52, 0, 0}, // answers frame 8
	})
	for i, r := range f.Resets {
		if !r.Sender.Genuine() || r.Suspected() {
			t.Errorf("reset %d (frame %d): sender %v, evidence:\n%s", i, r.Packet, r.Sender, signalsOf(&f.Resets[i]))
		}
		var reply *Evidence
		for j := range r.Evidence {
			if r.Evidence[j].Signal == SigStackReply {
				reply = &r.Evidence[j]
			}
		}
		if want := []int{4, 6, 8}[i]; reply == nil || reply.Frames[0] != want {
			t.Errorf("reset %d: want a stack reply to frame %d, evidence:\n%s", i, want, signalsOf(&f.Resets[i]))
		}
	}
	if hasFinding(f, FindResetBurst) || !hasFinding(f, FindCloseBeforeBan) {
		t.Errorf("findings %v, want server-close-before-banner and no reset-burst", findingIDs(f))
	}
	// An injector's burst answers nothing: the same three resets a
	// millisecond after the banner, before the server could have seen it.
	f = run([]pk{
		{false, S, 100, 0, "", 0, 64, 1, 0},
		{true, SA, 500, 101, "", 40 * msec, 52, 0, 0},
		{false, A, 101, 501, "", 40*msec + 50*time.Microsecond, 64, 2, 0},
		{false, PA, 101, 501, "SSH-2.0-OpenSSH_9.2p1\r\n", 41 * msec, 64, 3, 0},
		{true, R, 501, 0, "", 41*msec + 100*time.Microsecond, 52, 0, 0},
		{true, R, 2001, 0, "", 41*msec + 200*time.Microsecond, 52, 0, 0},
		{true, R, 3501, 0, "", 41*msec + 300*time.Microsecond, 52, 0, 0},
	})
	if !hasFinding(f, FindResetBurst) {
		t.Errorf("injected burst: findings %v, want reset-burst", findingIDs(f))
	}
}

// A Cisco pair beside the tap (suricata-verify's ssh-hassh-reassembled):
// each side takes 8 ms to answer anything, the client's own reset comes at
// once. The tap is not nearer the receiver than the sender, so the timing
// signal says nothing.
func TestTooSoonNeedsTheTapNearTheReceiver(t *testing.T) {
	f := run([]pk{
		{false, S, 100, 0, "", 0, 255, 1, 0},
		{true, SA, 500, 101, "", 8 * msec, 255, 0, 0},
		{false, A, 101, 501, "", 16 * msec, 255, 2, 0},
		{true, PA, 501, 101, "SSH-2.0-Cisco-1.25\r\n", 24 * msec, 255, 0, 0},
		{false, PA, 101, 521, "SSH-2.0-Cisco-1.25\r\n", 32 * msec, 255, 3, 0},
		{true, PA, 521, 121, "more", 40 * msec, 255, 0, 0},
		{false, R, 121, 0, "", 40*msec + 4*time.Microsecond, 255, 200, 0},
	})
	if r := f.Resets[0]; signal(f, SigTooSoon) != nil || r.Sender.Forged() {
		t.Errorf("sender %v, evidence:\n%s", r.Sender, evidence(f))
	}
}

// A forged reset the client ignores (its sequence number lies behind what
// it has received) ends nothing: the login goes on and both sides close.
// The outcome, stage and closer are the endpoints'; the reset stays
// forged, with forged-reset-ignored. The lab's inject-late case.
func TestIgnoredForgedResetRealEnd(t *testing.T) {
	f := run(farServer(
		pk{true, PA, 524, 124, strings.Repeat("k", 200), 83 * msec, 52, 0, 0},
		pk{true, R, 501, 0, "", 84 * msec, 64, 0, 0}, // stale, from 0 hops
		pk{false, PA, 124, 724, strings.Repeat("c", 100), 90 * msec, 64, 4, 0},
		pk{true, PA, 724, 224, "x", 130 * msec, 52, 0, 0},
		pk{false, FA, 224, 725, "", 131 * msec, 64, 5, 0},
		pk{true, FA, 725, 225, "", 171 * msec, 52, 0, 0},
	))
	r := f.Resets[0]
	if !r.Sender.Forged() || !r.Ignored {
		t.Errorf("sender %v ignored %v, evidence:\n%s", r.Sender, r.Ignored, evidence(f))
	}
	if f.Outcome != OutcomeClosed || f.ClosedBy != Client || f.EndReset != 0 {
		t.Errorf("outcome %v by %v (end reset %d), want closed by the client", f.Outcome, f.ClosedBy, f.EndReset)
	}
	if len(f.Findings) == 0 || f.Findings[0].ID != FindForgedResetIgnored || f.Findings[0].Other != 8 {
		t.Errorf("findings %v, want forged-reset-ignored first (the client's frame 8)", findingIDs(f))
	}
}

// A link with a lower MTU both ways and ICMP blocked, seen from the
// client: the client's KEXINIT leaves as a full-size segment and a small
// tail; the server's answer to the tail would ride on its own KEXINIT,
// which never comes either. mtu-blackhole, likely (Silent).
func TestTwoWayBlackhole(t *testing.T) {
	// A binary packet of 1,556 bytes (RFC 4253 §6), SSH_MSG_KEXINIT, empty
	// name-lists: 1,448 bytes in the first segment, 112 in the tail.
	big := "\x00\x00\x06\x14\x06\x14" + strings.Repeat("\x00", 1442)
	segs := farServer(
		pk{true, A, 524, 124, "", 82 * msec, 52, 0, 0}, // the server has the client's banner
		pk{false, PA, 124, 524, big, 83 * msec, 64, 4, 0},
		pk{false, PA, 1572, 524, strings.Repeat("\x00", 112), 83*msec + 10*time.Microsecond, 64, 5, 0},
	)
	for i, at := range []time.Duration{300, 700, 1500, 3100} {
		segs = append(segs, pk{false, A, 124, 524, big, at * msec, 64, uint16(6 + i), 0})
	}
	f := run(segs)
	var fd *Finding
	for i := range f.Findings {
		if f.Findings[i].ID == FindMTUBlackhole {
			fd = &f.Findings[i]
		}
	}
	if fd == nil || !fd.Silent || fd.Side != Client {
		t.Fatalf("findings %v, want mtu-blackhole (silent) on the client's side", findingIDs(f))
	}
	// The server had sent its KEXINIT: it is not the one missing, so a
	// tail that drew nothing means the server or the path is gone.
	segs = farServer(
		// SSH_MSG_KEXINIT with empty name-lists: 72 bytes.
		pk{true, PA, 524, 124, "\x00\x00\x00\x44\x05\x14" + strings.Repeat("\x00", 66), 82 * msec, 52, 0, 0},
		pk{false, PA, 124, 596, big, 83 * msec, 64, 4, 0},
		pk{false, PA, 1572, 596, strings.Repeat("\x00", 112), 83*msec + 10*time.Microsecond, 64, 5, 0},
	)
	for i, at := range []time.Duration{300, 700, 1500, 3100} {
		segs = append(segs, pk{false, A, 124, 596, big, at * msec, 64, uint16(6 + i), 0})
	}
	if f := run(segs); hasFinding(f, FindMTUBlackhole) {
		t.Errorf("server KEXINIT seen: findings %v, want no mtu-blackhole", findingIDs(f))
	}
}

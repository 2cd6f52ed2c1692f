package analyze

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rstsniff/rstsniff/decode"
)

// pk is a synthetic segment with the header fields forensics reads.
type pk struct {
	fromServer bool
	flags      decode.Flags
	seq, ack   uint32
	payload    string
	at         time.Duration
	ttl        uint8
	ipid       uint16
	ts         uint32 // TSval; 0 means no timestamp option
}

func run(pks []pk) *Flow {
	a := New(Config{})
	t0 := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	for i, p := range pks {
		s := decode.Segment{Src: cAddr.Addr(), Dst: sAddr.Addr(), SrcPort: cAddr.Port(), DstPort: sAddr.Port(),
			Seq: p.seq, Ack: p.ack, Flags: p.flags, Payload: []byte(p.payload), PayloadLen: len(p.payload),
			TTL: p.ttl, IPID: p.ipid, IPVersion: 4, IfIndex: -1}
		if p.fromServer {
			s.Src, s.Dst, s.SrcPort, s.DstPort = sAddr.Addr(), cAddr.Addr(), sAddr.Port(), cAddr.Port()
		}
		if p.ts != 0 {
			s.Options, s.TSVal = decode.OptTimestamp, p.ts
		}
		a.Packet(i+1, t0.Add(p.at), &s)
	}
	return a.Finish()[0]
}

const msec = time.Millisecond

// A server 40 ms away: SYN-ACK after 40 ms; its packets arrive with TTL 52.
func farServer(extra ...pk) []pk {
	return append([]pk{
		{false, S, 100, 0, "", 0, 64, 1, 0},
		{true, SA, 500, 101, "", 40 * msec, 52, 0, 0},
		{false, A, 101, 501, "", 40*msec + 50*time.Microsecond, 64, 2, 0},
		{true, PA, 501, 101, "SSH-2.0-OpenSSH_9.2p1\r\n", 41 * msec, 52, 0, 0},
		{false, PA, 101, 524, "SSH-2.0-OpenSSH_9.2p1\r\n", 42 * msec, 64, 3, 0},
	}, extra...)
}

// evidence lists the signals of the first reset's evidence, for messages.
func evidence(f *Flow) string { return signalsOf(&f.Resets[0]) }

func signalsOf(r *Reset) string {
	var s []string
	for _, e := range r.Evidence {
		s = append(s, fmt.Sprintf("%v %+v", e.Signal, e))
	}
	return strings.Join(s, "\n")
}

// signal returns the first reset's evidence of the signal, or nil.
func signal(f *Flow, s Signal) *Evidence {
	for i, e := range f.Resets[0].Evidence {
		if e.Signal == s {
			return &f.Resets[0].Evidence[i]
		}
	}
	return nil
}

// A reset in the server's name that arrives 0.1 ms after the client's packet,
// from a server 40 ms away, with the server's own TTL: only the timing gives
// the injector away.
func TestTimingSignal(t *testing.T) {
	f := run(farServer(pk{true, R, 524, 0, "", 42*msec + 100*time.Microsecond, 52, 0, 0}))
	r := f.Resets[0]
	if e := signal(f, SigTooSoon); !r.Sender.Forged() || e == nil || e.RTT.Round(time.Millisecond) != 40*time.Millisecond || e.Frames[0] != 5 {
		t.Errorf("sender %v, evidence:\n%s", r.Sender, evidence(f))
	}
	// The same reset a round trip later is the server's own.
	f = run(farServer(pk{true, R, 524, 0, "", 82 * msec, 52, 0, 0}))
	if !f.Resets[0].Sender.Genuine() || signal(f, SigTooSoon) != nil {
		t.Errorf("genuine reset: sender %v, evidence:\n%s", f.Resets[0].Sender, evidence(f))
	}
}

// The receiver kept sending new data after the reset: it did not accept it.
func TestReceiverIgnored(t *testing.T) {
	f := run(farServer(
		pk{true, R, 530, 0, "", 43 * msec, 52, 0, 0},
		pk{false, PA, 124, 524, "more data", 90 * msec, 64, 4, 0},
	))
	if e := signal(f, SigReceiverIgnored); !f.Resets[0].Sender.Forged() || e == nil || e.Frames[0] != 7 {
		t.Errorf("sender %v, evidence:\n%s", f.Resets[0].Sender, evidence(f))
	}
}

// RFC 5961: a reset in the window but not at the expected sequence number
// draws a challenge ACK.
func TestChallengeACK(t *testing.T) {
	f := run(farServer(
		pk{true, R, 600, 0, "", 83 * msec, 52, 0, 0},
		pk{false, A, 124, 524, "", 83*msec + 20*time.Microsecond, 64, 4, 0},
	))
	r := f.Resets[0]
	if e := signal(f, SigChallengeACK); r.SeqState != SeqInWindow || !r.Sender.Forged() || e == nil || e.Frames[0] != 7 {
		t.Errorf("seq %s sender %v, evidence:\n%s", r.SeqState, r.Sender, evidence(f))
	}
}

// A reset that carries the server's timestamp clock and continues its IP ID
// counter was sent by the server, whatever else is odd about it.
func TestTimestampAndIPID(t *testing.T) {
	base := []pk{
		{false, S, 100, 0, "", 0, 64, 1, 1000},
		{true, SA, 500, 101, "", msec, 63, 200, 9000},
		{false, A, 101, 501, "", 2 * msec, 64, 2, 1001},
		{true, PA, 501, 101, "SSH-2.0-x\r\n", 3 * msec, 63, 201, 9001},
		{false, PA, 101, 512, "SSH-2.0-y\r\n", 4 * msec, 64, 3, 1002},
		{true, A, 512, 111, "", 5 * msec, 63, 202, 9002},
	}
	f := run(append(base, pk{true, RA, 512, 111, "", 6 * msec, 63, 203, 9003}))
	if e := signal(f, SigIPIDContinues); !f.Resets[0].Sender.Genuine() || signal(f, SigTimestampContinues) == nil || e == nil || e.IPID != 203 {
		t.Errorf("sender %v, evidence:\n%s", f.Resets[0].Sender, evidence(f))
	}
	// A timestamp that jumps back is not the server's clock.
	f = run(append(base, pk{true, RA, 512, 111, "", 6 * msec, 63, 0, 5}))
	if !f.Resets[0].Sender.Forged() || signal(f, SigTimestampForeign) == nil {
		t.Errorf("sender %v, evidence:\n%s", f.Resets[0].Sender, evidence(f))
	}
}

// Without evidence either way the verdict is unknown, never a guess.
func TestUnknownWithoutEvidence(t *testing.T) {
	f := run([]pk{{false, S, 100, 0, "", 0, 64, 1, 0}, {true, RA, 0, 101, "", msec, 60, 0, 0}})
	if f.Resets[0].Sender != SenderUnknown {
		t.Errorf("sender %v, evidence:\n%s", f.Resets[0].Sender, evidence(f))
	}
}

// The handshake's round trip is measured from the SYN that was answered:
// after a lost first SYN the retransmission's answer is not a 1 s round trip.
func TestTimingAfterSYNRetransmission(t *testing.T) {
	f := run([]pk{
		{false, S, 100, 0, "", 0, 64, 1, 0},
		{false, S, 100, 0, "", time.Second, 64, 2, 0},
		{true, SA, 500, 101, "", time.Second + 50*time.Microsecond, 63, 0, 0},
		{false, A, 101, 501, "", time.Second + 60*time.Microsecond, 64, 3, 0},
		{false, PA, 101, 501, "SSH-2.0-x\r\n", time.Second + msec, 64, 4, 0},
		{true, R, 501, 0, "", time.Second + msec + 30*time.Microsecond, 63, 0, 0},
	})
	if signal(f, SigTooSoon) != nil {
		t.Errorf("timing evidence from a retransmitted SYN:\n%s", evidence(f))
	}
}

// sshd closes (FIN) before the client's banner arrives; the server's kernel
// answers the banner and then the client's ACK of the FIN, each with a RST
// whose sequence number is that packet's ACK. Two sequence numbers, but no
// burst: every reset answers a packet, as a stack does.
func TestKernelRepliesAreNoBurst(t *testing.T) {
	f := run([]pk{
		{false, S, 100, 0, "", 0, 64, 1, 0},
		{true, SA, 500, 101, "", 40 * time.Microsecond, 63, 0, 0},
		{false, A, 101, 501, "", 50 * time.Microsecond, 64, 2, 0},
		{true, PA, 501, 101, "Exceeded MaxStartups\r\n", 3 * msec, 63, 0, 0},
		{true, FA, 523, 101, "", 3 * msec, 63, 0, 0},
		{false, PA, 101, 523, "SSH-2.0-OpenSSH_9.2p1\r\n", 4 * msec, 64, 3, 0},
		{true, R, 523, 0, "", 4*msec + 20*time.Microsecond, 63, 0, 0},
		{false, A, 124, 524, "", 5 * msec, 64, 4, 0},
		{true, R, 524, 0, "", 5*msec + 20*time.Microsecond, 63, 0, 0},
	})
	for _, r := range f.Resets {
		if r.Sender.Forged() {
			t.Errorf("reset %d: origin middlebox:\n%s", r.Packet, signalsOf(&r))
		}
	}
	for _, fd := range f.Findings {
		if fd.ID == FindResetBurst {
			t.Errorf("kernel replies reported as a burst: %+v", fd)
		}
	}
	if len(f.Findings) == 0 || f.Findings[0].ID != FindCloseBeforeBan {
		t.Errorf("findings %+v, want server-close-before-banner first", f.Findings)
	}
}

// Hostile or foreign streams on the SSH port: each is named, and the
// analysis stays bounded.
func TestAdversarialSSH(t *testing.T) {
	big := func(n int, c byte) string { return string(bytes.Repeat([]byte{c}, n)) }
	for _, c := range []struct {
		name       string
		fromServer bool
		payload    string
		finding    FindingID
	}{
		{"huge packet_length", true, "SSH-2.0-x\r\n\xff\xff\xff\xff\x04\x14", FindMalformedSSH},
		{"endless lines before the banner", true, strings.Repeat("hello\r\n", 2000), FindMalformedSSH},
		{"a banner without CRLF", true, "SSH-2.0-" + big(9000, 'a'), FindMalformedSSH},
		{"a megabyte banner", true, "SSH-2.0-" + big(1<<20, 'b') + "\r\n", FindMalformedSSH},
		{"HTTP on port 22", false, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", FindNotSSH},
		{"TLS on port 22", false, "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", FindNotSSH},
	} {
		t.Run(c.name, func(t *testing.T) {
			seq, ack := uint32(101), uint32(501)
			if c.fromServer {
				seq, ack = ack, seq
			}
			start := time.Now()
			f := run([]pk{
				{false, S, 100, 0, "", 0, 64, 1, 0},
				{true, SA, 500, 101, "", msec, 63, 0, 0},
				{false, A, 101, 501, "", 2 * msec, 64, 2, 0},
				{c.fromServer, PA, seq, ack, c.payload, 3 * msec, 63, 3, 0},
			})
			if time.Since(start) > time.Second {
				t.Errorf("took %v", time.Since(start))
			}
			if len(f.Findings) == 0 || f.Findings[0].ID != c.finding || f.Findings[0].Packets[0] != 4 {
				t.Errorf("findings %+v, want %s at frame 4", f.Findings, c.finding)
			}
		})
	}
}

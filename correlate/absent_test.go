package correlate

import (
	"testing"
	"time"

	"github.com/rstsniff/rstsniff/decode"
)

// The server-side capture holds nothing after 3 ms, while the client sent
// two more segments and then received a reset in the server's name. A
// pcap does not say when capturing stopped: the packets are absent, not
// lost, the reset unproven (with what it would be), and the comparison is
// not abnormal on that alone. With pcapng statistics saying the capture
// ran until 30 ms, the same packets are dropped and the reset forged.
func TestAbsentAfterCapture(t *testing.T) {
	ms := time.Millisecond
	mk := func() (*Capture, *Capture) {
		client := flow(pkt(1, 0, c, S, 100, 0, 64), pkt(2, ms, s, S|A, 500, 0, 63), pkt(3, 2*ms, c, A, 101, 0, 64),
			pkt(4, 3*ms, c, P, 101, 40, 64), pkt(5, 10*ms, c, P, 141, 40, 64), pkt(6, 20*ms, c, P, 181, 40, 64),
			pkt(7, 21*ms, s, decode.RST, 501, 0, 64))
		server := flow(pkt(1, 0, c, S, 100, 0, 63), pkt(2, ms, s, S|A, 500, 0, 64), pkt(3, 2*ms, c, A, 101, 0, 63),
			pkt(4, 3*ms, c, P, 101, 40, 63))
		return capt("client.pcap", client), capt("server.pcap", server)
	}
	a, b := mk()
	r := Compare(a, b)
	if len(r.Pairs) != 1 {
		t.Fatalf("%d pairs", len(r.Pairs))
	}
	p := r.Pairs[0]
	if p.Counts[Unseen] != 3 || p.Counts[Dropped] != 0 || p.Counts[Injected] != 0 {
		t.Errorf("counts %v, want 3 unseen and none dropped or injected", p.Counts)
	}
	if len(p.Findings) != 1 || p.Findings[0].ID != FindAbsent || p.Findings[0].Would != Dropped || p.Findings[0].Packets != 2 ||
		len(p.Findings[0].Frames[0]) != 2 || p.Findings[0].Frames[0][0] != 5 {
		t.Errorf("findings %+v, want the client's frames 5 and 6 absent-after-capture", p.Findings)
	}
	if len(p.Resets) != 1 || p.Resets[0].Fate != Unseen || p.Resets[0].Absent != 1 || p.Resets[0].Would != Injected ||
		!p.Resets[0].At.After(b.End) {
		t.Errorf("resets %+v, want one unseen, absent from server.pcap after its end, forged if it ran", p.Resets)
	}
	if r.Abnormal() {
		t.Error("abnormal on packets absent after the other capture's end")
	}

	a, b = mk()
	b.Stopped = t0.Add(30 * ms)
	r = Compare(a, b)
	p = r.Pairs[0]
	if p.Counts[Unseen] != 0 || p.Counts[Dropped] != 2 || p.Counts[Injected] != 1 || !r.Abnormal() {
		t.Errorf("with the capture's end recorded: counts %v, findings %+v", p.Counts, p.Findings)
	}
}

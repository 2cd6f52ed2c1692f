package report

import (
	"math/rand"
	"net/netip"
	"testing"
	"time"

	"github.com/rstsniff/rstsniff/analyze"
)

// randomFacts makes a flow, one of its resets and a piece of evidence with
// random values (signals past the last one included).
func randomFacts(rng *rand.Rand) (*analyze.Flow, *analyze.Reset, *analyze.Evidence) {
	dur := func() time.Duration {
		switch rng.Intn(4) {
		case 0:
			return time.Duration(rng.Int63n(int64(100 * time.Second)))
		case 1:
			return time.Duration(rng.Int63n(int64(20 * time.Millisecond)))
		case 2:
			return -time.Duration(rng.Int63n(int64(time.Second)))
		}
		return time.Duration(rng.Intn(3)) * 5 * time.Millisecond
	}
	ints := func() []int {
		o := make([]int, 2+rng.Intn(4))
		for i := range o {
			o[i] = rng.Intn(100000)
		}
		return o
	}
	addrs := []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("::ffff:10.0.0.1"), {}}
	f := &analyze.Flow{Client: netip.AddrPortFrom(addrs[rng.Intn(4)], uint16(rng.Intn(65536))),
		Server: netip.AddrPortFrom(addrs[rng.Intn(4)], uint16(rng.Intn(65536))), FirstPacket: rng.Intn(1000), Outcome: analyze.Outcome(rng.Intn(8))}
	bl := analyze.Baseline{Total: rng.Intn(100), First: uint8(rng.Intn(256))}
	for range 1 + rng.Intn(3) {
		bl.Values = append(bl.Values, analyze.TTLCount{TTL: uint8(rng.Intn(256)), N: rng.Intn(50)})
	}
	r := analyze.Reset{TTL: uint8(rng.Intn(256)), From: analyze.Side(rng.Intn(3)), Packet: rng.Intn(100),
		Time: time.Unix(rng.Int63n(1<<32), rng.Int63n(1e9)), Evidence: []analyze.Evidence{{Signal: analyze.SigTTLDistance, Baseline: bl}}}
	f.Resets = []analyze.Reset{r}
	e := &analyze.Evidence{Signal: analyze.Signal(rng.Intn(40)), Baseline: bl, Scope: analyze.Scope(rng.Intn(2)),
		Packet: analyze.PacketKind(rng.Intn(6)), Bytes: rng.Intn(2000), Frames: ints(), Delay: dur(), RTT: dur(),
		Seq: rng.Uint32(), IPID: uint16(rng.Intn(65536)), Label: rng.Uint32() >> uint(rng.Intn(32)), Count: rng.Intn(9), Seqs: rng.Intn(9)}
	return f, &f.Resets[0], e
}

// The JSON encoder writes a reset's evidence words into the line without
// escaping them: they must hold no byte JSON escapes (a word with a quote,
// <, > or &, say, would fail here). Findings' words are checked as they
// are written: some quote network text, and some words are in quotes.
func TestWordsNeedNoEscaping(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for range 200000 {
		f, r, e := randomFacts(rng)
		if text := appendEvidenceText(nil, f, r, e); needsEscape(text) {
			t.Fatalf("evidence %v: %q needs escaping", e.Signal, text)
		}
	}
}

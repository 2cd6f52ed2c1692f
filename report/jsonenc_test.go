package report

import (
	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/catalog"

	"encoding/json"
	"math/rand"
	"net/netip"
	"slices"
	"testing"
	"time"
)

// hostileStrings covers every branch of appendJSONString.
var hostileStrings = []string{
	"", "SSH-2.0-OpenSSH_9.2p1", "a\x1b[31mred\x07", "<script>&amp;</script>", `quote" back\slash`,
	"\b\f\n\r\t\x00\x1f\x7f", "rtl\u202eevil\u200b", "\U000e0001tag", "bad\xff\xfeutf8\xc3",
	"line\u2028sep\u2029", "café ünïcode 日本", "\xed\xa0\x80 surrogate", "\ufeffbom",
}

func randomString(rng *rand.Rand) string {
	if rng.Intn(3) == 0 {
		return hostileStrings[rng.Intn(len(hostileStrings))]
	}
	b := make([]byte, rng.Intn(24))
	for i := range b {
		switch rng.Intn(4) {
		case 0:
			b[i] = byte(rng.Intn(256))
		default:
			b[i] = byte(0x20 + rng.Intn(0x5f))
		}
	}
	s := string(b)
	if rng.Intn(4) == 0 {
		s += hostileStrings[rng.Intn(len(hostileStrings))]
	}
	return s
}

func randomStrings(rng *rand.Rand) []string {
	switch rng.Intn(3) {
	case 0:
		return nil
	case 1:
		return []string{}
	}
	s := make([]string, 1+rng.Intn(3))
	for i := range s {
		s[i] = randomString(rng)
	}
	return s
}

// randomAdvice is random strings, some of them the catalog's causes and
// next steps (written from plainAdvice).
func randomAdvice(rng *rand.Rand) []string {
	s := randomStrings(rng)
	all := catalog.All()
	for i := range s {
		if e := all[rng.Intn(len(all))]; rng.Intn(2) == 0 && len(e.Causes) > 0 && len(e.NextSteps) > 0 {
			s[i] = [][]string{e.Causes, e.NextSteps}[rng.Intn(2)][0]
		}
	}
	return s
}

// randomEndpoint: IPv4, IPv6, IPv4-mapped, with a hostile zone, or none.
func randomEndpoint(rng *rand.Rand) jsonEndpoint {
	var a netip.Addr
	switch rng.Intn(5) {
	case 0:
		return jsonEndpoint{}
	case 1:
		a = netip.AddrFrom4([4]byte{byte(rng.Intn(256)), byte(rng.Intn(256)), 0, byte(rng.Intn(256))})
	case 2:
		a = netip.AddrFrom4([4]byte{198, 51, 100, byte(rng.Intn(256))})
		a = netip.AddrFrom16(a.As16())
	default:
		var b [16]byte
		rng.Read(b[:])
		a = netip.AddrFrom16(b)
		if rng.Intn(3) == 0 {
			a = a.WithZone(randomString(rng))
		}
	}
	return jsonEndpoint(netip.AddrPortFrom(a, uint16(rng.Intn(65536))))
}

func randomTime(rng *rand.Rand) jsonTime {
	if rng.Intn(5) == 0 {
		return jsonTime{}
	}
	return jsonTime(time.Unix(rng.Int63n(1<<36)-1<<34, rng.Int63n(1e9)).In(time.FixedZone("x", rng.Intn(3)*1800)))
}

// randomEvidence is nil, empty or a few evidence objects with random
// fields, each optional one set or not.
func randomEvidence(rng *rand.Rand) []jsonEvidence {
	if rng.Intn(5) == 0 {
		return nil
	}
	some := func() bool { return rng.Intn(2) == 0 }
	var out = []jsonEvidence{}
	for range rng.Intn(3) {
		e := jsonEvidence{Signal: randomString(rng), PointsTo: randomString(rng), Text: randomString(rng), Frames: []int{}}
		if some() {
			e.Frames = []int{rng.Int(), rng.Intn(9)}
		}
		if some() {
			e.TTL, e.BaselineTotal, e.Scope = uint8(rng.Intn(256)), rng.Intn(50), randomString(rng)
			for range rng.Intn(3) {
				e.Baseline = append(e.Baseline, analyze.TTLCount{TTL: uint8(rng.Intn(256)), N: rng.Intn(99)})
			}
		}
		if some() {
			e.Packet, e.Bytes = randomString(rng), rng.Intn(2)*rng.Intn(1500)
		}
		if some() {
			e.DelayMS = millis(time.Duration(rng.Int63n(int64(time.Hour))))
			e.RTTMS = millis(time.Duration(rng.Intn(2) * rng.Intn(int(time.Second))))
		}
		if some() {
			seq := rng.Uint32()
			e.Seq = &seq
		}
		if some() {
			id := uint16(rng.Intn(65536))
			e.IPID = &id
		}
		if some() {
			e.Label, e.Seqs, e.Count = uint32(rng.Intn(1<<20)), rng.Intn(9), rng.Intn(9)
		}
		out = append(out, e)
	}
	return out
}

func randomFlow(rng *rand.Rand) jsonFlow {
	str := func() string { return randomString(rng) }
	jf := jsonFlow{Type: "flow", ID: rng.Intn(1 << 20), Client: randomEndpoint(rng), Server: randomEndpoint(rng), FirstPacket: rng.Intn(9),
		LastPacket: rng.Int(), Start: randomTime(rng), End: randomTime(rng), Stage: str(), Outcome: str(), ClosedBy: str(),
		ClientBanner: str(), ServerBanner: str(), Packets: jsonSides{rng.Int63(), -rng.Int63n(3)},
		Bytes: jsonSides{rng.Int63(), 0}, ClientError: str(), Causes: randomAdvice(rng),
		NextSteps: randomAdvice(rng), PreBanner: randomStrings(rng), AuthAttempts: rng.Intn(3),
		CommunityID: str(), ConnState: str(), History: str(), Midstream: rng.Intn(2) == 0,
		Duplicates: rng.Intn(2) * rng.Intn(9), Notes: randomStrings(rng)}
	if rng.Intn(2) == 0 {
		jf.File = str()
	}
	if rng.Intn(3) > 0 {
		jf.Resets = []jsonReset{}
		for range rng.Intn(3) {
			jf.Resets = append(jf.Resets, jsonReset{Packet: rng.Int(), Time: randomTime(rng), From: str(), Stage: str(),
				TTL: uint8(rng.Intn(256)), Origin: str(), Sender: str(), Flags: str(), Seq: rng.Uint32(), Ack: rng.Uint32(),
				Window: uint16(rng.Intn(65536)), IPID: uint16(rng.Intn(65536)), Label: uint32(rng.Intn(2) * rng.Intn(1<<20)),
				SeqState: str(), Payload: rng.Intn(100), Evidence: randomEvidence(rng)})
		}
	}
	if rng.Intn(3) == 0 {
		for range rng.Intn(3) {
			jf.ICMP = append(jf.ICMP, jsonICMP{Packet: rng.Int(), Time: randomTime(rng), About: str(), From: str(),
				TTL: uint8(rng.Intn(256)), Type: uint8(rng.Intn(256)), Code: uint8(rng.Intn(256)), What: str(),
				MTU: uint32(rng.Intn(2) * rng.Intn(9000)), Errno: []string{"", str()}[rng.Intn(2)]})
		}
	}
	if rng.Intn(3) > 0 {
		jf.Findings = []jsonFinding{}
		for range rng.Intn(3) {
			var p []int
			if rng.Intn(2) == 0 {
				p = []int{rng.Int(), 0}
			}
			var ll []int
			if rng.Intn(2) == 0 {
				ll = []int{rng.Intn(9)}
			}
			jf.Findings = append(jf.Findings, jsonFinding{ID: str(), Source: str(), Blame: str(), Packets: p, LogLines: ll, Summary: str()})
		}
	}
	if rng.Intn(2) == 0 {
		v := rng.Intn(2) == 0
		jf.AuthSuccess = &v
	}
	if rng.Intn(2) == 0 {
		jf.Algorithms = &jsonAlgorithms{}
		for _, p := range []*string{&jf.Algorithms.Kex, &jf.Algorithms.HostKey, &jf.Algorithms.Cipher,
			&jf.Algorithms.MAC, &jf.Algorithms.CipherS2C, &jf.Algorithms.MACS2C, &jf.Algorithms.Compression,
			&jf.Algorithms.ClientHASSH, &jf.Algorithms.ServerHASSH} {
			if rng.Intn(3) > 0 {
				*p = str()
			}
		}
	}
	return jf
}

// The flow encoder writes byte for byte what encoding/json and
// escapeFormatChars wrote before it, on random and hostile flows.
func TestFlowEncoderMatchesEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for i := range 20000 {
		jf := randomFlow(rng)
		// Twice: the second time the algorithms' encoding is the one kept.
		for range 2 {
			encodesAsEncodingJSON(t, i, &jf)
		}
	}
}

// encodesAsEncodingJSON fails the test when appendFlow does not write jf
// byte for byte as encoding/json and escapeFormatChars do.
func encodesAsEncodingJSON(t *testing.T, i int, jf *jsonFlow) {
	t.Helper()
	want, err := json.Marshal(jf)
	if err != nil {
		t.Fatal(err)
	}
	want = escapeFormatChars(want)
	if got := appendFlow(nil, jf); string(got) != string(want) {
		t.Fatalf("flow %d:\n got %s\nwant %s", i, got, want)
	}
}

func FuzzJSONString(f *testing.F) {
	for _, s := range hostileStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		want = escapeFormatChars(want)
		got := appendJSONString(nil, s)
		if string(got) != string(want) {
			t.Fatalf("%q:\n got %s\nwant %s", s, got, want)
		}
		// Words written straight into a line are escaped when, and only
		// when, appendJSONString would change them.
		if n, changed := needsEscape([]byte(s)), string(got) != `"`+s+`"`; n != changed {
			t.Fatalf("%q: needsEscape %v, but escaping changes it: %v", s, n, changed)
		}
	})
}

// appendStamp writes what time.Format with TimeFormat writes.
func TestStampLikeFormat(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	times := []time.Time{time.Unix(0, 0), time.Unix(0, 1), time.Date(2026, 11, 21, 8, 3, 58, 305163000, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC), time.Date(2026, 3, 29, 2, 30, 0, 0, time.FixedZone("x", 3600+1800))}
	for range 100000 {
		times = append(times, time.Unix(rng.Int63n(1<<36)-1<<34, rng.Int63n(1e9)))
	}
	for _, tm := range times {
		if got, want := stamp(tm), tm.UTC().Format(TimeFormat); got != want {
			t.Fatalf("%v: %s, want %s", tm, got, want)
		}
	}
}

// Every byte value at every place of an eight-byte word is escaped as
// encoding/json escapes it (safeWord tests eight bytes at once).
func TestSafeWordEveryByte(t *testing.T) {
	for c := range 256 {
		for at := range 16 {
			b := []byte("abcdefghijklmnopq")
			b[at] = byte(c)
			s := string(b)
			want, _ := json.Marshal(s)
			want = escapeFormatChars(want)
			got := appendJSONString(nil, s)
			if string(got) != string(want) {
				t.Fatalf("byte %#x at %d:\n got %s\nwant %s", c, at, got, want)
			}
			if n, changed := needsEscape(b), string(got) != `"`+s+`"`; n != changed {
				t.Fatalf("byte %#x at %d: needsEscape %v, escaping changes it: %v", c, at, n, changed)
			}
		}
	}
}

// Every cause and next step a finding of the packets brings is found in
// plainAdvice by where its bytes are, when it needs no escaping: the
// advice lists hold the catalog's own strings, not copies.
func TestPlainAdviceKnowsFindingsAdvice(t *testing.T) {
	n := 0
	for _, e := range analyze.Catalog() {
		for _, s := range append(slices.Clip(e.Causes), e.NextSteps...) {
			plain := string(appendJSONString(nil, s)) == `"`+s+`"`
			if plain != plainAdvice[idOf(s)] {
				t.Fatalf("%s: %q: plain %v, but plainAdvice says %v", e.Name, s, plain, !plain)
			}
			n++
		}
	}
	if n == 0 {
		t.Fatal("no advice in the catalog")
	}
	// A copy is not the catalog's string: it is checked byte by byte.
	s := analyze.Catalog()[0].Causes[0]
	if plainAdvice[idOf(string([]byte(s)))] {
		t.Errorf("a copy of %q taken for the catalog's own", s)
	}
}

package analyze

import (
	"os"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/rstsniff/rstsniff/decode"
)

// feedWith is feed with each segment adjusted by mod (frame is 1-based).
func feedWith(segs []seg, mod func(frame int, s *decode.Segment)) []*Flow {
	a := New(Config{})
	t0 := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	for i, g := range segs {
		s := decode.Segment{Src: cAddr.Addr(), Dst: sAddr.Addr(), SrcPort: cAddr.Port(), DstPort: sAddr.Port(), TTL: 64, IPVersion: 4,
			Seq: g.seq, Ack: g.ack, Flags: g.flags, Payload: []byte(g.payload), PayloadLen: len(g.payload), IPID: uint16(1000 + i)}
		if g.fromServer {
			s.Src, s.Dst, s.SrcPort, s.DstPort, s.TTL = sAddr.Addr(), cAddr.Addr(), sAddr.Port(), cAddr.Port(), 63
			s.IPID = uint16(5000 + i)
		}
		mod(i+1, &s)
		a.Packet(i+1, t0.Add(g.at), &s)
	}
	return a.Finish()
}

// fingerprintsOf lists each reset's fingerprints, in frame order.
func fingerprintsOf(f *Flow) map[int][]Fingerprint {
	m := map[int][]Fingerprint{}
	for _, r := range f.Resets {
		if len(r.Fingerprints) > 0 {
			m[r.Packet] = r.Fingerprints
		}
	}
	return m
}

func TestFingerprints(t *testing.T) {
	// After the handshake the server's banner (frame 4), then the client's
	// (frame 5, IP ID 1004): each pattern starts at frame 6, in the
	// server's name.
	base := with(seg{true, PA, 501, 101, "SSH-2.0-OpenSSH_9.2p1\r\n", 3 * time.Millisecond},
		seg{false, PA, 101, 524, "SSH-2.0-x\r\n", 4 * time.Millisecond})
	at := func(ms float64) time.Duration { return time.Duration(ms * float64(time.Millisecond)) }
	for _, c := range []struct {
		name string
		segs []seg
		mod  func(int, *decode.Segment)
		want map[int][]Fingerprint
	}{
		{"gfw-triple", append(append([]seg(nil), base...),
			seg{true, RA, 524, 112, "", at(4.1)}, seg{true, RA, 524, 112, "", at(4.2)}, seg{true, RA, 524, 112, "", at(4.3)}),
			func(fr int, s *decode.Segment) {
				if fr >= 6 {
					s.Window, s.TTL = uint16(4229+fr-6), uint8(65+fr-6)
				}
			},
			map[int][]Fingerprint{6: {FPGFWTriple, FPIntangType2}, 7: {FPGFWTriple, FPIntangType2}, 8: {FPGFWTriple, FPIntangType2}}},
		{"only two rising", append(append([]seg(nil), base...), seg{true, RA, 524, 112, "", at(4.1)}, seg{true, RA, 524, 112, "", at(4.2)}),
			func(fr int, s *decode.Segment) {
				if fr >= 6 {
					s.Window, s.TTL = uint16(4229+fr-6), uint8(65+fr-6)
				}
			},
			map[int][]Fingerprint{6: {FPIntangType2}, 7: {FPIntangType2}}},
		// Two RST+ACKs with a window but one TTL: not INTANG's type 2.
		{"two with one TTL", append(append([]seg(nil), base...), seg{true, RA, 524, 112, "", at(4.1)}, seg{true, RA, 524, 112, "", at(4.2)}),
			func(fr int, s *decode.Segment) {
				if fr >= 6 {
					s.Window = uint16(4229 + fr - 6)
				}
			},
			map[int][]Fingerprint{}},
		{"intang-type1", append(append([]seg(nil), base...), seg{true, R, 524, 0, "", at(4.1)}),
			func(fr int, s *decode.Segment) {
				if fr == 6 {
					s.Window, s.TTL = 16384, 50
				}
			},
			map[int][]Fingerprint{6: {FPIntangType1}}},
		// A bare RST with a window from the sender's own distance: a Cisco
		// stack's own (suricata-verify's ssh-hassh-reassembled).
		{"bare RST with window, own TTL", append(append([]seg(nil), base...), seg{true, R, 524, 0, "", at(4.1)}),
			func(fr int, s *decode.Segment) {
				if fr == 6 {
					s.Window = 3816
				}
			}, map[int][]Fingerprint{}},
		{"ip-id-copied", append(append([]seg(nil), base...), seg{true, RA, 524, 112, "", at(4.1)}),
			func(fr int, s *decode.Segment) {
				if fr == 6 {
					s.IPID, s.TTL = 1004, 64 // the client's banner's, from another distance
				}
			}, map[int][]Fingerprint{6: {FPIPIDCopied}}},
		// The same IP ID by chance from the server's own distance.
		{"ip-id equal, own TTL", append(append([]seg(nil), base...), seg{true, RA, 524, 112, "", at(4.1)}),
			func(fr int, s *decode.Segment) {
				if fr == 6 {
					s.IPID = 1004
				}
			}, map[int][]Fingerprint{}},
		{"rst-seq-change", append(append([]seg(nil), base...), seg{true, R, 524, 0, "", at(4.1)}, seg{true, R, 524 + 1460, 0, "", at(5.1)}),
			func(int, *decode.Segment) {}, map[int][]Fingerprint{6: {FPRSTSeqChange}, 7: {FPRSTSeqChange}}},
		// A stack answering two late packets: the second RST's sequence
		// number is not above what the server had sent.
		{"two stack resets", append(append([]seg(nil), base...), seg{true, R, 524, 0, "", at(4.1)}, seg{true, R, 524, 0, "", at(5.1)}),
			func(int, *decode.Segment) {}, map[int][]Fingerprint{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			want := c.want
			f := feedWith(c.segs, c.mod)[0]
			got := fingerprintsOf(f)
			if len(got) != len(want) {
				t.Fatalf("fingerprints %v, want %v", got, want)
			}
			for k, v := range want {
				if !slices.Equal(got[k], v) {
					t.Errorf("frame %d: %v, want %v", k, got[k], v)
				}
			}
		})
	}
}

func TestFingerprintCatalog(t *testing.T) {
	seen := map[string]bool{}
	for i, e := range Fingerprints() {
		if e.ID != Fingerprint(i+1) || e.Name == "" || e.Source == "" || e.Rule == "" || seen[e.Name] {
			t.Errorf("entry %d: %+v", i, e)
		}
		seen[e.Name] = true
	}
}

// docs/verdicts.md's fingerprint table lists the catalog, in order, with its sources.
func TestFingerprintsInREADME(t *testing.T) {
	readme, err := os.ReadFile("../docs/verdicts.md")
	if err != nil {
		t.Fatal(err)
	}
	sec := regexp.MustCompile("(?s)\n### Which device: published fingerprints\n(.*?)\n### ").FindSubmatch(readme)
	if sec == nil {
		t.Fatal("docs/verdicts.md has no fingerprints section")
	}
	var listed []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z0-9-]+)` \\|").FindAllSubmatch(sec[1], -1) {
		listed = append(listed, string(m[1]))
	}
	var names []string
	for _, e := range Fingerprints() {
		names = append(names, e.Name)
	}
	if !slices.Equal(listed, names) {
		t.Errorf("docs/verdicts.md lists %v, the catalog %v", listed, names)
	}
}

// Two resets alike but for their TTLs, seen at one point, are two packets
// (INTANG's type-2), not one packet captured twice; one router hop lower
// within 5 ms is a copy (tcpdump -i any on a router).
func TestDuplicatesByTTL(t *testing.T) {
	base := with(seg{true, PA, 501, 101, "SSH-2.0-OpenSSH_9.2p1\r\n", 3 * time.Millisecond},
		seg{false, PA, 101, 524, "SSH-2.0-x\r\n", 4 * time.Millisecond})
	two := append(append([]seg(nil), base...), seg{true, RA, 524, 112, "", 4100 * time.Microsecond}, seg{true, RA, 524, 112, "", 4200 * time.Microsecond})
	for _, c := range []struct {
		ttls       [2]uint8
		resets     int
		duplicates int
	}{{[2]uint8{48, 52}, 2, 0}, {[2]uint8{64, 63}, 1, 1}, {[2]uint8{64, 64}, 2, 0}} {
		f := feedWith(two, func(fr int, s *decode.Segment) {
			if fr >= 6 {
				s.TTL, s.Window, s.IPID = c.ttls[fr-6], 2048, 0
			}
		})[0]
		if len(f.Resets) != c.resets || f.Duplicates != c.duplicates {
			t.Errorf("TTLs %v: %d resets, %d duplicates, want %d, %d", c.ttls, len(f.Resets), f.Duplicates, c.resets, c.duplicates)
		}
	}
}

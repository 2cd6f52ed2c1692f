package analyze

import (
	"slices"
	"time"

	"github.com/rstsniff/rstsniff/decode"
)

// Published fingerprints of devices that forge resets. Each is a small
// matcher in the ordered list fingerprinters that marks the resets it
// matches (Reset.Fingerprints); the catalog below holds its name, the
// published source and the exact rule, which report/ quotes ("matches
// gfw-triple (net4people/bbs#285, Sept 2023; gfw.report, Aug 2025)"). A new
// fingerprint is a constant, a catalog line, a type and a line in the list.
//
// Every matcher is tested against every reset the Linux stack makes (the
// lab captures) and every external capture: none may match where nothing
// was injected (TestFingerprintNegatives in cmd/rstsniff).

// Fingerprint names one published pattern of forged resets. The names
// (String) are stable: scripts match on them.
type Fingerprint uint8

const (
	FPNone         Fingerprint = iota
	FPGFWTriple                // three RST+ACKs whose window and TTL rise by one per packet
	FPIntangType1              // RST alone, window not 0, TTL unlike the sender's
	FPIntangType2              // RST+ACKs with window not 0 and two or three TTLs in a short time
	FPRSTSeqChange             // Weaver, Sommer, Paxson's RST SEQ CHANGE
	FPIPIDCopied               // the IP ID of the packet that drew it
	numFingerprints
)

// FingerprintEntry is what is known of a fingerprint: its stable name,
// where it was published, and the rule as rstsniff applies it.
type FingerprintEntry struct {
	ID     Fingerprint
	Name   string
	Source string
	Rule   string
}

var fingerprintCatalog = [numFingerprints]FingerprintEntry{
	{FPNone, "", "", ""},
	{FPGFWTriple, "gfw-triple", "net4people/bbs#285, Sept 2023; gfw.report, Aug 2025",
		"three or more RST+ACKs in one side's name within 100 ms, window not 0, each one's window and TTL one more than the previous one's (published: windows 4229/4230/4231 with TTLs 65/66/67; 1980/1981/1982; 3293/3294/3295)"},
	{FPIntangType1, "intang-type1", "INTANG: Wang et al., IMC 2017; seclab-ucr/INTANG src/cache.c",
		"RST without ACK, window not 0, and a TTL unlike every other packet of the side it claims (a bare RST with a window from its own distance is what some stacks send)"},
	{FPIntangType2, "intang-type2", "INTANG: Wang et al., IMC 2017; seclab-ucr/INTANG src/cache.c",
		"two or three RST+ACKs in one side's name within 2 s, each with window not 0, with at least two different TTLs"},
	{FPRSTSeqChange, "rst-seq-change", "Weaver, Sommer, Paxson: Detecting Forged TCP Reset Packets, NDSS 2009",
		"two RSTs in one side's name less than 2 s apart, the second's sequence number more than 2 above the first's, above everything that side had sent and more than 2 above the other side's highest ACK before the first, with no FIN from that side and no RST from the other before the first"},
	{FPIPIDCopied, "ip-id-copied", "firewall traces, no single publication",
		"the reset's IPv4 ID, not 0, equals that of the other side's packet it answers, and the TTL is unlike the claimed sender's"},
}

func (p Fingerprint) String() string { return p.Entry().Name }

// Entry returns the catalog's entry for the fingerprint.
func (p Fingerprint) Entry() FingerprintEntry {
	if p < numFingerprints {
		return fingerprintCatalog[p]
	}
	return FingerprintEntry{ID: p, Name: "unknown"}
}

// Fingerprints returns the fingerprint catalog, in order.
func Fingerprints() []FingerprintEntry { return slices.Clone(fingerprintCatalog[1:]) }

// Thresholds of the fingerprints (choices where the sources give none).
const (
	gfwTripleWindow = 100 * time.Millisecond // choice: the published triples come within milliseconds
	seqChangeWindow = 2 * time.Second        // Weaver et al.: "less than 2 s apart"
	intangWindow    = 2 * time.Second        // choice: INTANG's "short time"
)

// A fingerprinter marks the resets of a finished flow that match its
// pattern, after judge (it may read Sender and the TTL evidence).
type fingerprinter interface{ match(f *flow) }

// fingerprinters is the ordered list of fingerprint matchers.
var fingerprinters = []fingerprinter{gfwTriple{}, intangType1{}, intangType2{}, rstSeqChange{}, ipidCopied{}}

var _ fingerprinter = gfwTriple{}

// mark adds p to the reset at index i, once.
func (f *flow) mark(i int, p Fingerprint) {
	r := &f.out.Resets[i]
	if !slices.Contains(r.Fingerprints, p) {
		r.Fingerprints = append(r.Fingerprints, p)
	}
}

// sideResets appends to ix the indexes of the resets in side's name, in
// order (the matchers pass a buffer on their stack).
func (f *flow) sideResets(ix []int, side Side) []int {
	for i := range f.out.Resets {
		if f.out.Resets[i].From == side {
			ix = append(ix, i)
		}
	}
	return ix
}

func isRSTACK(r *Reset) bool { return r.Flags.Has(decode.ACK) }

type gfwTriple struct{}

func (gfwTriple) match(f *flow) {
	rs := f.out.Resets
	for _, side := range []Side{Client, Server} {
		var buf [8]int
		ix := f.sideResets(buf[:0], side)
		// Runs of consecutive resets, each one up by one in window and TTL.
		for a := 0; a < len(ix); {
			b := a + 1
			for b < len(ix) {
				p, q := &rs[ix[b-1]], &rs[ix[b]]
				if !isRSTACK(p) || !isRSTACK(q) || p.Window == 0 || q.Window != p.Window+1 || q.TTL != p.TTL+1 ||
					q.Time.Sub(rs[ix[a]].Time) > gfwTripleWindow {
					break
				}
				b++
			}
			if b-a >= 3 {
				for _, i := range ix[a:b] {
					f.mark(i, FPGFWTriple)
				}
			}
			a = b
		}
	}
}

type intangType1 struct{}

func (intangType1) match(f *flow) {
	for i := range f.out.Resets {
		r := &f.out.Resets[i]
		if !r.Flags.Has(decode.ACK) && r.Window != 0 && r.ttlMismatch {
			f.mark(i, FPIntangType1)
		}
	}
}

type intangType2 struct{}

func (intangType2) match(f *flow) {
	rs := f.out.Resets
	for _, side := range []Side{Client, Server} {
		var buf, groupBuf, nearBuf [8]int
		group := groupBuf[:0]
		for _, i := range f.sideResets(buf[:0], side) {
			if isRSTACK(&rs[i]) && rs[i].Window != 0 {
				group = append(group, i)
			}
		}
		for _, i := range group {
			near := nearBuf[:0]
			for _, j := range group {
				if absDur(rs[j].Time.Sub(rs[i].Time)) <= intangWindow {
					near = append(near, j)
				}
			}
			// Two TTLs among them at least.
			twoTTLs := slices.ContainsFunc(near, func(j int) bool { return rs[j].TTL != rs[near[0]].TTL })
			if len(near) >= 2 && twoTTLs {
				for _, j := range near {
					f.mark(j, FPIntangType2)
				}
			}
		}
	}
}

type rstSeqChange struct{}

func (rstSeqChange) match(f *flow) {
	rs := f.out.Resets
	for _, side := range []Side{Client, Server} {
		var buf [8]int
		ix := f.sideResets(buf[:0], side)
		for a, i := range ix {
			c1 := &f.rx[i]
			if c1.senderFIN || c1.recvRST {
				continue
			}
			for _, j := range ix[a+1:] {
				r1, r2 := &rs[i], &rs[j]
				if r2.Time.Sub(r1.Time) >= seqChangeWindow {
					break
				}
				if seqDiff(r2.Seq, r1.Seq) > 2 && (!c1.sendSeqSet || seqDiff(r2.Seq, c1.sendNxt) > 0) &&
					(!c1.recvAckSet || seqDiff(r2.Seq, c1.recvAck) > 2) {
					f.mark(i, FPRSTSeqChange)
					f.mark(j, FPRSTSeqChange)
				}
			}
		}
	}
}

type ipidCopied struct{}

func (ipidCopied) match(f *flow) {
	for i := range f.out.Resets {
		r, c := &f.out.Resets[i], &f.rx[i]
		if c.hasTrigger && c.trigger.v4 && r.IPID != 0 && r.IPID == c.trigger.ipid && r.ttlMismatch {
			f.mark(i, FPIPIDCopied)
		}
	}
}

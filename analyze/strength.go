package analyze

import (
	"math/bits"

	"github.com/rstsniff/rstsniff/kernel"
)

// Strength says how far a reset's origin verdict can be trusted. The
// names are part of the JSON contract.
type Strength uint8

const (
	StrengthNone Strength = iota // no verdict: the origin is unknown
	// StrengthWeak: header fields alone (TTL, timing, sequence number, IP
	// ID), which routing changes, load balancers and counters shared with
	// other traffic can mimic.
	StrengthWeak
	// StrengthStrong: for a forged reset, what an endpoint did (kept
	// sending, both ends reset at once, a burst, a challenge ACK), a
	// timestamp not the sender's, or two signals pointing to it with none
	// against; for a genuine one, a field only the sender's socket knows
	// (its timestamp clock, its IPv6 flow label). A TTL that matches and
	// an exact sequence number are what a REJECT rule on the sender's host
	// sends too: alone they stay weak.
	StrengthStrong
	// StrengthProof: the host's kernel saw its stack or its firewall send
	// the reset (tcp_send_reset or nf_send_reset fired for it). Two
	// captures prove more; package correlate says so.
	StrengthProof
)

var strengthNames = [...]string{"none", "weak", "strong", "proof"}

func (s Strength) String() string {
	if int(s) < len(strengthNames) {
		return strengthNames[s]
	}
	return "unknown"
}

// strongAlone are the signals that settle a verdict by themselves: an
// array indexed by every Signal, as level asks it of every reset's every
// piece of evidence.
var strongAlone = [1 << 8]bool{
	SigSenderKeptSending: true, SigBothEnds: true, SigBurst: true, SigChallengeACK: true,
	SigTimestampForeign: true, SigTimestampContinues: true, SigFlowLabel: true,
}

// Strength says how far the reset's origin can be trusted, and the
// signals that decided it (those pointing the way the verdict went, in the
// order of Evidence). A kernel witness that agrees makes it proof.
func (r *Reset) Strength() (Strength, []Signal) { return r.AppendStrength(nil) }

// AppendStrength is Strength with the signals appended to dst, for a
// caller that reuses one slice for every reset.
func (r *Reset) AppendStrength(dst []Signal) (Strength, []Signal) {
	st := r.level()
	if st == StrengthNone {
		return st, dst
	}
	v := r.Sender.Verdict()
	start := len(dst)
	for _, e := range r.Evidence {
		if e.PointsTo == v && !containsSignal(dst[start:], e.Signal) {
			dst = append(dst, e.Signal)
		}
	}
	return st, dst
}

// level is Strength without the list of signals: it allocates nothing,
// for the callers that ask of every reset (Suspected, the tallies).
func (r *Reset) level() Strength {
	v := r.Sender.Verdict()
	if v == VerdictUnknown {
		return StrengthNone
	}
	var with uint64 // the distinct signals pointing the way the verdict went
	against, strong := 0, false
	for _, e := range r.Evidence {
		if e.PointsTo != v {
			against++
			continue
		}
		with |= 1 << (e.Signal % 64)
		strong = strong || strongAlone[e.Signal]
	}
	switch {
	case r.kernelAgrees():
		return StrengthProof
	case strong, v == VerdictForged && bits.OnesCount64(with) >= 2 && against == 0:
		return StrengthStrong
	}
	return StrengthWeak
}

// Suspected reports whether the reset is called forged on weak evidence
// alone: a suspicion, which reports print as "possibly forged" and never
// as FORGED, count apart, and which never makes a connection abnormal by
// itself. Only strong evidence and proof say FORGED.
func (r *Reset) Suspected() bool {
	if !r.Sender.Forged() {
		return false
	}
	return r.level() < StrengthStrong
}

// ForgedSurely reports whether the reset is called forged on strong
// evidence or proof: what reports print as FORGED, alert on and count as
// forged (the forged verdicts that are not Suspected).
func (r *Reset) ForgedSurely() bool {
	return r.Sender.Forged() && r.level() >= StrengthStrong
}

// kernelAgrees reports whether the host's kernel saw the sender the
// verdict names send the reset, by a direct event.
func (r *Reset) kernelAgrees() bool {
	w := r.Kernel
	if w == nil || (w.Basis != kernel.BasisTracepoint && w.Basis != kernel.BasisFentry) {
		return false
	}
	switch w.Sender {
	case kernel.SenderStack:
		return r.Sender.Genuine()
	case kernel.SenderFirewall:
		return r.Sender.HostFirewall()
	}
	return false
}

func containsSignal(ss []Signal, s Signal) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

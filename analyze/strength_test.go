package analyze

import (
	"slices"
	"testing"

	"github.com/rstsniff/rstsniff/kernel"
)

func TestStrength(t *testing.T) {
	ev := func(s Signal, p Origin) Evidence { return Evidence{Signal: s, PointsTo: p} }
	for _, c := range []struct {
		name string
		r    Reset
		want Strength
		by   []Signal
	}{
		{"unknown", Reset{Origin: OriginUnknown, Evidence: []Evidence{ev(SigTTLMatch, OriginEndpoint)}}, StrengthNone, nil},
		{"ttl alone", Reset{Origin: OriginMiddlebox, Evidence: []Evidence{ev(SigTTLDistance, OriginMiddlebox)}}, StrengthWeak, []Signal{SigTTLDistance}},
		{"kept sending", Reset{Origin: OriginMiddlebox, Evidence: []Evidence{ev(SigTTLDistance, OriginMiddlebox), ev(SigSenderKeptSending, OriginMiddlebox)}},
			StrengthStrong, []Signal{SigTTLDistance, SigSenderKeptSending}},
		{"two header signals", Reset{Origin: OriginMiddlebox, Evidence: []Evidence{ev(SigTTLDistance, OriginMiddlebox), ev(SigTooSoon, OriginMiddlebox)}},
			StrengthStrong, []Signal{SigTTLDistance, SigTooSoon}},
		{"two against one", Reset{Origin: OriginMiddlebox, Evidence: []Evidence{ev(SigTTLDistance, OriginMiddlebox), ev(SigTooSoon, OriginMiddlebox), ev(SigExactSeq, OriginEndpoint)}},
			StrengthWeak, []Signal{SigTTLDistance, SigTooSoon}},
		// What a REJECT rule on the sender's host sends as well.
		{"ttl and seq", Reset{Origin: OriginEndpoint, Evidence: []Evidence{ev(SigTTLMatch, OriginEndpoint), ev(SigExactSeq, OriginEndpoint)}},
			StrengthWeak, []Signal{SigTTLMatch, SigExactSeq}},
		{"timestamp clock", Reset{Origin: OriginEndpoint, Evidence: []Evidence{ev(SigTTLMatch, OriginEndpoint), ev(SigTimestampContinues, OriginEndpoint)}},
			StrengthStrong, []Signal{SigTTLMatch, SigTimestampContinues}},
		{"kernel stack", Reset{Origin: OriginEndpoint, Evidence: []Evidence{ev(SigTTLMatch, OriginEndpoint)},
			Kernel: &kernel.Witness{Sender: kernel.SenderStack, Basis: kernel.BasisTracepoint}}, StrengthProof, []Signal{SigTTLMatch}},
		{"kernel disagrees", Reset{Origin: OriginMiddlebox, Evidence: []Evidence{ev(SigTTLDistance, OriginMiddlebox)},
			Kernel: &kernel.Witness{Sender: kernel.SenderStack, Basis: kernel.BasisTracepoint}}, StrengthWeak, []Signal{SigTTLDistance}},
		{"kernel by absence", Reset{Origin: OriginEndpoint, Evidence: []Evidence{ev(SigTTLMatch, OriginEndpoint)},
			Kernel: &kernel.Witness{Sender: kernel.SenderStack, Basis: kernel.BasisAbsence}}, StrengthWeak, []Signal{SigTTLMatch}},
		{"host firewall by kernel", Reset{Origin: OriginMiddlebox, Forger: ForgerSenderHost, Evidence: []Evidence{ev(SigSenderKeptSending, OriginMiddlebox)},
			Kernel: &kernel.Witness{Sender: kernel.SenderFirewall, Basis: kernel.BasisFentry}}, StrengthProof, []Signal{SigSenderKeptSending}},
	} {
		got, by := c.r.Strength()
		if got != c.want || !slices.Equal(by, c.by) {
			t.Errorf("%s: %v %v, want %v %v", c.name, got, by, c.want, c.by)
		}
	}
}

package analyze

import (
	"slices"
	"testing"

	"github.com/rstsniff/rstsniff/kernel"
)

func TestStrength(t *testing.T) {
	ev := func(s Signal, p Verdict) Evidence { return Evidence{Signal: s, PointsTo: p} }
	for _, c := range []struct {
		name string
		r    Reset
		want Strength
		by   []Signal
	}{
		{"unknown", Reset{Sender: SenderUnknown, Evidence: []Evidence{ev(SigTTLMatch, VerdictGenuine)}}, StrengthNone, nil},
		{"ttl alone", Reset{Sender: SenderPath, Evidence: []Evidence{ev(SigTTLDistance, VerdictForged)}}, StrengthWeak, []Signal{SigTTLDistance}},
		{"kept sending", Reset{Sender: SenderPath, Evidence: []Evidence{ev(SigTTLDistance, VerdictForged), ev(SigSenderKeptSending, VerdictForged)}},
			StrengthStrong, []Signal{SigTTLDistance, SigSenderKeptSending}},
		{"two header signals", Reset{Sender: SenderPath, Evidence: []Evidence{ev(SigTTLDistance, VerdictForged), ev(SigTooSoon, VerdictForged)}},
			StrengthStrong, []Signal{SigTTLDistance, SigTooSoon}},
		{"two against one", Reset{Sender: SenderPath, Evidence: []Evidence{ev(SigTTLDistance, VerdictForged), ev(SigTooSoon, VerdictForged), ev(SigExactSeq, VerdictGenuine)}},
			StrengthWeak, []Signal{SigTTLDistance, SigTooSoon}},
		// What a REJECT rule on the sender's host sends as well.
		{"ttl and seq", Reset{Sender: SenderServer, Evidence: []Evidence{ev(SigTTLMatch, VerdictGenuine), ev(SigExactSeq, VerdictGenuine)}},
			StrengthWeak, []Signal{SigTTLMatch, SigExactSeq}},
		{"timestamp clock", Reset{Sender: SenderServer, Evidence: []Evidence{ev(SigTTLMatch, VerdictGenuine), ev(SigTimestampContinues, VerdictGenuine)}},
			StrengthStrong, []Signal{SigTTLMatch, SigTimestampContinues}},
		{"kernel stack", Reset{Sender: SenderServer, Evidence: []Evidence{ev(SigTTLMatch, VerdictGenuine)},
			Kernel: &kernel.Witness{Sender: kernel.SenderStack, Basis: kernel.BasisTracepoint}}, StrengthProof, []Signal{SigTTLMatch}},
		{"kernel disagrees", Reset{Sender: SenderPath, Evidence: []Evidence{ev(SigTTLDistance, VerdictForged)},
			Kernel: &kernel.Witness{Sender: kernel.SenderStack, Basis: kernel.BasisTracepoint}}, StrengthWeak, []Signal{SigTTLDistance}},
		{"kernel by absence", Reset{Sender: SenderServer, Evidence: []Evidence{ev(SigTTLMatch, VerdictGenuine)},
			Kernel: &kernel.Witness{Sender: kernel.SenderStack, Basis: kernel.BasisAbsence}}, StrengthWeak, []Signal{SigTTLMatch}},
		{"host firewall by kernel", Reset{Sender: SenderServerFirewall, Evidence: []Evidence{ev(SigSenderKeptSending, VerdictForged)},
			Kernel: &kernel.Witness{Sender: kernel.SenderFirewall, Basis: kernel.BasisFentry}}, StrengthProof, []Signal{SigSenderKeptSending}},
	} {
		got, by := c.r.Strength()
		if got != c.want || !slices.Equal(by, c.by) {
			t.Errorf("%s: %v %v, want %v %v", c.name, got, by, c.want, c.by)
		}
	}
}

package analyze

import (
	"testing"
	"time"
)

// The cases issue 20 found the detectors missing or getting wrong.

func findingIDs(f *Flow) []FindingID {
	var ids []FindingID
	for _, fd := range f.Findings {
		ids = append(ids, fd.ID)
	}
	return ids
}

func hasFinding(f *Flow, id FindingID) bool {
	for _, fd := range f.Findings {
		if fd.ID == id {
			return true
		}
	}
	return false
}

// A capture begun while a connection was open: sshd's LoginGraceTime
// close (a FIN, then a RST) comes with no banner in the capture, because
// the banners went by before it. Nothing before the first packet is
// claimed: no server-close-before-banner, no post-synack-reset, stage
// unknown.
func TestMidstreamClaimsNothingBefore(t *testing.T) {
	for name, segs := range map[string][]seg{
		"fin": {{false, A, 7000, 9000, "", 0}, {true, FA, 9000, 7000, "", 120 * time.Second}, {false, FA, 7000, 9001, "", 120*time.Second + time.Millisecond}},
		"rst": {{false, A, 7000, 9000, "", 0}, {true, RA, 9000, 7000, "", 120 * time.Second}},
	} {
		t.Run(name, func(t *testing.T) {
			flows := feed(Config{}, segs)
			if len(flows) != 1 {
				t.Fatalf("%d flows", len(flows))
			}
			f := flows[0]
			if !f.Midstream || f.Stage != StageUnknown {
				t.Errorf("midstream %v stage %v, want a mid-stream flow at stage unknown", f.Midstream, f.Stage)
			}
			if hasFinding(f, FindCloseBeforeBan) || hasFinding(f, FindPostSynAckReset) {
				t.Errorf("findings %v claim what came before the capture", findingIDs(f))
			}
		})
	}
	// The same close with the handshake in the capture is what it says.
	f := feed(Config{}, with(seg{true, FA, 501, 101, "", 120 * time.Second}, seg{false, FA, 101, 502, "", 120*time.Second + time.Millisecond}))[0]
	if !hasFinding(f, FindCloseBeforeBan) {
		t.Errorf("with its handshake: findings %v, want server-close-before-banner", findingIDs(f))
	}
}

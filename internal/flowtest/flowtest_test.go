package flowtest

import (
	"testing"

	"github.com/rstsniff/rstsniff/analyze"
)

// The lab's rate-limit capture: three logins, then a SYN the router refused
// in the server's name (testdata/pcaps/rate-limit/README.md).
func TestFlows(t *testing.T) {
	flows := Flows(t, "../../testdata/pcaps/rate-limit/capture.pcap", analyze.Config{})
	var got []string
	for _, f := range flows {
		got = append(got, f.Stage.String()+" "+f.Outcome.String())
	}
	want := []string{"session closed", "session closed", "session closed", "handshake refused"}
	if len(got) != len(want) {
		t.Fatalf("flows %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("flow %d: %s, want %s", i+1, got[i], want[i])
		}
	}
	if flows[0].FirstPacket != 1 || flows[3].FirstPacket != 127 {
		t.Errorf("first packets %d and %d, want 1 and 127 (in order of first packet)", flows[0].FirstPacket, flows[3].FirstPacket)
	}
	// --ports 2222: the logins are still found by their banners, the
	// refused SYN, which carries none, is not.
	if fs := Flows(t, "../../testdata/pcaps/rate-limit/capture.pcap", analyze.Config{Ports: []uint16{2222}}); len(fs) != 3 {
		t.Errorf("%d flows with port 2222 taken for SSH, want the 3 logins", len(fs))
	}
}

package explain

import (
	"os"
	"testing"

	"github.com/rstsniff/rstsniff/analyze"
)

// beforeBanner are the causes that act before the server's identification
// string: sshd's refusals (MaxStartups, PerSourcePenalties, TCP wrappers),
// rate limits on new connections, a device resetting right after the
// handshake.
var beforeBanner = []analyze.FindingID{analyze.FindCloseBeforeBan, analyze.FindRateLimit, analyze.FindPostSynAckReset}

// TestRankByStage (issue 24, item 6): a log whose debug lines prove the
// client got past the server's banner never ranks a cause that acts
// before it; the key exchange's FIN ranks the path's MTU first.
func TestRankByStage(t *testing.T) {
	b, err := os.ReadFile("../testdata/explain/stage/kex-closed.txt")
	if err != nil {
		t.Fatal(err)
	}
	r := Text(string(b))
	if r.Stage != StageKexReply || r.StageFrom != FromDebug || r.Wire != WireFIN {
		t.Fatalf("stage %s from %s, wire %s; want kex-reply from the debug lines, fin", r.Stage, r.StageFrom, r.Wire)
	}
	if len(r.Causes) == 0 || r.Causes[0].Findings[0] != analyze.FindMTUBlackhole {
		t.Errorf("causes %v: want mtu-blackhole first", r.Causes)
	}
	for _, id := range beforeBanner {
		if k := rank(r.Causes, id); k > 0 {
			t.Errorf("%s ranked %d in %v: it acts before the banner the debug lines show was received", id, k, r.Causes)
		}
	}
	// The same rule for every wire meaning at every stage past the
	// server's banner, from the debug lines or from the message.
	for w := WireReset; w < wireCount; w++ {
		if w == WireRefused || w == WireNoAnswer || w == WireICMP {
			continue // a SYN's fate: no stage past the banner
		}
		for st := StageIdentReceived; st <= StagePastIdent; st++ {
			for _, id := range beforeBanner {
				if k := rank(byStage(causesFor(w, st), st), id); k > 0 {
					t.Errorf("%s at %s: %s ranked %d", w, st, id, k)
				}
			}
		}
	}
	// Before the banner they still rank: MaxStartups is the usual
	// "kex_exchange_identification: Connection closed by remote host".
	r = Text("kex_exchange_identification: Connection closed by remote host")
	if len(r.Causes) == 0 || r.Causes[0].Findings[0] != analyze.FindCloseBeforeBan {
		t.Errorf("identification closed: causes %v", r.Causes)
	}
}

// TestPartialLog (issue 27, item 14): the head of a working ssh -v log
// ("Remote protocol version 2.0" and no error) is no failure: no message,
// no reset, and no cause that needs one.
func TestPartialLog(t *testing.T) {
	b, err := os.ReadFile("../testdata/explain/stage/partial-ok.txt")
	if err != nil {
		t.Fatal(err)
	}
	r := Text(string(b))
	if _, ok := r.MainMessage(); ok || r.Check() != nil {
		t.Fatalf("main %d, check %v: want no message and no error", r.Main, r.Check())
	}
	if r.Wire == WireReset || r.Wire == WireWriteAfter || r.Stage != StageIdentReceived {
		t.Errorf("wire %s at %s; want no reset, ident-received", r.Wire, r.Stage)
	}
	for _, c := range r.Causes {
		for _, id := range append([]analyze.FindingID{analyze.FindTTLMismatch, analyze.FindServerReset, analyze.FindHostFirewall}, beforeBanner...) {
			if c.Findings[0] == id {
				t.Errorf("cause %s of a log with no error past the banner: %v", id, r.Causes)
			}
		}
	}
}

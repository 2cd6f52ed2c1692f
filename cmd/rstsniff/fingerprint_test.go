package main

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/internal/flowtest"
)

// injected is, per capture, what the lab's injector sent (its mode and
// configuration in lab.sh), as the fingerprints each reset must match:
// "side:fp+fp" (resets matching none are not listed) and how many. Every
// other bundled, pair and external capture must match none.
var injected = map[string]map[string]int{
	// Three RST+ACKs in the server's name, windows 4229-4231, TTLs 65-67:
	// the GFW triple, and INTANG's type-2 (two or more TTLs).
	"pcaps/fp-gfw-triple/capture.pcap": {"server:gfw-triple+intang-type2": 3},
	// One bare RST, window 16384, TTL 50.
	"pcaps/fp-intang-type1/capture.pcap": {"server:intang-type1": 1},
	// Two RST+ACKs, window 2048, TTLs 48 and 52.
	"pcaps/fp-intang-type2/capture.pcap": {"server:intang-type2": 2},
	// One RST+ACK with the client banner's IP ID, TTL 64 (the server's: 63).
	"pcaps/fp-ip-id-copied/capture.pcap": {"server:ip-id-copied": 1},
	// Three bare RSTs each way, stepped by 1460: in the server's name,
	// Weaver's RST SEQ CHANGE; in the client's each follows a RST from the
	// other side, which the rule excludes.
	"pcaps/inject-both/capture.pcap": {"server:rst-seq-change": 3},
	"pairs/inject/client.pcap":       {"server:rst-seq-change": 3},
	// At the server only the resets sent toward it, in the client's name,
	// are seen: no RST from the server's side before them there.
	"pairs/inject/server.pcap": {"client:rst-seq-change": 3},
}

// TestFingerprintNegatives (issue 20, item 1): the published fingerprints
// match exactly the resets the lab's injector sent, and nothing in any
// other bundled, pair or external capture (every reset the Linux stack
// makes: refused, sshd killed, client abort, server firewall, hostile
// banner, ...; and Zeek's and suricata-verify's captures).
func TestFingerprintNegatives(t *testing.T) {
	var files []string
	for _, pat := range []string{"../../testdata/pcaps/*/capture.pcap*", "../../testdata/pairs/*/*.pcap*"} {
		m, _ := filepath.Glob(pat)
		files = append(files, m...)
	}
	filepath.WalkDir("../../testdata/external", func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".pcap") || strings.HasSuffix(p, ".pcapng")) {
			files = append(files, p)
		}
		return nil
	})
	if len(files) < 50 {
		t.Fatalf("only %d captures found", len(files))
	}
	resets := 0
	for _, p := range files {
		name := strings.TrimPrefix(p, "../../testdata/")
		var cfg analyze.Config
		if strings.HasPrefix(name, "pcaps/") && len(scenarioArgs(filepath.Dir(p))) > 0 {
			t.Fatalf("%s: its args file is not read here", name)
		} else if strings.HasPrefix(name, "external/") {
			cfg.Ports = []uint16{22, 2222, 22222}
		}
		got := map[string]int{}
		for _, f := range flowtest.Flows(t, p, cfg) {
			for _, r := range f.Resets {
				resets++
				if len(r.Fingerprints) > 0 {
					var names []string
					for _, fp := range r.Fingerprints {
						names = append(names, fp.String())
					}
					got[r.From.String()+":"+strings.Join(names, "+")]++
				}
			}
		}
		want := injected[name]
		if want == nil {
			want = map[string]int{}
		}
		if !maps.Equal(got, want) {
			t.Errorf("%s: fingerprints %v, want %v", name, got, want)
		}
	}
	t.Logf("%d captures, %d resets", len(files), resets)
}

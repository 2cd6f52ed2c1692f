package analyze

import (
	"testing"

	"github.com/rstsniff/rstsniff/catalog"
)

// analyze's findings are the catalog's findings from the packets, in its
// order: every ID sits at its rank, has advice, and its name finds it
// (README and docs/findings.md are tied to the catalog in package catalog).
func TestCatalogMatchesAnalyze(t *testing.T) {
	cat := Catalog()
	pk := catalog.Of(catalog.SourcePackets)
	if len(cat) != int(numFindings) || len(pk) != int(numFindings) {
		t.Fatalf("analyze has %d IDs, its catalog %d entries, the catalog %d packet findings", numFindings, len(cat), len(pk))
	}
	for i, e := range cat {
		if e.ID != FindingID(i) {
			t.Errorf("catalog entry %d (%s) has ID %d: the ID is the rank", i, e.Name, e.ID)
		}
		if len(e.Causes) == 0 || len(e.NextSteps) == 0 {
			t.Errorf("%s: no causes or next steps", e.Name)
		}
		if id, ok := FindingByName(e.Name); !ok || id != e.ID {
			t.Errorf("%s: FindingByName gives %v %v", e.Name, id, ok)
		}
		if pk[i].Name != e.Name || pk[i].Blame != e.Blame {
			t.Errorf("rank %d: analyze has %s (%v), the catalog %s (%v)", i+1, e.Name, e.Blame, pk[i].Name, pk[i].Blame)
		}
	}
}

// Every finding a detector emits is in the catalog: run the adversarial
// and forensic cases of this package's tests and check each ID.
func TestDetectorsEmitCatalogIDs(t *testing.T) {
	if len(detectors) == 0 || len(crossDetectors) == 0 {
		t.Fatal("no detectors")
	}
	for _, f := range []*Flow{
		run([]pk{{false, S, 100, 0, "", 0, 64, 1, 0}, {true, RA, 0, 101, "", msec, 60, 0, 0}}),
		run([]pk{{false, S, 100, 0, "", 0, 64, 1, 0}, {true, SA, 500, 101, "", msec, 63, 0, 0},
			{false, A, 101, 501, "", 2 * msec, 64, 2, 0}, {false, PA, 101, 501, "GET / HTTP/1.1\r\n", 3 * msec, 64, 3, 0}}),
	} {
		if len(f.Findings) == 0 {
			t.Errorf("no finding for %v", f.Resets)
		}
		for _, fd := range f.Findings {
			if fd.ID >= numFindings || fd.ID.Entry().Name == "unknown" {
				t.Errorf("finding ID %d is not in the catalog", fd.ID)
			}
		}
	}
}

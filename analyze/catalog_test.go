package analyze

import (
	"os"
	"regexp"
	"testing"
)

// The catalog is the one source of truth for findings: every entry sits at
// its rank, has advice, and docs/findings.md's table lists exactly the
// catalog's IDs in rank order.
func TestCatalogMatchesREADME(t *testing.T) {
	readme, err := os.ReadFile("../docs/findings.md")
	if err != nil {
		t.Fatal(err)
	}
	sec := regexp.MustCompile("(?s)\n## Findings\n(.*?)(?:\n## |$)").FindSubmatch(readme)
	if sec == nil {
		t.Fatal("docs/findings.md has no Findings section")
	}
	var listed []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z0-9-]+)` \\|").FindAllSubmatch(sec[1], -1) {
		listed = append(listed, string(m[1]))
	}
	cat := Catalog()
	if len(cat) != int(numFindings) {
		t.Fatalf("catalog has %d entries, %d IDs", len(cat), numFindings)
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
		if i >= len(listed) || listed[i] != e.Name {
			t.Errorf("docs/findings.md's table row %d is not %s (rows: %v)", i+1, e.Name, listed)
		}
	}
	if len(listed) != len(cat) {
		t.Errorf("docs/findings.md lists %d findings, the catalog %d", len(listed), len(cat))
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

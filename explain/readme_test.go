package explain

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeReleases ties docs/explain.md's table of messages to the catalog:
// every pattern's release range is written there.
func TestReadmeReleases(t *testing.T) {
	b, err := os.ReadFile("../docs/explain.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	rel := func(tag string) string {
		s := strings.Replace(strings.TrimPrefix(tag, "V_"), "_P", "p", 1)
		return strings.Replace(s, "_", ".", 1)
	}
	for _, p := range Catalog {
		r := rel(p.First) + "-" + rel(p.Last)
		if p.Verbose {
			r += " with -v only"
		}
		if !strings.Contains(readme, r) {
			t.Errorf("docs/explain.md lacks %s's releases %q", p.Kind, r)
		}
	}
}

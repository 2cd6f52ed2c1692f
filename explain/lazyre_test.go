package explain

import (
	"regexp"
	"testing"
)

// TestCatalogCompiles compiles every pattern, as they are compiled on
// first use (a typo would otherwise panic only when a line reaches it),
// and checks the lazy pattern answers as the compiled one.
func TestCatalogCompiles(t *testing.T) {
	var all []*Regexp
	for _, p := range Catalog {
		all = append(all, p.Re)
	}
	for _, ls := range [][]StageLine{StageLines, muxLines, preBannerLines, {knownHostLine}} {
		for _, l := range ls {
			all = append(all, l.Re)
		}
	}
	line := "kex_exchange_identification: read: Connection reset by peer"
	for _, r := range all {
		want, err := regexp.Compile(r.String())
		if err != nil {
			t.Fatalf("%q: %v", r, err)
		}
		if r.MatchString(line) != want.MatchString(line) || len(r.SubexpNames()) != len(want.SubexpNames()) ||
			len(r.FindStringSubmatch(line)) != len(want.FindStringSubmatch(line)) {
			t.Errorf("%q answers unlike its compiled pattern", r)
		}
	}
}

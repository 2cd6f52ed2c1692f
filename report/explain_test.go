package report

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// TestHostName holds the hand-written host name check to the regular
// expression it replaced, on edge cases and random strings over the
// bytes that matter (letters, digits, dots, hyphens and a few others),
// lengths 0 to 260.
func TestHostName(t *testing.T) {
	want := regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$`)
	cases := []string{"", "a", "-a", ".a", "a-", "a.", "host.example.org", "x_y", "a b", "a\n", "é",
		strings.Repeat("a", 253), strings.Repeat("a", 254), "a" + strings.Repeat("-", 252), "1.2.3.4"}
	const alphabet = "aZ09.-_ \n\x00\xff:["
	r := rand.New(rand.NewPCG(28, 2))
	for range 20000 {
		b := make([]byte, r.IntN(261))
		for i := range b {
			if r.IntN(8) == 0 {
				b[i] = alphabet[r.IntN(len(alphabet))]
			} else {
				b[i] = alphabet[r.IntN(6)]
			}
		}
		cases = append(cases, string(b))
	}
	for _, h := range cases {
		if got, w := hostName(h), want.MatchString(h); got != w {
			t.Fatalf("hostName(%q) = %v, the regular expression says %v", h, got, w)
		}
	}
}

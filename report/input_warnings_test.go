package report

import (
	"errors"
	"slices"
	"testing"
)

// Each skip an input met is one warning, in a fixed order, in words that
// say what the results do not cover.
func TestInputWarnings(t *testing.T) {
	got := InputWarnings(InputSkips{
		Interrupted: true,
		Damaged:     &InputDamage{Frame: 8, Offset: 1234, Err: errors.New("unexpected EOF")},
		Undecodable: 2, FirstBad: 5,
		Unsupported: map[uint16]int{276: 1, 105: 3},
		Evicted:     1,
	})
	want := []string{
		"interrupted: results cover the packets read so far",
		"capture damaged or cut short after 7 packets (byte 1234): unexpected EOF; results cover the packets before it",
		"2 frames could not be decoded (truncated or malformed headers), first at frame 5",
		"3 frames of unsupported link type 105 skipped",
		"1 frame of unsupported link type 276 skipped",
		"1 connection reported early: more than --max-flows were open at once",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
	if w := InputWarnings(InputSkips{}); len(w) != 0 {
		t.Errorf("nothing skipped, yet %q", w)
	}
}

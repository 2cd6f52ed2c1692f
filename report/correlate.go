package report

import (
	"github.com/rstsniff/rstsniff/correlate"
)

// Correlation is what rstsniff --correlate shows: two captures of the same
// connections compared (Result, nil with one capture), and the jump-host
// legs found in each capture. The report only reads it.
type Correlation struct {
	Result *correlate.Result
	Jumps  []CaptureJumps
	Inputs []Input
	// All lists every matched connection, not only those where something
	// happened; Limit bounds the list (the rest are counted).
	All   bool
	Limit int
}

// CaptureJumps are the jump-host legs found in one capture.
type CaptureJumps struct {
	Capture string
	Jumps   []correlate.Jump
}

// Abnormal reports whether anything went wrong on the path or on a leg.
func (c *Correlation) Abnormal() bool {
	if c.Result != nil && c.Result.Abnormal() {
		return true
	}
	for _, cj := range c.Jumps {
		for _, j := range cj.Jumps {
			if j.Failed[0] || j.Failed[1] {
				return true
			}
		}
	}
	return false
}

// shown returns the matched connections listed, and a sentence on those
// that are not (empty when none are left out).
func (c *Correlation) shown() ([]int, string) {
	limit := c.Limit
	if limit <= 0 {
		limit = 1000
	}
	idx, over := shownPairs(c.Result, c.All, limit)
	quiet := len(c.Result.Pairs) - len(idx) - over
	return idx, restText(quiet, over, limit)
}

func (c *Correlation) warnings() []string {
	var w []string
	for _, in := range c.Inputs {
		for _, x := range in.Warnings {
			w = append(w, in.Name+": "+x)
		}
	}
	return w
}

func jumpCount(c *Correlation) int {
	n := 0
	for _, cj := range c.Jumps {
		n += len(cj.Jumps)
	}
	return n
}

// pairNotable reports whether a matched connection is worth a section:
// something happened on the path, a reset was sent, or either end saw it
// end abnormally.
func pairNotable(p *correlate.Pair) bool {
	return len(p.Findings) > 0 || len(p.Resets) > 0 || p.Flows[0].Notable() || p.Flows[1].Notable()
}

// shownPairs are the matched connections a report lists: the notable ones
// (or all), at most limit; it also returns how many it left out.
func shownPairs(r *correlate.Result, all bool, limit int) ([]int, int) {
	var idx []int
	left := 0
	for i, p := range r.Pairs {
		switch {
		case !all && !pairNotable(p):
		case len(idx) < limit:
			idx = append(idx, i)
		default:
			left++
		}
	}
	return idx, left
}

package report

import (
	"fmt"
	"maps"
	"slices"
)

// FrameWarnings words what a run skipped (an Input's Warnings): the
// undecodable frames, the first at frame first, and the frames of link
// types rstsniff does not read, counted by link type.
func FrameWarnings(undecodable, first int, unsupported map[uint16]int) []string {
	var w []string
	if undecodable > 0 {
		w = append(w, fmt.Sprintf("%d frame%s could not be decoded (truncated or malformed headers), first at frame %d", undecodable, plural(undecodable), first))
	}
	for _, lt := range slices.Sorted(maps.Keys(unsupported)) {
		n := unsupported[lt]
		w = append(w, fmt.Sprintf("%d frame%s of unsupported link type %d skipped", n, plural(n), lt))
	}
	return w
}

// EvictedWarning says that n connections were reported early because more
// than --max-flows were open at once.
func EvictedWarning(n int) string {
	return fmt.Sprintf("%d connection%s reported early: more than --max-flows were open at once", n, plural(n))
}

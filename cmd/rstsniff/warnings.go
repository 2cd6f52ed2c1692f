package main

import (
	"fmt"
	"maps"
	"slices"

	"github.com/rstsniff/rstsniff/pipeline"
)

// frameWarnings words what a run skipped: frames that could not be decoded
// and frames of link types rstsniff does not read.
func frameWarnings(st pipeline.Stats) []string {
	var w []string
	if st.Undecodable > 0 {
		w = append(w, fmt.Sprintf("%d frame%s could not be decoded (truncated or malformed headers), first at frame %d", st.Undecodable, plural(st.Undecodable), st.FirstUndecodable))
	}
	for _, lt := range slices.Sorted(maps.Keys(st.Unsupported)) {
		n := st.Unsupported[lt]
		w = append(w, fmt.Sprintf("%d frame%s of unsupported link type %d skipped", n, plural(n), lt))
	}
	return w
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

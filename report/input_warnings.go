package report

import (
	"fmt"
	"maps"
	"slices"
)

// InputSkips are what reading one input met that its results do not
// cover, as facts (ingest fills them from the pipeline's Stats and the
// analyzer); InputWarnings words them.
type InputSkips struct {
	Interrupted bool           // the run was stopped before the input ended
	Damaged     *InputDamage   // the read error that ended the input early
	Undecodable int            // frames with truncated or malformed headers
	FirstBad    int            // the first of them
	Unsupported map[uint16]int // frames skipped, by link type
	Evicted     int            // connections reported early (more than --max-flows open)
	// Fragments are fragmented IP packets of TCP or a tunnel that could not
	// be put back together; FirstFragment is the frame of the earliest's
	// first fragment.
	Fragments, FirstFragment int
}

// InputDamage is where a damaged or cut capture stopped being readable.
type InputDamage struct {
	Frame  int   // the frame that could not be read (1-based)
	Offset int64 // its byte offset
	Err    error
}

// InputWarnings words an input's skips, in this order: interrupted,
// damaged, undecodable frames, fragments, unsupported link types, early
// reports.
func InputWarnings(s InputSkips) []string {
	var w []string
	if s.Interrupted {
		w = append(w, "interrupted: results cover the packets read so far")
	}
	if d := s.Damaged; d != nil {
		w = append(w, fmt.Sprintf("capture damaged or cut short after %d packets (byte %d): %v; results cover the packets before it", d.Frame-1, d.Offset, d.Err))
	}
	if s.Undecodable > 0 {
		w = append(w, fmt.Sprintf("%d frame%s could not be decoded (truncated or malformed headers), first at frame %d", s.Undecodable, plural(s.Undecodable), s.FirstBad))
	}
	if n := s.Fragments; n > 0 {
		w = append(w, fmt.Sprintf("%d fragmented IP packet%s of TCP or a tunnel could not be put back together (fragments missing or more than 30 s apart), the first from frame %d: the connections they carried may show gaps", n, plural(n), s.FirstFragment))
	}
	for _, lt := range slices.Sorted(maps.Keys(s.Unsupported)) {
		n := s.Unsupported[lt]
		w = append(w, fmt.Sprintf("%d frame%s of unsupported link type %d skipped", n, plural(n), lt))
	}
	if n := s.Evicted; n > 0 {
		w = append(w, fmt.Sprintf("%d connection%s reported early: more than --max-flows were open at once", n, plural(n)))
	}
	return w
}

package pipeline

import "github.com/rstsniff/rstsniff/capture"

// heldFragments keeps copies of the frames of fragments the Reassembler
// holds, while a Recorder is on: when their packet is whole and belongs to
// a followed connection, every fragment's frame is recorded, not only the
// last, so the evidence capture puts the packet back together too.
type heldFragments struct {
	frames map[int]heldFrame
	order  []int // frame numbers as kept, oldest first
}

type heldFrame struct {
	data []byte
	ci   capture.Info
}

// maxHeldFragments bounds the copies kept: the Reassembler's own bound of
// packets held at once, times a few fragments each.
const maxHeldFragments = 1024

// keep copies frame n while its packet is not whole (err is the
// Reassembler's), and forgets the parts of a packet made whole that no
// followed connection will record.
func (h *heldFragments) keep(err error, n int, data []byte, ci *capture.Info, parts []int) {
	if err != nil && parts == nil { // still held
		if h.frames == nil {
			h.frames = map[int]heldFrame{}
		}
		h.frames[n] = heldFrame{append([]byte(nil), data...), *ci}
		h.order = append(h.order, n)
		if len(h.order) > maxHeldFragments {
			delete(h.frames, h.order[0])
			h.order = h.order[1:]
		}
		return
	}
	if err != nil { // whole, but not TCP: nothing to record
		h.forget(parts)
	}
}

// record adds the kept frames of parts (but the last, the caller's own
// frame) to followed connection c's recording (none when c is 0), and
// forgets them.
func (h *heldFragments) record(ev Recorder, c uint64, parts []int) {
	for _, n := range parts[:max(len(parts)-1, 0)] {
		if f, ok := h.frames[n]; ok && c != 0 {
			ev.Add(c, f.data, f.ci)
		}
	}
	h.forget(parts)
}

func (h *heldFragments) forget(parts []int) {
	for _, n := range parts {
		delete(h.frames, n)
	}
}

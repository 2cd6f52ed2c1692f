package pipeline

import (
	"errors"
	"testing"

	"github.com/rstsniff/rstsniff/capture"
)

// The copies kept while fragments are held are bounded, the oldest going
// first; a packet made whole records its earlier fragments for a followed
// connection and forgets them either way.
func TestHeldFragments(t *testing.T) {
	var h heldFragments
	held := errors.New("held") // what the Reassembler returns while a packet is not whole
	ci := &capture.Info{}
	for n := 1; n <= maxHeldFragments+10; n++ {
		h.keep(held, n, []byte{byte(n)}, ci, nil)
	}
	if _, ok := h.frames[10]; len(h.frames) != maxHeldFragments || ok {
		t.Errorf("%d copies kept, frame 10 among them: %v", len(h.frames), ok)
	}
	ev := &noRecorder{}
	h.record(ev, 7, []int{500, 501, 502}) // 502 is the caller's own frame
	if ev.added != 2 {
		t.Errorf("%d frames recorded, want the 2 before the last", ev.added)
	}
	h.record(ev, 0, []int{600, 601}) // not followed: nothing recorded
	h.keep(errors.New("not TCP"), 700, nil, ci, []int{699, 700})
	for _, n := range []int{500, 501, 600, 699} {
		if _, ok := h.frames[n]; ok {
			t.Errorf("frame %d still kept", n)
		}
	}
	if ev.added != 2 {
		t.Errorf("%d frames recorded, want 2", ev.added)
	}
}

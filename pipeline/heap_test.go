package pipeline

import (
	"math/rand"
	"slices"
	"testing"
)

// The verdicts' heap gives flows back in order of first packet, whatever
// the order they were pushed in and however pushes and pops interleave.
func TestFlowHeap(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	var h flowHeap
	var ref []int
	next := 0
	for op := range 100000 {
		if len(h) == 0 || rng.Intn(3) > 0 {
			first := rng.Intn(1 << 20)
			h.push(pendingFlow{first: first})
			ref = append(ref, first)
			continue
		}
		slices.Sort(ref)
		got := h.pop().first
		if got != ref[0] {
			t.Fatalf("op %d: popped %d, want %d", op, got, ref[0])
		}
		ref = ref[1:]
		next++
	}
	if len(h) != len(ref) || next == 0 {
		t.Fatalf("%d left, want %d", len(h), len(ref))
	}
}

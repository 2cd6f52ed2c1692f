package record

import (
	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/pipeline"
)

// Held is a Writer whose connections' packets are held when the pipeline
// hands them over, until the caller knows whether each is to be written
// (Keep) or not (Drop): rstsniff run keeps only the command's own
// connections, known once the command has ended. Its methods work on a
// nil *Held (no -w): Keep and Drop do nothing.
type Held struct {
	*Writer
}

var _ pipeline.Recorder = (*Held)(nil)

// Done holds the packets: Keep or Drop decides later.
func (h *Held) Done(*analyze.Flow) error { return nil }

// Keep writes f's packets if it ended abnormally, as Writer.Done.
func (h *Held) Keep(f *analyze.Flow) error {
	if h == nil {
		return nil
	}
	return h.Writer.Done(f)
}

// Drop forgets f's packets unwritten.
func (h *Held) Drop(f *analyze.Flow) {
	if h == nil {
		return
	}
	h.Writer.forget(f)
}

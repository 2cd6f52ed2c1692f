package main

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"

	"github.com/rstsniff/rstsniff/capture"
)

// direct reads a source one ReadFrame at a time: what the other
// iterators must match.
type direct struct{ src capture.Source }

func (d direct) next(f *capture.Frame) error {
	var err error
	f.Data, f.Info, err = d.src.ReadFrame()
	return err
}

func (d direct) stop() {}

// Reading ahead in a goroutine and reading in place give the same frames
// as reading directly, and the same error at a cut.
func TestFrameIterators(t *testing.T) {
	// The lab's lossy transfer 30 times over: batches fill by count and by
	// bytes (its frames run to 64 KB).
	frames := readFrames(t, "../../testdata/pcaps/lossy-transfer/capture.pcap")
	var all []tframe
	for range 30 {
		all = append(all, frames...)
	}
	b := encodePcap(all, binary.LittleEndian, false, frames[0].link, 262144)
	for _, cut := range []int{len(b), len(b) - 100, len(b) / 2, 5000} {
		collect := func(it frameIter) ([][]byte, error) {
			defer it.stop()
			var out [][]byte
			for {
				var f capture.Frame
				if err := it.next(&f); err != nil {
					return out, err
				}
				out = append(out, bytes.Clone(f.Data))
			}
		}
		open := func() capture.Source {
			s, err := capture.NewReader("x", bytes.NewReader(b[:cut]))
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		d, derr := collect(direct{open()})
		for name, it := range map[string]frameIter{"ahead": readAhead(open()), "in place": inPlace{open().(capture.FrameReader)}} {
			a, aerr := collect(it)
			if len(d) != len(a) || (derr == io.EOF) != (aerr == io.EOF) || derr.Error() != aerr.Error() {
				t.Fatalf("cut at %d: direct %d frames, %v; %s %d frames, %v", cut, len(d), derr, name, len(a), aerr)
			}
			for i := range d {
				if !bytes.Equal(d[i], a[i]) {
					t.Fatalf("cut at %d: %s: frame %d differs", cut, name, i+1)
				}
			}
		}
		if cut == len(b) && (derr != io.EOF || len(d) != len(all)) {
			t.Fatalf("whole file: %d frames, %v", len(d), derr)
		}
	}
}

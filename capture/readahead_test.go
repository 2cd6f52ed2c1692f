package capture

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"
)

// direct reads a source one ReadFrame at a time: what the other ways of
// reading must match.
func direct(s Source) ([][]byte, error) {
	defer s.Close()
	var out [][]byte
	for {
		data, _, err := s.ReadFrame()
		if err != nil {
			return out, err
		}
		out = append(out, bytes.Clone(data))
	}
}

// filled reads a source one ReadFrameTo at a time.
func filled(s Source) ([][]byte, error) {
	defer s.Close()
	r := s.(FrameReader)
	var out [][]byte
	for {
		var f Frame
		if err := r.ReadFrameTo(&f); err != nil {
			return out, err
		}
		out = append(out, bytes.Clone(f.Data))
	}
}

// Reading ahead in a goroutine and reading in place give the same frames
// as reading directly, and the same error at a cut.
func TestReadAhead(t *testing.T) {
	// The lab's lossy transfer 30 times over: batches fill by count and by
	// bytes (its frames run to 64 KB).
	frames := labFrames(t, "lossy-transfer")
	var all []frame
	for range 30 {
		all = append(all, frames...)
	}
	b := encodePcap(all, binary.LittleEndian, false, frames[0].link)
	for _, cut := range []int{len(b), len(b) - 100, len(b) / 2, 5000} {
		open := func() Source {
			s, err := NewReader("x", bytes.NewReader(b[:cut]))
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		d, derr := direct(open())
		ways := map[string]func() ([][]byte, error){
			"ahead, ReadFrameTo": func() ([][]byte, error) { return filled(newAhead(open())) },
			"ahead, ReadFrame":   func() ([][]byte, error) { return direct(newAhead(open())) },
			"in place":           func() ([][]byte, error) { return filled(open()) },
			"ReadAhead":          func() ([][]byte, error) { return direct(ReadAhead(open())) },
		}
		for name, read := range ways {
			a, aerr := read()
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

// Closing a source read ahead before its end stops the goroutine and
// closes the source underneath; closing again does nothing.
func TestReadAheadClose(t *testing.T) {
	frames := labFrames(t, "clean")
	b := encodePcap(frames, binary.LittleEndian, false, frames[0].link)
	s, err := NewReader("x", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	a := newAhead(s)
	if _, _, err := a.ReadFrame(); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if a.Format() != s.Format() {
		t.Fatalf("format %q, want %q", a.Format(), s.Format())
	}
}

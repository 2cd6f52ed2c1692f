package capture

import (
	"runtime"
)

// ReadAhead returns a Source that reads src ahead in a goroutine when there
// is a second core to run it on (reading, copying and parsing the records
// is a sixth of the work of a whole run), or src itself when there is not
// or when src reads ahead on its own (classic pcap files do, without
// copying). Every capture file is a FrameReader; another source is always
// read ahead, so ReadAhead is for sources that end, not for a live capture
// whose ReadFrame times out.
//
// Closing the returned Source stops the goroutine and closes src. Frames
// are valid until the next read, as with any Source. Ownership: the
// goroutine alone calls src.ReadFrame until Close; the caller reads batches
// it has finished with and hands them back.
func ReadAhead(src Source) Source {
	_, filled := src.(FrameReader)
	r, ok := src.(interface{ ReadsAhead() bool })
	if filled && (runtime.GOMAXPROCS(0) == 1 || ok && r.ReadsAhead()) {
		return src
	}
	return newAhead(src)
}

// Frames travel in batches copied into one buffer each, and batches are
// recycled.
type frameRef struct {
	off, n int
	ci     Info
}

type aheadBatch struct {
	buf    []byte
	frames []frameRef
	err    error // the read error after the frames (io.EOF at the end)
}

const (
	batchFrames = 1024
	batchBytes  = 1 << 20
	batchesLive = 4
)

// ahead is a Source read ahead by a goroutine.
type ahead struct {
	src        Source
	full, free chan *aheadBatch
	quit       chan struct{}
	b          *aheadBatch
	i          int
	closed     bool
}

var (
	_ Source      = (*ahead)(nil)
	_ FrameReader = (*ahead)(nil)
)

// newAhead reads src in a goroutine until an error (io.EOF included) or
// until Close.
func newAhead(src Source) *ahead {
	a := &ahead{src: src, full: make(chan *aheadBatch, batchesLive), free: make(chan *aheadBatch, batchesLive), quit: make(chan struct{})}
	for range batchesLive {
		a.free <- &aheadBatch{buf: make([]byte, 0, batchBytes+64<<10), frames: make([]frameRef, 0, batchFrames)}
	}
	go func() {
		defer close(a.full)
		for {
			var b *aheadBatch
			select {
			case b = <-a.free:
			case <-a.quit:
				return
			}
			b.buf, b.frames, b.err = b.buf[:0], b.frames[:0], nil
			for len(b.frames) < batchFrames && len(b.buf) < batchBytes {
				data, ci, err := src.ReadFrame()
				if err != nil {
					b.err = err
					break
				}
				b.frames = append(b.frames, frameRef{off: len(b.buf), n: len(data), ci: ci})
				b.buf = append(b.buf, data...)
			}
			select {
			case a.full <- b:
			case <-a.quit:
				return
			}
			if b.err != nil {
				return
			}
		}
	}()
	return a
}

// ReadFrameTo reads the next frame into f, valid until the next call.
func (a *ahead) ReadFrameTo(f *Frame) error {
	for a.b == nil || a.i == len(a.b.frames) {
		if a.b != nil {
			if a.b.err != nil {
				*f = Frame{}
				return a.b.err
			}
			a.free <- a.b
		}
		a.b, a.i = <-a.full, 0
	}
	fr := &a.b.frames[a.i]
	a.i++
	f.Data, f.Info = a.b.buf[fr.off:fr.off+fr.n:fr.off+fr.n], fr.ci
	return nil
}

// ReadFrame returns the next frame, valid until the next call.
func (a *ahead) ReadFrame() ([]byte, Info, error) {
	var f Frame
	err := a.ReadFrameTo(&f)
	return f.Data, f.Info, err
}

// Format is src's.
func (a *ahead) Format() string { return a.src.Format() }

// Close stops reading ahead and closes src. It does not wait for a read
// already under way (standard input may never answer).
func (a *ahead) Close() error {
	if a.closed {
		return nil
	}
	a.closed = true
	close(a.quit)
	return a.src.Close()
}

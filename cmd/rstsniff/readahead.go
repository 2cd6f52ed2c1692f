package main

import (
	"runtime"

	"github.com/rstsniff/rstsniff/capture"
)

// frameIter yields the frames of a source into f, each valid until the
// next; stop ends it early.
type frameIter interface {
	next(f *capture.Frame) error
	stop()
}

// newFrames reads src ahead in a goroutine when there is a second core to
// run it on (reading, copying and parsing the records is a sixth of the
// work), and in place, without copying, when there is not or when src
// reads ahead itself (classic pcap files do, without copying). Every
// capture file is a FrameReader; another source is always read ahead.
func newFrames(src capture.Source) frameIter {
	fr, filled := src.(capture.FrameReader)
	r, ok := src.(interface{ ReadsAhead() bool })
	if filled && (runtime.GOMAXPROCS(0) == 1 || ok && r.ReadsAhead()) {
		return inPlace{fr}
	}
	return readAhead(src)
}

// inPlace reads from a source that fills frames itself.
type inPlace struct{ src capture.FrameReader }

func (d inPlace) next(f *capture.Frame) error { return d.src.ReadFrameTo(f) }
func (d inPlace) stop()                       {}

// Frames travel in batches copied into one buffer each, and batches are
// recycled.
type frameRef struct {
	off, n int
	ci     capture.Info
}

type batch struct {
	buf    []byte
	frames []frameRef
	err    error // the read error after the frames (io.EOF at the end)
}

const (
	batchFrames = 1024
	batchBytes  = 1 << 20
	batchesLive = 4
)

type ahead struct {
	full, free chan *batch
	quit       chan struct{}
	b          *batch
	i          int
}

// readAhead reads src in a goroutine until an error (io.EOF included) or
// until stop.
func readAhead(src capture.Source) *ahead {
	a := &ahead{full: make(chan *batch, batchesLive), free: make(chan *batch, batchesLive), quit: make(chan struct{})}
	for range batchesLive {
		a.free <- &batch{buf: make([]byte, 0, batchBytes+64<<10), frames: make([]frameRef, 0, batchFrames)}
	}
	go func() {
		defer close(a.full)
		for {
			var b *batch
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

// next reads the next frame into f, valid until the next call.
func (a *ahead) next(f *capture.Frame) error {
	for a.b == nil || a.i == len(a.b.frames) {
		if a.b != nil {
			if a.b.err != nil {
				*f = capture.Frame{}
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

func (a *ahead) stop() { close(a.quit) }

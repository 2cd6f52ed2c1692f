package main

import (
	"github.com/rstsniff/rstsniff/capture"
)

// Reading the file (syscalls, copying, the pcap headers) is a sixth of the
// work on a large capture; a goroutine does it ahead of the analysis, on
// another core when there is one. Frames travel in batches copied into one
// buffer each, and batches are recycled.

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

// readAhead reads src in a goroutine until an error (io.EOF included) or
// until stop is closed. The caller must give every batch back to free
// once done with its frames, and close stop when it reads no more.
func readAhead(src capture.Source, stop <-chan struct{}) (full <-chan *batch, free chan<- *batch) {
	fullc := make(chan *batch, batchesLive)
	freec := make(chan *batch, batchesLive)
	for range batchesLive {
		freec <- &batch{buf: make([]byte, 0, batchBytes+64<<10), frames: make([]frameRef, 0, batchFrames)}
	}
	go func() {
		defer close(fullc)
		for {
			var b *batch
			select {
			case b = <-freec:
			case <-stop:
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
			case fullc <- b:
			case <-stop:
				return
			}
			if b.err != nil {
				return
			}
		}
	}()
	return fullc, freec
}

// Package lines writes judged flows as lines (JSON, ECS) from a goroutine
// of its own, so that encoding them (a tenth of a large run) is done on
// another core than the analysis. The encoding is the caller's (package
// report's encoders); this package only orders, buffers and flushes.
package lines

import (
	"bufio"
	"io"

	"github.com/rstsniff/rstsniff/analyze"
)

// Writer writes flows in the order they are sent, and flushes whenever no
// other flow is waiting, so a slow trickle of connections (a pipe from
// tcpdump) still shows each as it ends. Its goroutine owns the buffered
// writer on w until Close. The zero value is invalid: construct it with
// Start. Send and Close are called from one goroutine at a time.
type Writer struct {
	ch   chan *analyze.Flow
	done chan error
}

// queue bounds the judged flows waiting for their lines (each holds
// its resets and findings): enough for the writer to flush in large
// writes, few enough that a slow output does not pile flows up in memory
// (1,024 cost 8 MB more at the failing mix's peak; measurement).
const queue = 128

// Start writes each flow sent with encode(w, f, multi), on a goroutine of
// its own. After the first error it encodes nothing more (Close returns
// the error).
func Start(w io.Writer, multi bool, encode func(io.Writer, *analyze.Flow, bool) error) *Writer {
	l := &Writer{ch: make(chan *analyze.Flow, queue), done: make(chan error, 1)}
	go func() {
		bw := bufio.NewWriterSize(w, 64<<10)
		var err error
		for f := range l.ch {
			if err == nil {
				err = encode(bw, f, multi)
			}
			if err == nil && len(l.ch) == 0 {
				err = bw.Flush()
			}
		}
		if err == nil {
			err = bw.Flush()
		}
		l.done <- err
	}()
	return l
}

// Send hands a flow to the writer; it waits while the queue is full.
func (l *Writer) Send(f *analyze.Flow) { l.ch <- f }

// Close waits for every line to be written and returns the first error.
func (l *Writer) Close() error {
	close(l.ch)
	return <-l.done
}

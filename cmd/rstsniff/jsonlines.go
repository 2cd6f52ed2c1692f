package main

import (
	"bufio"
	"io"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/report"
)

// jsonLines writes flows as JSON lines from a goroutine of its own, so that
// encoding them (a tenth of a large run) is done on another core than the
// analysis. Lines are written in the order flows are sent, and flushed
// whenever no other flow is waiting, so a slow trickle of connections
// (a pipe from tcpdump) still shows each as it ends.
type jsonLines struct {
	ch   chan *analyze.Flow
	done chan error
}

func startJSONLines(w io.Writer, multi bool) *jsonLines {
	return startLines(w, multi, report.JSONFlow)
}

// startECSLines is the same for --format ecs: each flow as ECS documents.
func startECSLines(w io.Writer, multi bool) *jsonLines {
	return startLines(w, multi, report.ECS)
}

// linesQueue bounds the judged flows waiting for their lines (each holds
// its resets and findings): enough for the writer to flush in large
// writes, few enough that a slow output does not pile flows up in memory
// (1,024 cost 8 MB more at the failing mix's peak; measurement).
const linesQueue = 128

// startLines writes each flow sent with encode, on a goroutine of its own.
func startLines(w io.Writer, multi bool, encode func(io.Writer, *analyze.Flow, bool) error) *jsonLines {
	l := &jsonLines{ch: make(chan *analyze.Flow, linesQueue), done: make(chan error, 1)}
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

// close waits for every line to be written and returns the first error.
func (l *jsonLines) close() error {
	close(l.ch)
	return <-l.done
}

package main

import (
	"bufio"
	"io"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/report"
)

// startECSLines is startJSONLines for --format ecs: the same goroutine and
// flushing, writing each flow as ECS documents (report.ECS).
func startECSLines(w io.Writer, multi bool) *jsonLines {
	l := &jsonLines{ch: make(chan *analyze.Flow, 1024), done: make(chan error, 1)}
	go func() {
		bw := bufio.NewWriterSize(w, 64<<10)
		var err error
		for f := range l.ch {
			if err == nil {
				err = report.ECS(bw, f, multi)
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

package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/rstsniff/rstsniff/capture"
	"github.com/rstsniff/rstsniff/report"
)

// progressMin is the input size from which reading shows a progress bar.
const progressMin = 100 << 20

// progress draws "name: 120 of 600 MB (20%), 310 MB/s, 1.6 s left" on a
// terminal's stderr while a large file is read. It draws nothing when stderr
// is not a terminal or the input is small.
type progress struct {
	stop chan struct{}
	done sync.WaitGroup
}

func startProgress(stderr io.Writer, name string, src capture.Source) *progress {
	f, ok := stderr.(*os.File)
	p, canTell := src.(capture.Progress)
	if !ok || !canTell || !isatty.IsTerminal(f.Fd()) || name == "-" {
		return nil
	}
	st, err := os.Stat(name)
	if err != nil || st.Size() < progressMin {
		return nil
	}
	total := st.Size()
	pr := &progress{stop: make(chan struct{})}
	pr.done.Add(1)
	go func() {
		defer pr.done.Done()
		start := time.Now()
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		draw := func() {
			read := p.BytesRead()
			el := time.Since(start).Seconds()
			speed := ""
			if rate := float64(read) / el; el >= 0.1 && rate > 0 {
				// Not before a tenth of a second: the first read says nothing of the rate.
				speed = fmt.Sprintf(", %.0f MB/s, %.1f s left", rate/1e6, float64(total-read)/rate)
			}
			fmt.Fprintf(f, "\r\033[K%s: %d of %d MB (%.0f%%)%s", report.Safe(name), read>>20, total>>20,
				100*float64(read)/float64(total), speed)
		}
		draw() // at once, so even a quick read shows what it is doing
		for {
			select {
			case <-pr.stop:
				fmt.Fprint(f, "\r\033[K")
				return
			case <-tick.C:
				draw()
			}
		}
	}()
	return pr
}

// Stop erases the bar.
func (pr *progress) Stop() {
	if pr == nil {
		return
	}
	close(pr.stop)
	pr.done.Wait()
}

package term

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/mattn/go-isatty"
)

// progressMin is the input size from which reading shows a progress bar.
const progressMin = 100 << 20

// Progress draws "name: 120 of 600 MB (20%), 310 MB/s, 1.6 s left" on a
// terminal's stderr while a large file is read, on a goroutine of its own
// that owns the line until Stop. A nil *Progress draws nothing.
type Progress struct {
	stop chan struct{}
	done sync.WaitGroup
}

// StartProgress starts the bar of the file path as it is read from src
// (which says how far through capture.Progress's BytesRead), labelled
// label (escaped by the caller). It draws nothing, and returns nil, when
// stderr is not a terminal, src cannot say, path is standard input ("-")
// or the file is small.
func StartProgress(stderr io.Writer, path, label string, src any) *Progress {
	f, ok := stderr.(*os.File)
	p, canTell := src.(interface{ BytesRead() int64 })
	if !ok || !canTell || !isatty.IsTerminal(f.Fd()) || path == "-" {
		return nil
	}
	st, err := os.Stat(path)
	if err != nil || st.Size() < progressMin {
		return nil
	}
	total := st.Size()
	pr := &Progress{stop: make(chan struct{})}
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
			fmt.Fprintf(f, "\r\033[K%s: %d of %d MB (%.0f%%)%s", label, read>>20, total>>20,
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
func (pr *Progress) Stop() {
	if pr == nil {
		return
	}
	close(pr.stop)
	pr.done.Wait()
}

package ingest

import (
	"context"
	"sync"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/capture/live"
	"github.com/rstsniff/rstsniff/pipeline"
	"github.com/rstsniff/rstsniff/pipeline/record"
	"github.com/rstsniff/rstsniff/report"
)

// Background is a live capture judged on a goroutine of its own while
// something else runs (rstsniff run's command): the pipeline by the wall
// clock, every connection kept (the caller picks its own once it has
// ended), each passed to each as it is judged (the kernel witness's
// join). The goroutine owns the flows it keeps until Stop waits for it.
type Background struct {
	src    *live.Source
	rec    *record.Held
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	flows  []*analyze.Flow
	in     report.Input
	err    error
}

// StartBackground judges src (opened on iface) with c's analyzer; rec
// (nil: none) holds -w's packets until the caller keeps or drops each
// flow; each (nil: none) is called with every flow on the goroutine.
func StartBackground(c *Config, src *live.Source, iface string, rec *record.Held, each func(*analyze.Flow)) *Background {
	b := &Background{src: src, rec: rec, done: make(chan struct{}), in: report.Input{Name: iface, Format: src.Format()}}
	cfg := pipeline.Config{Analyzer: c.Analyzer(iface, 0), MaxFlows: c.MaxFlows}
	if rec != nil {
		cfg.Recorder = rec
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	go func() {
		defer close(b.done)
		st, err := pipeline.Run(ctx, live.Frames(src, iface, nil), cfg, pipeline.WallClock(), func(f *analyze.Flow) error {
			if each != nil {
				each(f)
			}
			b.mu.Lock()
			b.flows = append(b.flows, f)
			b.mu.Unlock()
			return nil
		})
		b.in.Frames, b.in.Start, b.in.End, b.in.Tunnelled = st.Frames, st.Start, st.End, st.Tunnelled
		b.err = err
	}()
	return b
}

// Stop ends the capture, closes its source and returns every connection
// it saw.
func (b *Background) Stop() ([]*analyze.Flow, error) {
	b.cancel()
	<-b.done
	b.src.Close()
	return b.flows, b.err
}

// Input is the capture as report names it; read it after Stop.
func (b *Background) Input() report.Input { return b.in }

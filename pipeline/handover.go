package pipeline

import (
	"github.com/rstsniff/rstsniff/analyze"
)

// handOver gives the verdicts on the batches of ended connections the
// analyzer collects, tells the recorder, and passes the flows to the sink:
// in order of first packet when ordered, else as judged. With async it
// runs on a goroutine of its own (judging and the sink's output are a
// third of the work on a failure-heavy capture), which then alone calls
// Judge, the recorder's Done and the sink.
type handOver struct {
	a       *analyze.Analyzer
	ev      Recorder
	sink    Sink
	ordered bool
	pending flowHeap
	jobs    chan judgeJob
	done    chan error
	failed  chan error // async: the first error, as soon as it happens
	closed  bool
	err     error
}

type judgeJob struct {
	b      *analyze.Batch
	oldest int // first frame of the earliest connection still open (0: none)
}

func newHandOver(a *analyze.Analyzer, ev Recorder, sink Sink, ordered, async bool) *handOver {
	h := &handOver{a: a, ev: ev, sink: sink, ordered: ordered}
	if async {
		h.jobs, h.done, h.failed = make(chan judgeJob, judgeQueue), make(chan error, 1), make(chan error, 1)
		go func() {
			var err error
			for j := range h.jobs {
				if err == nil {
					if err = h.judge(j); err != nil {
						h.failed <- err
					}
				}
			}
			h.done <- err
		}()
	}
	return h
}

// submit passes a batch on. An error from an earlier batch comes back from
// the next submit after it happened (a live capture whose output closed
// stops then, not when the capture ends), or from close.
func (h *handOver) submit(b *analyze.Batch, oldest int) error {
	if h.jobs == nil {
		return h.judge(judgeJob{b, oldest})
	}
	select {
	case err := <-h.failed:
		return err
	default:
	}
	h.jobs <- judgeJob{b, oldest}
	return nil
}

func (h *handOver) judge(j judgeJob) error {
	flows := h.a.Judge(j.b)
	var evErr error
	if h.ev != nil {
		for _, f := range flows {
			if evErr = h.ev.Done(f); evErr != nil {
				break
			}
		}
	}
	if !h.ordered {
		// Live: each flow as soon as it is known, even when the recorder
		// file failed (its error comes after).
		for _, f := range flows {
			if err := h.sink(f); err != nil {
				return err
			}
		}
		return evErr
	}
	for _, f := range flows {
		h.pending.push(pendingFlow{f.FirstPacket, f})
	}
	if evErr != nil {
		return evErr
	}
	// Handed-over flows wait until every earlier-starting connection is
	// out, then go to the sink in order of first packet. A connection open
	// for hours would hold back every later one: past maxPending the
	// earliest go out anyway, and the order bends there.
	for len(h.pending) > 0 && (j.oldest == 0 || h.pending[0].first < j.oldest || len(h.pending) > maxPending) {
		if err := h.sink(h.pending.pop().f); err != nil {
			return err
		}
	}
	return nil
}

// close waits for every batch to be judged and returns the first error.
func (h *handOver) close() error {
	if h.jobs == nil || h.closed {
		return h.err
	}
	h.closed = true
	close(h.jobs)
	h.err = <-h.done
	return h.err
}

// maxPending bounds the flows waiting for an earlier one to be reported
// (measurement: about 3 KB each with their resets and findings, 30 MB;
// on the benchmark's failing mix a SYN nobody answers holds back some
// 90 s of connections, and this many wait behind it).
const maxPending = 10000

// judgeQueue bounds the batches collected but not yet judged. Until judged,
// a batch holds its connections' whole state (2.6 KB each, a second of
// packet time per batch) and they are not recycled: with 16 the queue
// filled whenever the judging goroutine lost its core, and the failing
// mix peaked 40 MB higher (measurement, docs/performance.md). Two keep
// both goroutines busy.
const judgeQueue = 2

// flowHeap orders handed-over flows by first packet, kept beside each
// pointer so that comparing does not load the flows: a binary min-heap,
// written out because container/heap boxes every element it is given or
// gives back (two allocations per connection).
type flowHeap []pendingFlow

type pendingFlow struct {
	first int
	f     *analyze.Flow
}

func (h *flowHeap) push(p pendingFlow) {
	*h = append(*h, p)
	s := *h
	for i := len(s) - 1; i > 0; {
		up := (i - 1) / 2
		if s[up].first <= s[i].first {
			break
		}
		s[up], s[i] = s[i], s[up]
		i = up
	}
}

// pop takes the flow with the earliest first packet.
func (h *flowHeap) pop() pendingFlow {
	s := *h
	top := s[0]
	n := len(s) - 1
	s[0] = s[n]
	s[n] = pendingFlow{}
	s = s[:n]
	for i := 0; ; {
		least := i
		if l := 2*i + 1; l < n && s[l].first < s[least].first {
			least = l
		}
		if r := 2*i + 2; r < n && s[r].first < s[least].first {
			least = r
		}
		if least == i {
			break
		}
		s[i], s[least] = s[least], s[i]
		i = least
	}
	*h = s
	return top
}

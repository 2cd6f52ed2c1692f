package pipeline

import (
	"context"
	"errors"
	"io"
	"runtime"
	"time"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/capture"
	"github.com/rstsniff/rstsniff/decode"
)

// Sink takes each judged flow. It is called from one goroutine at a time
// (the packet loop's or the judging one's, see the package doc), never
// after Run returns; an error stops the run and comes back from Run.
type Sink func(*analyze.Flow) error

// Matcher keeps the frames a filter expression matches (live.Matcher, a
// BPF program per link type), for inputs the kernel did not filter.
type Matcher interface {
	Match(link uint16, data []byte, length int, ts time.Time) (bool, error)
}

// Recorder follows the frames of connections until their verdict (the -w
// file, package pipeline/record): Add is called on the packet loop with each frame the analyzer
// took, its data valid only during the call; Done with each flow handed
// over, before the sink sees it, from the goroutine that judges. An
// implementation shared by several runs at once must lock.
type Recorder interface {
	Add(handle uint64, data []byte, ci capture.Info)
	Done(f *analyze.Flow) error
}

// Config is what one run needs besides its source. Analyzer is required,
// MaxFlows should be set; the rest may stay zero.
type Config struct {
	// Analyzer gets every decoded segment; it belongs to the run until Run
	// returns.
	Analyzer *analyze.Analyzer
	// MaxFlows: when the analyzer holds more connections, they are
	// collected at once rather than at the next tick (the analyzer then
	// evicts the least recently active). Set it to the analyzer's
	// Config.MaxFlows: 0 here collects at every frame (as --max-flows 0
	// always has), while the analyzer reads 0 as its default.
	MaxFlows int
	// Match, when set, drops the frames it does not match before decoding.
	Match Matcher
	// Recorder, when set, is told of frames and flows (see Recorder).
	Recorder Recorder
	// Limit stops the run after that many frames; 0 reads to the end.
	Limit int
	// Tick, when set, is called on the packet loop after each periodic
	// collection (a live capture reads its drop counters then).
	Tick func()
}

// Stats are the facts of one run, for the caller to word.
type Stats struct {
	Frames     int       // frames read
	Start, End time.Time // timestamps of the first and last frames read
	// Interrupted: the context ended the run before the source did.
	Interrupted bool
	// Damaged is the read error that ended the run early, a damaged or cut
	// capture; the frames before it were analysed.
	Damaged *capture.ReadError
	// Undecodable frames had truncated or malformed headers; the first was
	// frame FirstUndecodable.
	Undecodable, FirstUndecodable int
	// Tunnelled counts the frames whose TCP segment was read inside a
	// tunnel (decode.Segment.Tunnels).
	Tunnelled int
	// Fragments counts the fragmented IP packets of TCP or a tunnel that
	// could not be put back together (decode.Reassembler); the first
	// fragment of the earliest was frame FirstFragment.
	Fragments, FirstFragment int
	// Unsupported counts the frames skipped by link type.
	Unsupported map[uint16]int
	// Filtered counts the frames Match did not keep.
	Filtered int
}

// Run reads src to its end (or to cfg.Limit frames, or until ctx ends),
// feeds every frame to cfg.Analyzer, hands over the connections that end
// as exp's clock goes by, and every one left at the end. A damaged capture
// (a *capture.ReadError) ends the run like the end of the input, with
// Stats.Damaged set. Run returns an error when the source fails otherwise,
// the filter cannot be compiled, or the sink or the recorder fails; the
// flows collected by then may not all have reached the sink. It does not
// close src.
func Run(ctx context.Context, src capture.Source, cfg Config, exp Expiry, sink Sink) (Stats, error) {
	p := &packets{a: cfg.Analyzer, ev: cfg.Recorder, match: cfg.Match, unsupported: map[uint16]int{}}
	// Judging on a goroutine of its own, files and live alike: live, the
	// packet loop then reads the kernel's buffer while verdicts are given
	// and printed, and a failure-heavy load no longer overflows it.
	async := cfg.Recorder == nil && runtime.GOMAXPROCS(0) > 1
	h := newHandOver(cfg.Analyzer, cfg.Recorder, sink, exp.ordered, async)
	defer h.close()
	st, err := p.loop(ctx, src, cfg, exp, h)
	if err != nil {
		return st, err
	}
	if err := h.submit(cfg.Analyzer.CollectAll(), 0); err != nil {
		return st, err
	}
	return st, h.close()
}

// packets is the packet loop's state: the decoder's output, the
// filter, and the frames skipped.
type packets struct {
	a                             *analyze.Analyzer
	ev                            Recorder
	match                         Matcher
	seg                           decode.Segment
	undecodable, firstUndecodable int
	frags                         decode.Reassembler
	held                          heldFragments // copies of fragments' frames while recording
	tunnelled                     int
	unsupported                   map[uint16]int
	filtered                      int
}

// stats adds the frames skipped to st.
func (p *packets) stats(st Stats) Stats {
	st.Undecodable, st.FirstUndecodable = p.undecodable, p.firstUndecodable
	st.Fragments, st.FirstFragment = p.frags.Lost()
	st.Tunnelled = p.tunnelled
	st.Unsupported, st.Filtered = p.unsupported, p.filtered
	return st
}

func (p *packets) loop(ctx context.Context, src capture.Source, cfg Config, exp Expiry, h *handOver) (Stats, error) {
	r, ok := src.(capture.FrameReader)
	if !ok {
		r = frameReader{src}
	}
	var st Stats // a local, kept off the heap for the per-frame counts
	// The next collection, Unix nanoseconds by exp's clock. Packet time
	// starts with a collection at the first packet, the wall clock one
	// tick after the start.
	var next int64
	armed := exp.wall
	if armed {
		next = time.Now().Add(exp.every).UnixNano()
	}
	var fr capture.Frame
	for {
		if cfg.Limit > 0 && st.Frames >= cfg.Limit {
			break
		}
		if st.Frames&exp.checkMask == 0 && ctx.Err() != nil {
			st.Interrupted = true
			break
		}
		err := r.ReadFrameTo(&fr)
		switch {
		case err == nil:
			st.Frames++
			if st.Start.IsZero() {
				st.Start = fr.Timestamp
			}
			st.End = fr.Timestamp
			if err := p.frame(st.Frames, &fr); err != nil {
				return p.stats(st), err
			}
		case err == io.EOF:
			return p.stats(st), nil
		case errors.Is(err, capture.ErrTimeout):
			// No packet: the wall clock still goes on.
		default:
			var re *capture.ReadError
			if errors.As(err, &re) {
				st.Damaged = re
				return p.stats(st), nil
			}
			return p.stats(st), err
		}
		var now time.Time
		switch {
		case exp.wall:
			now = time.Now()
		case err == nil:
			now = fr.Timestamp
		default:
			continue // packet time stands still without packets
		}
		// Hand over ended connections as the clock goes by, so a file and
		// a live capture judge with the same knowledge (and at once when a
		// flood fills the table past MaxFlows).
		if t := now.UnixNano(); !armed || t >= next || p.a.Open() > cfg.MaxFlows {
			b := p.a.Collect(now)
			oldest := 0 // of those still open, after Collect
			if exp.ordered {
				oldest = p.a.OldestOpen()
			}
			if err := h.submit(b, oldest); err != nil {
				return p.stats(st), err
			}
			armed, next = true, t+int64(exp.every)
			if cfg.Tick != nil {
				cfg.Tick()
			}
		}
	}
	return p.stats(st), nil
}

// frame handles frame number n; it returns an error only for a bad filter.
func (p *packets) frame(n int, f *capture.Frame) error {
	data, ci := f.Data, &f.Info
	lt := decode.LinkType(ci.LinkType)
	if !lt.Supported() {
		p.unsupported[ci.LinkType]++
		return nil
	}
	if p.match != nil {
		ok, err := p.match.Match(ci.LinkType, data, ci.Length, ci.Timestamp)
		if err != nil {
			return err
		}
		if !ok {
			p.filtered++
			return nil
		}
	}
	err := decode.Decode(data, lt, &p.seg)
	fragment := err == decode.ErrFragment
	if fragment {
		err = p.frags.Add(data, lt, n, ci.Timestamp, &p.seg)
		if p.ev != nil {
			p.held.keep(err, n, data, ci, p.frags.Parts())
		}
	}
	switch err {
	case nil:
		if p.seg.Tunnels > 0 {
			p.tunnelled++
		}
		h := p.a.Packet(n, ci.Timestamp, &p.seg)
		if p.ev != nil {
			if fragment { // the fragments before this one first
				p.held.record(p.ev, h, p.frags.Parts())
			}
			if h != 0 {
				p.ev.Add(h, data, *ci)
			}
		}
	case decode.ErrTruncated, decode.ErrMalformed:
		if p.undecodable == 0 {
			p.firstUndecodable = n
		}
		p.undecodable++
	}
	return nil
}

// frameReader fills frames from a source that only returns them.
type frameReader struct{ src capture.Source }

func (r frameReader) ReadFrameTo(f *capture.Frame) error {
	var err error
	f.Data, f.Info, err = r.src.ReadFrame()
	return err
}

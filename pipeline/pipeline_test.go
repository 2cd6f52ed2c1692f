package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/capture"
)

// frames is a Source over frames held in memory; after them it times out
// (as a live source does when no packet comes) timeouts times, or until
// stop says so, then ends.
type frames struct {
	fs       []capture.Frame
	i        int
	timeouts int
	onRead   func()      // called before each read, when set
	stop     func() bool // ends the timeouts early, when set
}

func (s *frames) ReadFrame() ([]byte, capture.Info, error) {
	if s.onRead != nil {
		s.onRead()
	}
	if s.i < len(s.fs) {
		f := s.fs[s.i]
		s.i++
		return f.Data, f.Info, nil
	}
	if s.timeouts > 0 && (s.stop == nil || !s.stop()) {
		s.timeouts--
		time.Sleep(time.Millisecond)
		return nil, capture.Info{}, capture.ErrTimeout
	}
	return nil, capture.Info{}, io.EOF
}

func (s *frames) Format() string { return "test" }
func (s *frames) Close() error   { return nil }

// labFrames reads the lab's capture of a scenario.
func labFrames(t *testing.T, name string) []capture.Frame {
	t.Helper()
	src, err := capture.Open(filepath.Join("..", "testdata", "pcaps", name, "capture.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var out []capture.Frame
	for {
		data, ci, err := src.ReadFrame()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, capture.Frame{Data: bytes.Clone(data), Info: ci})
	}
}

// merged interleaves lab captures in time, the i-th starting 300 ms after
// the one before: idle-timeout, first, is open for 6 s, while the
// connections that start after it end.
func merged(t *testing.T) []capture.Frame {
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var all []capture.Frame
	for i, name := range []string{"idle-timeout", "clean", "authfail", "refused", "reject-banner", "rate-limit",
		"maxstartups", "client-abort", "post-handshake", "any", "ipv6", "inject-both", "reject-near-server"} {
		fs := labFrames(t, name)
		shift := base.Add(time.Duration(i) * 300 * time.Millisecond).Sub(fs[0].Timestamp)
		for _, f := range fs {
			f.Timestamp = f.Timestamp.Add(shift)
			all = append(all, f)
		}
	}
	slices.SortStableFunc(all, func(a, b capture.Frame) int { return a.Timestamp.Compare(b.Timestamp) })
	return all
}

// noRecorder is a Recorder that keeps nothing; setting it makes Run judge
// on the packet loop.
type noRecorder struct{ added, done int }

func (e *noRecorder) Add(uint64, []byte, capture.Info) { e.added++ }
func (e *noRecorder) Done(*analyze.Flow) error         { e.done++; return nil }

type verdict struct {
	first, last int
	outcome     string
	stage       string
}

func runFlows(t *testing.T, src capture.Source, cfg Config, exp Expiry) ([]verdict, Stats) {
	t.Helper()
	var got []verdict
	st, err := Run(context.Background(), src, cfg, exp, func(f *analyze.Flow) error {
		got = append(got, verdict{f.FirstPacket, f.LastPacket, f.Outcome.String(), f.Stage.String()})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got, st
}

// Files: flows reach the sink in order of first packet, even those that
// ended while an earlier connection was still open, and judging on a
// goroutine of its own gives the same flows in the same order as judging
// on the packet loop.
func TestPacketTimeInOrder(t *testing.T) {
	all := merged(t)
	async, st := runFlows(t, &frames{fs: all}, Config{Analyzer: analyze.New(analyze.Config{}), MaxFlows: analyze.DefaultMaxFlows}, PacketTime())
	if st.Frames != len(all) || !st.Start.Equal(all[0].Timestamp) || !st.End.Equal(all[len(all)-1].Timestamp) {
		t.Fatalf("stats %+v, want %d frames", st, len(all))
	}
	if len(async) < 15 {
		t.Fatalf("%d flows: %v", len(async), async)
	}
	if !slices.IsSortedFunc(async, func(a, b verdict) int { return a.first - b.first }) {
		t.Errorf("not in order of first packet: %v", async)
	}
	// idle-timeout's connection, first, ended after the others began and
	// ended: they waited for it.
	if async[0].first != 1 || async[0].last < async[1].last {
		t.Errorf("the first connection is %v, want the one of frame 1 that ended last", async[0])
	}
	ev := &noRecorder{}
	serial, _ := runFlows(t, &frames{fs: all}, Config{Analyzer: analyze.New(analyze.Config{}), MaxFlows: analyze.DefaultMaxFlows, Recorder: ev}, PacketTime())
	if !slices.Equal(async, serial) {
		t.Errorf("judged apart:\n%v\njudged on the packet loop:\n%v", async, serial)
	}
	if ev.done != len(serial) || ev.added == 0 {
		t.Errorf("recorder told of %d frames and %d flows, want some and %d", ev.added, ev.done, len(serial))
	}
}

// Live: each flow goes to the sink as soon as it is judged, in the order
// the connections ended, and the wall clock hands them over while the
// source only times out.
func TestWallClockAsJudged(t *testing.T) {
	all := merged(t)
	var got []verdict
	src := &frames{fs: all, timeouts: 5000}
	// The sink may run on the judging goroutine: atomics.
	var handedAt atomic.Int64 // frames+timeouts read when the first flow came
	var reads atomic.Int64
	src.onRead = func() { reads.Add(1) }
	src.stop = func() bool { return handedAt.Load() > 0 }
	_, err := Run(context.Background(), src, Config{Analyzer: analyze.New(analyze.Config{}), MaxFlows: analyze.DefaultMaxFlows}, WallClock(), func(f *analyze.Flow) error {
		if handedAt.Load() == 0 {
			handedAt.Store(reads.Load())
		}
		got = append(got, verdict{f.FirstPacket, f.LastPacket, f.Outcome.String(), f.Stage.String()})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The frames are from 2026-11-01: by the clock every connection has
	// long ended, and is handed over at the first tick, 250 ms in, while
	// the source times out.
	if h := int(handedAt.Load()); h <= len(all) || h >= len(all)+5000 {
		t.Fatalf("first flow handed over after %d reads, want during the %d timeouts after the %d frames", h, 5000, len(all))
	}
	if !slices.IsSortedFunc(got, func(a, b verdict) int { return a.last - b.last }) || slices.IsSortedFunc(got, func(a, b verdict) int { return a.first - b.first }) {
		t.Errorf("want the order of ending, not of first packet: %v", got)
	}
}

// A run stops at Limit frames, at a damaged record (not an error: the
// frames before it count), when the context ends, and with the sink's
// error.
func TestRunStops(t *testing.T) {
	all := labFrames(t, "clean")
	cfg := func() Config {
		return Config{Analyzer: analyze.New(analyze.Config{}), MaxFlows: analyze.DefaultMaxFlows}
	}

	t.Run("limit", func(t *testing.T) {
		c := cfg()
		c.Limit = 7
		_, st := runFlows(t, &frames{fs: all}, c, PacketTime())
		if st.Frames != 7 || st.Interrupted || st.Damaged != nil {
			t.Errorf("stats %+v, want 7 frames", st)
		}
	})
	t.Run("damaged", func(t *testing.T) {
		var b bytes.Buffer
		raw := readFile(t, filepath.Join("..", "testdata", "pcaps", "clean", "capture.pcap"))
		b.Write(raw[:len(raw)-10])
		cut, err := capture.NewReader("cut", &b)
		if err != nil {
			t.Fatal(err)
		}
		flows, st := runFlows(t, cut, cfg(), PacketTime())
		if st.Damaged == nil || st.Frames != len(all)-1 || len(flows) != 1 {
			t.Errorf("stats %+v, %d flows; want damage after %d frames and the flow", st, len(flows), len(all)-1)
		}
	})
	for _, exp := range []struct {
		name string
		e    Expiry
	}{{"packet time", PacketTime()}, {"wall clock", WallClock()}} {
		t.Run("cancelled/"+exp.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			st, err := Run(ctx, &frames{fs: all}, cfg(), exp.e, func(*analyze.Flow) error { return nil })
			if err != nil || !st.Interrupted || st.Frames != 0 {
				t.Errorf("stats %+v, %v; want interrupted before the first frame", st, err)
			}
		})
		t.Run("sink error/"+exp.name, func(t *testing.T) {
			bad := errors.New("disk full")
			_, err := Run(context.Background(), &frames{fs: all}, cfg(), exp.e, func(*analyze.Flow) error { return bad })
			if !errors.Is(err, bad) {
				t.Errorf("got %v, want the sink's error", err)
			}
		})
	}
}

// Live, judged on a goroutine of its own: the sink's error (standard
// output closed) stops the capture at the next collection, not when the
// source ends, which a live one never does.
func TestWallClockSinkErrorStops(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("one CPU: the packet loop judges, and the error comes back at once anyway")
	}
	bad := errors.New("broken pipe")
	src := &frames{fs: merged(t), timeouts: 100000} // 100 s of timeouts
	start := time.Now()
	_, err := Run(context.Background(), src, Config{Analyzer: analyze.New(analyze.Config{}), MaxFlows: analyze.DefaultMaxFlows}, WallClock(),
		func(*analyze.Flow) error { return bad })
	if !errors.Is(err, bad) {
		t.Fatalf("got %v, want the sink's error", err)
	}
	if src.timeouts < 100000-5000 {
		t.Errorf("the capture went on for %d timeouts (%v) after the sink failed", 100000-src.timeouts, time.Since(start))
	}
}

// matcher keeps frames by number, or fails.
type matcher struct {
	n    int
	keep func(n int) bool
	err  error
}

func (m *matcher) Match(uint16, []byte, int, time.Time) (bool, error) {
	m.n++
	return m.keep(m.n), m.err
}

// The filter's verdicts are counted, and its error ends the run.
func TestMatch(t *testing.T) {
	all := labFrames(t, "clean")
	c := Config{Analyzer: analyze.New(analyze.Config{}), MaxFlows: analyze.DefaultMaxFlows, Match: &matcher{keep: func(n int) bool { return n%2 == 0 }}}
	_, st := runFlows(t, &frames{fs: all}, c, PacketTime())
	if st.Filtered != (len(all)+1)/2 {
		t.Errorf("%d filtered of %d, want every other", st.Filtered, len(all))
	}
	bad := fmt.Errorf("bad filter expression")
	c = Config{Analyzer: analyze.New(analyze.Config{}), MaxFlows: analyze.DefaultMaxFlows, Match: &matcher{keep: func(int) bool { return true }, err: bad}}
	if _, err := Run(context.Background(), &frames{fs: all}, c, PacketTime(), func(*analyze.Flow) error { return nil }); !errors.Is(err, bad) {
		t.Errorf("got %v, want the filter's error", err)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

package main

import (
	"cmp"
	"context"
	"io"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/decode"
	"github.com/rstsniff/rstsniff/report"
)

// BenchmarkPipeline runs the whole command on $BENCH_FILE (make one with
// go run ./internal/synth); it is skipped without one.
func BenchmarkPipeline(b *testing.B) {
	file := os.Getenv("BENCH_FILE")
	if file == "" {
		b.Skip("set BENCH_FILE to a capture (go run ./internal/synth -o FILE)")
	}
	st, err := os.Stat(file)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if code := exitStatus(run(context.Background(), []string{"-r", file, "--format", "json"}, strings.NewReader(""), io.Discard, io.Discard), io.Discard); code == exitUsage {
			b.Fatal("run failed")
		}
	}
}

// BenchmarkConnection is the whole cost of one clean login (the lab's
// testdata/pcaps/clean, what most of make bench's capture is), from decoded
// segments to its JSON line, on one goroutine. Each operation is a copy of
// the connection from a new client, 2 ms after the previous one. "alone"
// feeds each connection's packets in a row; "interleaved" in time order as
// a capture has them, about 135 connections open at once, so each packet
// finds its connection's state further from the CPU.
func BenchmarkConnection(b *testing.B) {
	var segs []decode.Segment
	var offs []time.Duration
	frames := readFrames(b, "../../testdata/pcaps/clean/capture.pcap")
	for _, f := range frames {
		var s decode.Segment
		if decode.Decode(f.data, decode.LinkType(f.link), &s) != nil {
			continue
		}
		s.Payload = append([]byte(nil), s.Payload...)
		segs = append(segs, s)
		offs = append(offs, f.ts.Sub(frames[0].ts))
	}
	const every = 2 * time.Millisecond
	const block = 1024 // connections whose packets are put in time order
	type event struct{ conn, pkt int }
	var alone, interleaved []event
	for c := range block {
		for j := range segs {
			alone = append(alone, event{c, j})
		}
	}
	interleaved = slices.Clone(alone)
	slices.SortStableFunc(interleaved, func(x, y event) int {
		return cmp.Compare(time.Duration(x.conn)*every+offs[x.pkt], time.Duration(y.conn)*every+offs[y.pkt])
	})
	client := segs[0].Src
	for _, order := range []struct {
		name   string
		events []event
	}{{"alone", alone}, {"interleaved", interleaved}} {
		b.Run(order.name, func(b *testing.B) {
			a := analyze.New(analyze.Config{})
			t0 := frames[0].ts
			judge := func(fs []*analyze.Flow) {
				for _, f := range fs {
					if err := report.JSONFlow(io.Discard, f, false); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportAllocs()
			frame, next := 0, t0.Add(time.Second)
			for base := 0; base < b.N; base += block {
				for _, e := range order.events {
					c := base + e.conn
					if c >= b.N {
						continue
					}
					s := segs[e.pkt]
					addr := netip.AddrFrom4([4]byte{198, 18 + byte(c>>16&1), byte(c >> 8), byte(c)})
					if s.Src == client {
						s.Src, s.SrcPort = addr, uint16(1024+c%60000)
					} else {
						s.Dst, s.DstPort = addr, uint16(1024+c%60000)
					}
					frame++
					at := t0.Add(time.Duration(c)*every + offs[e.pkt])
					a.Packet(frame, at, &s)
					if at.After(next) { // as the command does, once a second
						judge(a.Judge(a.Collect(at)))
						next = at.Add(time.Second)
					}
				}
			}
			judge(a.Judge(a.CollectAll()))
			if a.Open() != 0 {
				b.Fatal("connections left open")
			}
		})
	}
}

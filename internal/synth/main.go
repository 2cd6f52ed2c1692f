// Command synth builds large benchmark captures from the lab's captures:
// N connections cloned from real ones (mostly clean logins, the lab's
// failure cases mixed in), each with a fresh client address from
// 198.18.0.0/15 (the benchmarking range, RFC 2544) and a fresh port,
// started every -every apart so that the number of connections open at
// once does not depend on N, interleaved in time, checksums fixed.
//
//	go run ./internal/synth -n 100000 -o bench.pcap [-pcapng] [-failing]
package main

import (
	"bufio"
	"container/heap"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/rstsniff/rstsniff/capture"
	"github.com/rstsniff/rstsniff/internal/mixes"
)

type frame struct {
	off  time.Duration // since the template's first packet
	data []byte
}

type template struct {
	name   string
	frames []frame
	client [4]byte
}

func main() {
	n := flag.Int("n", 100000, "connections")
	out := flag.String("o", "bench.pcap", "output file")
	ng := flag.Bool("pcapng", false, "write pcapng instead of pcap")
	every := flag.Duration("every", 2*time.Millisecond, "time between connection starts")
	dir := flag.String("lab", "testdata/pcaps", "the lab captures")
	seed := flag.Int64("seed", 1, "random seed")
	failing := flag.Bool("failing", false, "make about two thirds of the connections fail (resets, refusals, timeouts, MaxStartups) instead of one in ten")
	flag.Parse()
	m := mixes.Default
	if *failing {
		m = mixes.Failing
	}
	if err := run(m, *n, *out, *ng, *every, *dir, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "synth:", err)
		os.Exit(1)
	}
}

func load(dir, name string) (*template, error) {
	src, err := capture.Open(filepath.Join(dir, name, "capture.pcap"))
	if err != nil {
		return nil, err
	}
	defer src.Close()
	t := &template{name: name}
	var t0 time.Time
	for {
		data, ci, err := src.ReadFrame()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		// Ethernet + IPv4 + TCP only.
		if ci.LinkType != 1 || len(data) < 14+20+20 || binary.BigEndian.Uint16(data[12:14]) != 0x0800 || data[14+9] != 6 {
			continue
		}
		if t0.IsZero() {
			t0 = ci.Timestamp
			copy(t.client[:], data[14+12:14+16]) // the first packet is the client's SYN
		}
		t.frames = append(t.frames, frame{ci.Timestamp.Sub(t0), append([]byte(nil), data...)})
	}
	return t, nil
}

// clone rewrites a template frame for a connection: the client's address
// and port become the connection's own, checksums are recomputed.
func clone(f frame, tmpl *template, ip [4]byte, port uint16) []byte {
	b := append([]byte(nil), f.data...)
	iph := b[14:]
	ihl := int(iph[0]&15) * 4
	tcp := iph[ihl:]
	if [4]byte(iph[12:16]) == tmpl.client {
		copy(iph[12:16], ip[:])
		binary.BigEndian.PutUint16(tcp[0:2], port)
	} else if [4]byte(iph[16:20]) == tmpl.client {
		copy(iph[16:20], ip[:])
		binary.BigEndian.PutUint16(tcp[2:4], port)
	}
	iph[10], iph[11] = 0, 0
	binary.BigEndian.PutUint16(iph[10:12], checksum(iph[:ihl], 0))
	total := int(binary.BigEndian.Uint16(iph[2:4]))
	if total > len(iph) {
		total = len(iph)
	}
	seg := iph[ihl:total]
	if len(seg) >= 18 {
		seg[16], seg[17] = 0, 0
		var pseudo uint32
		for i := 12; i < 20; i += 2 {
			pseudo += uint32(binary.BigEndian.Uint16(iph[i:]))
		}
		pseudo += 6 + uint32(len(seg))
		binary.BigEndian.PutUint16(seg[16:18], checksum(seg, pseudo))
	}
	return b
}

func checksum(b []byte, sum uint32) uint16 {
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

// cursor is one connection being written: its next frame.
type cursor struct {
	tmpl  *template
	start time.Time
	next  int
	ip    [4]byte
	port  uint16
}

func (c *cursor) at() time.Time { return c.start.Add(c.tmpl.frames[c.next].off) }

type cursors []*cursor

func (h cursors) Len() int           { return len(h) }
func (h cursors) Less(i, j int) bool { return h[i].at().Before(h[j].at()) }
func (h cursors) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *cursors) Push(x any)        { *h = append(*h, x.(*cursor)) }
func (h *cursors) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}

func run(mix []mixes.Case, n int, out string, ng bool, every time.Duration, dir string, seed int64) error {
	var tmpls []*template
	var weights []int
	total := 0
	for _, m := range mix {
		t, err := load(dir, m.Name)
		if err != nil {
			return err
		}
		if len(t.frames) == 0 {
			continue
		}
		tmpls = append(tmpls, t)
		weights = append(weights, m.Weight)
		total += m.Weight
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	var write func(ci gopacket.CaptureInfo, b []byte) error
	flush := func() error { return nil }
	if ng {
		w, err := pcapgo.NewNgWriter(bw, layers.LinkTypeEthernet)
		if err != nil {
			return err
		}
		write, flush = w.WritePacket, w.Flush
	} else {
		w := pcapgo.NewWriterNanos(bw)
		if err := w.WriteFileHeader(262144, layers.LinkTypeEthernet); err != nil {
			return err
		}
		write = w.WritePacket
	}
	rng := rand.New(rand.NewSource(seed))
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	h := &cursors{}
	packets := 0
	for i := 0; i < n || h.Len() > 0; {
		// Start every connection whose start time has come before the next packet.
		for i < n && (h.Len() == 0 || !(*h)[0].at().Before(t0.Add(time.Duration(i)*every))) {
			r := rng.Intn(total)
			k := 0
			for r >= weights[k] {
				r -= weights[k]
				k++
			}
			a := 198<<24 | 18<<16 | uint32(i%131072)
			c := &cursor{tmpl: tmpls[k], start: t0.Add(time.Duration(i) * every), port: uint16(1024 + rng.Intn(64000))}
			binary.BigEndian.PutUint32(c.ip[:], a)
			heap.Push(h, c)
			i++
		}
		c := (*h)[0]
		b := clone(c.tmpl.frames[c.next], c.tmpl, c.ip, c.port)
		if err := write(gopacket.CaptureInfo{Timestamp: c.at(), CaptureLength: len(b), Length: len(b)}, b); err != nil {
			return err
		}
		packets++
		c.next++
		if c.next == len(c.tmpl.frames) {
			heap.Pop(h)
		} else {
			heap.Fix(h, 0)
		}
	}
	if err := flush(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "synth: %d connections, %d packets written to %s\n", n, packets, out)
	return bw.Flush()
}

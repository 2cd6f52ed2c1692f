package report

import (
	"fmt"
	"strconv"
	"time"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/correlate"
	"github.com/rstsniff/rstsniff/decode"
)

// pairView is one matched connection laid out for the reports, every
// sentence already worded.
type pairView struct {
	N              int
	P              *correlate.Pair
	Names          [2]string
	CS, SS         int // capture index nearer the client, the server
	Client, Server string
	Ends           [2]string
	MatchedBy      string
	Sides          string
	NAT            string
	Hops           string
	Counts         string
	Resets         []resetView
	Findings       []findingView
	Packets        []packetView
	PacketsOmitted int
	Lanes          threeLanes
}

type findingView struct {
	ID      correlate.FindingID
	Summary string
}

type resetView struct {
	From    string
	Verdict string
	Frames  [2]string
	Guessed string
	Right   string // whether one capture alone had it right
}

// packetView is one packet's line: where it was seen and what became of it.
type packetView struct {
	From     string
	What     string // flags, length
	Frames   [2]string
	Fate     string
	Changes  string
	Notable  bool
	Time     string // relative to the connection's start at the client side
	fate     correlate.Fate
	fromSide analyze.Side
	rst      bool
}

func captureName(r *correlate.Result, i int) string { return Safe(r.Captures[i].Name) }

func frameCell(n int) string {
	if n == 0 {
		return "-"
	}
	return strconv.Itoa(n)
}

// maxPacketLines bounds the packets listed per connection: the notable
// ones always, then the others around them.
const maxPacketLines = 200

func viewPairs(r *correlate.Result, shown []int, withPackets bool) []pairView {
	var out []pairView
	names := [2]string{captureName(r, 0), captureName(r, 1)}
	for _, n := range shown {
		p := r.Pairs[n]
		cs, ss := p.ClientSide, p.ServerSide()
		fc := p.Flows[cs]
		v := pairView{N: n + 1, P: p, Names: names, CS: cs, SS: ss, Client: Endpoint(fc.Client), Server: Endpoint(fc.Server),
			MatchedBy: matchedText(p.MatchedBy), Sides: sidesText(p), NAT: natText(p.NAT), Hops: hopsText(p), Counts: countsText(p)}
		for i := range 2 {
			v.Ends[i] = endText(p.Flows[i])
		}
		for _, rp := range p.Resets {
			g, right := guessText(rp)
			v.Resets = append(v.Resets, resetView{From: rp.From.String(), Verdict: proofText(r, rp, names, p),
				Frames: [2]string{frameCell(rp.Frames[0]), frameCell(rp.Frames[1])}, Guessed: g, Right: right})
		}
		for i := range p.Findings {
			f := &p.Findings[i]
			v.Findings = append(v.Findings, findingView{f.ID, findingSummary(r, f)})
		}
		if withPackets {
			v.Packets, v.PacketsOmitted = packetViews(r, p)
			v.Lanes = lanes(v)
		}
		out = append(out, v)
	}
	return out
}

// packetViews lays out the packets of a pair worth listing: the notable
// ones and their neighbours, the first few always, at most maxPacketLines.
func packetViews(r *correlate.Result, p *correlate.Pair) ([]packetView, int) {
	cs := p.ClientSide
	notable := make([]bool, len(p.Packets))
	for i := range p.Packets {
		pk := &p.Packets[i]
		notable[i] = pk.Fate != correlate.Delivered || pk.Changes != nil || p.Record(pk).Flags.Has(decode.RST)
	}
	keep := selectPackets(notable)
	t0 := p.Flows[cs].Start
	var out []packetView
	for i := range p.Packets {
		if !keep[i] {
			continue
		}
		pk := &p.Packets[i]
		x, si := p.Record(pk), p.SenderSide(pk.From)
		pv := packetView{From: pk.From.String(), Fate: pk.Fate.String(), fate: pk.Fate, fromSide: pk.From,
			Changes: changesText(pk.Changes), Notable: notable[i]}
		for c, n := range p.Frames(pk) {
			pv.Frames[c] = frameCell(n)
		}
		pv.What = fmt.Sprintf("[%s] len %d", x.Flags, x.Len)
		pv.rst = x.Flags.Has(decode.RST)
		when := x.Time
		if (pk.Sent >= 0 && si != cs) || (pk.Sent < 0 && 1-si != cs) {
			// Seen first in the server-side capture: on the client side's clock.
			when = when.Add(-offsetTo(r, cs))
		}
		pv.Time = fmt.Sprintf("%+.3f ms", float64(when.Sub(t0).Microseconds())/1000)
		out = append(out, pv)
	}
	return out, len(p.Packets) - len(out)
}

// offsetTo is how far capture i's clock is ahead of the other's.
func offsetTo(r *correlate.Result, i int) time.Duration {
	if i == 0 {
		return -r.Offset
	}
	return r.Offset
}

// selectPackets marks the notable packets and their neighbours, up to
// maxPacketLines, the first few always.
func selectPackets(notable []bool) []bool {
	keep := make([]bool, len(notable))
	if len(notable) <= maxPacketLines {
		for i := range keep {
			keep[i] = true
		}
		return keep
	}
	n := 0
	mark := func(i int) {
		if i >= 0 && i < len(keep) && !keep[i] && n < maxPacketLines {
			keep[i] = true
			n++
		}
	}
	for i := range min(5, len(keep)) {
		mark(i)
	}
	for i, x := range notable {
		if x {
			mark(i)
		}
	}
	for i, x := range notable {
		if x {
			mark(i - 1)
			mark(i + 1)
		}
	}
	return keep
}

// jumpRows lays a jump's two legs side by side: connection, how it was
// seen, when it ended.
func jumpRows(j *correlate.Jump) [][2]string {
	var rows [][2]string
	add := func(f func(i int, l *analyze.Flow) string) {
		rows = append(rows, [2]string{f(0, j.Legs[0]), f(1, j.Legs[1])})
	}
	add(func(_ int, l *analyze.Flow) string {
		return fmt.Sprintf("%d: %s -> %s", l.ID, Endpoint(l.Client), Endpoint(l.Server))
	})
	add(func(_ int, l *analyze.Flow) string { return endText(l) })
	add(func(i int, l *analyze.Flow) string {
		s := stamp(j.Ends[i])
		if i == j.First {
			return s + " (first)"
		}
		return s + " (" + seconds(j.Gap) + " later)"
	})
	return rows
}

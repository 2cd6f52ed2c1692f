package report

import (
	"fmt"
	"unicode/utf8"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/decode"
)

// The ladder diagram of a connection on the HTML page: its geometry (shared
// with the comparison's three-lane diagram) and its layout.

// Geometry of the ladder diagram.
const (
	svgWidth   = 900
	laneClient = 230
	laneMiddle = 480
	laneServer = 730
	rowHeight  = 26
	topMargin  = 56
	maxRows    = 80
)

// svgLadder is the drawing data for one connection.
type svgLadder struct {
	Height  int
	Middle  bool // a middlebox lane: some reset was forged
	Bands   []svgBand
	Arrows  []svgArrow
	Omitted int
	Copies  int
}

type svgBand struct {
	Y, H  int
	Stage string
	Fill  string
}

type svgArrow struct {
	Y, X1, X2 int
	Label     string
	Class     string // pkt, rst, forged
	Head      string // the arrowhead's polygon points
}

var stageFill = map[string]string{
	"handshake": "#e8eef7", "banner": "#e6f2e6", "kexinit": "#f7f0e1", "kex": "#f4e6f0",
	"auth": "#e6f0f4", "session": "#eef4e4", "unknown": "#eeeeee",
}

// ladder lays out the connection's packets: client and server lanes, a
// middlebox lane where a reset was forged, one arrow per packet labelled
// with relative time, flags, length and TTL, and the SSH stages as bands.
func ladder(f *analyze.Flow) svgLadder {
	forged, possibly := map[int]bool{}, map[int]bool{}
	for _, r := range f.Resets {
		switch {
		case r.Suspected(): // weak evidence: drawn at its claimed sender
			possibly[r.Packet] = true
		case r.Sender == analyze.SenderPath: // a host's firewall is drawn at the host
			forged[r.Packet] = true
		}
	}
	l := svgLadder{Middle: len(forged) > 0}
	var recs []analyze.PacketRecord
	for _, p := range f.Log {
		if p.Dup {
			l.Copies++ // the same packet seen at a second capture point
			continue
		}
		recs = append(recs, p)
	}
	if len(recs) > maxRows {
		l.Omitted = len(recs) - maxRows + f.LogOmitted
		recs = recs[:maxRows]
	} else {
		l.Omitted = f.LogOmitted
	}
	// ICMP errors about the connection take their place among the packets
	// by frame number; one from a router is drawn from the middle lane.
	errs := f.ICMP
	row := 0
	band := func(st string) {
		if n := len(l.Bands); n > 0 && l.Bands[n-1].Stage == st {
			l.Bands[n-1].H += rowHeight
		} else {
			l.Bands = append(l.Bands, svgBand{Y: topMargin + row*rowHeight, H: rowHeight, Stage: st, Fill: stageFill[st]})
		}
	}
	icmp := func(e analyze.ICMPError, st string) {
		a := svgArrow{Y: topMargin + row*rowHeight + rowHeight/2, X1: laneServer, X2: laneClient, Class: "icmp"}
		if e.About == analyze.Server {
			a.X1, a.X2 = laneClient, laneServer
		}
		if e.From != f.Client.Addr() && e.From != f.Server.Addr() {
			a.X1 = laneMiddle
			l.Middle = true
		}
		a.Label = fmt.Sprintf("#%d +%.1f ms %s from %s", e.Packet, float64(e.Time.Sub(f.Start).Microseconds())/1000, icmpShort(e), e.From)
		a.Head = arrowHead(a)
		l.Arrows = append(l.Arrows, a)
		band(st)
		row++
	}
	st := analyze.StageHandshake.String()
	for _, p := range recs {
		for len(errs) > 0 && errs[0].Packet < p.Frame {
			icmp(errs[0], st)
			errs = errs[1:]
		}
		y := topMargin + row*rowHeight + rowHeight/2
		a := svgArrow{Y: y, X1: laneClient, X2: laneServer, Class: "pkt"}
		if p.From == analyze.Server {
			a.X1, a.X2 = laneServer, laneClient
		}
		if p.Flags.Has(decode.RST) {
			a.Class = "rst"
			if forged[p.Frame] {
				a.Class = "forged"
				a.X1 = laneMiddle
			}
		}
		a.Label = fmt.Sprintf("#%d +%.1f ms [%s] len %d %s %d", p.Frame, float64(p.Time.Sub(f.Start).Microseconds())/1000, p.Flags, p.Len, ttlShort(f), p.TTL)
		switch {
		case a.Class == "forged":
			a.Label += " FORGED"
		case possibly[p.Frame]:
			a.Label += " possibly forged"
		}
		if p.Banner {
			a.Label += " banner"
		}
		a.Head = arrowHead(a)
		l.Arrows = append(l.Arrows, a)
		st = p.Stage.String()
		band(st)
		row++
	}
	for _, e := range errs {
		if row >= maxRows {
			break
		}
		icmp(e, st)
	}
	l.Height = topMargin + row*rowHeight + 30
	return l
}

// svgBox is the backdrop of an arrow's label: lanes drawn behind it (the
// middlebox's dashed line) never cross its text.
type svgBox struct{ X, Y, W, H int }

// Box is where the label's backdrop goes: centred on the arrow, sized for
// 11px monospace (about 6.7 px a character).
func (a svgArrow) Box() svgBox {
	w := utf8.RuneCountInString(a.Label)*67/10 + 8
	return svgBox{X: (a.X1+a.X2)/2 - w/2, Y: a.Y - 16, W: w, H: 14}
}

// arrowHead is the polygon of an arrow's head at its X2 end.
func arrowHead(a svgArrow) string {
	dir := 1
	if a.X2 < a.X1 {
		dir = -1
	}
	return fmt.Sprintf("%d,%d %d,%d %d,%d", a.X2, a.Y, a.X2-9*dir, a.Y-5, a.X2-9*dir, a.Y+5)
}

// icmpShort names an ICMP error in a few words, for the ladder.
func icmpShort(e analyze.ICMPError) string {
	proto := "ICMP"
	if e.IPv6 {
		proto = "ICMPv6"
	}
	return fmt.Sprintf("%s %d/%d", proto, e.Type, e.Code)
}

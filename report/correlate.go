package report

import (
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/correlate"
	"github.com/rstsniff/rstsniff/decode"
)

// Correlation is what rstsniff --correlate shows: two captures of the same
// connections compared (Result, nil with one capture), and the jump-host
// legs found in each capture.
type Correlation struct {
	Result *correlate.Result
	Jumps  []CaptureJumps
	Inputs []Input
	// All lists every matched connection, not only those where something
	// happened; Limit bounds the list (the rest are counted).
	All   bool
	Limit int
}

// shown returns the matched connections listed, and a sentence on those
// that are not (empty when none are left out).
func (c *Correlation) shown() ([]int, string) {
	limit := c.Limit
	if limit <= 0 {
		limit = 1000
	}
	idx, over := shownPairs(c.Result, c.All, limit)
	quiet := len(c.Result.Pairs) - len(idx) - over
	var parts []string
	if quiet > 0 {
		parts = append(parts, fmt.Sprintf("%d connection%s in both captures with nothing on the path and no reset (--all lists them)", quiet, plural(quiet)))
	}
	if over > 0 {
		parts = append(parts, fmt.Sprintf("%d more not listed (at most %d are)", over, limit))
	}
	return idx, strings.Join(parts, "; ")
}

// CaptureJumps are the jump-host legs found in one capture.
type CaptureJumps struct {
	Capture string
	Jumps   []correlate.Jump
}

// Abnormal reports whether anything went wrong on the path or on a leg.
func (c *Correlation) Abnormal() bool {
	if c.Result != nil && c.Result.Abnormal() {
		return true
	}
	for _, cj := range c.Jumps {
		for _, j := range cj.Jumps {
			if j.Failed[0] || j.Failed[1] {
				return true
			}
		}
	}
	return false
}

func (c *Correlation) warnings() []string {
	var w []string
	for _, in := range c.Inputs {
		for _, x := range in.Warnings {
			w = append(w, in.Name+": "+x)
		}
	}
	return w
}

// pairView is one matched connection laid out for the reports.
type pairView struct {
	N              int
	P              *correlate.Pair
	Names          [2]string
	CS, SS         int // capture index nearer the client, the server
	Client, Server string
	Ends           [2]string
	Hops           string
	Counts         string
	Resets         []resetView
	Findings       []correlate.Finding
	Packets        []packetView
	PacketsOmitted int
	Lanes          threeLanes
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

func endText(f *analyze.Flow) string {
	s := f.Outcome.String()
	if f.ClosedBy != analyze.SideNone {
		s += " by the " + f.ClosedBy.String()
	}
	s += " at " + f.Stage.String()
	if len(f.Resets) > 0 {
		s += fmt.Sprintf(", first reset frame %d in the %s's name", f.Resets[0].Packet, f.Resets[0].From)
	}
	return s
}

func proofText(rp correlate.ResetProof, names [2]string, p *correlate.Pair) string {
	sender := p.SenderSide(rp.From)
	switch rp.Fate {
	case correlate.Delivered:
		return fmt.Sprintf("sent by the %s (left in %s, arrived in %s)", rp.From, names[sender], names[1-sender])
	case correlate.Injected:
		return fmt.Sprintf("FORGED on the path: never left the %s (%s does not have it)", rp.From, names[sender])
	case correlate.Dropped:
		return fmt.Sprintf("sent by the %s, lost on the path", rp.From)
	case correlate.Unseen:
		return "unproven: the other capture was not running then"
	}
	return rp.Fate.String()
}

func guessText(rp correlate.ResetProof) (string, string) {
	g := rp.Guessed.String()
	switch {
	case rp.Guessed == analyze.OriginUnknown:
		return g, "-"
	case rp.Fate == correlate.Injected:
		if rp.Guessed == analyze.OriginMiddlebox {
			return g, "right"
		}
		return g, "wrong"
	case rp.Fate == correlate.Delivered || rp.Fate == correlate.Dropped:
		if rp.Guessed == analyze.OriginEndpoint {
			return g, "right"
		}
		return g, "wrong"
	}
	return g, "-"
}

func frameCell(n int) string {
	if n == 0 {
		return "-"
	}
	return strconv.Itoa(n)
}

// maxPacketLines bounds the packets listed per connection: the notable
// ones always, then the others around them.
const maxPacketLines = 200

// pairNotable reports whether a matched connection is worth a section:
// something happened on the path, a reset was sent, or either end saw it
// end abnormally.
func pairNotable(p *correlate.Pair) bool {
	return len(p.Findings) > 0 || len(p.Resets) > 0 || p.Flows[0].Notable() || p.Flows[1].Notable()
}

// shownPairs are the matched connections a report lists: the notable ones
// (or all), at most limit; it also returns how many it left out.
func shownPairs(r *correlate.Result, all bool, limit int) ([]int, int) {
	var idx []int
	left := 0
	for i, p := range r.Pairs {
		switch {
		case !all && !pairNotable(p):
		case len(idx) < limit:
			idx = append(idx, i)
		default:
			left++
		}
	}
	return idx, left
}

func viewPairs(r *correlate.Result, shown []int, withPackets bool) []pairView {
	var out []pairView
	names := [2]string{captureName(r, 0), captureName(r, 1)}
	for _, n := range shown {
		p := r.Pairs[n]
		cs, ss := p.ClientSide, p.ServerSide()
		fc := p.Flows[cs]
		v := pairView{N: n + 1, P: p, Names: names, CS: cs, SS: ss, Client: Endpoint(fc.Client), Server: Endpoint(fc.Server)}
		for i := range 2 {
			v.Ends[i] = endText(p.Flows[i])
		}
		var hops []string
		for i, who := range []string{"client's", "server's"} {
			if p.Hops[i] >= 0 {
				hops = append(hops, fmt.Sprintf("%d for the %s packets", p.Hops[i], who))
			}
		}
		v.Hops = strings.Join(hops, ", ")
		v.Counts = fmt.Sprintf("%d delivered, %d dropped, %d injected, %d resegmented, %d outside the other capture",
			p.Counts[correlate.Delivered], p.Counts[correlate.Dropped], p.Counts[correlate.Injected],
			p.Counts[correlate.Resegmented], p.Counts[correlate.Unseen])
		for _, rp := range p.Resets {
			g, right := guessText(rp)
			v.Resets = append(v.Resets, resetView{From: rp.From.String(), Verdict: proofText(rp, names, p),
				Frames: [2]string{frameCell(rp.Frames[0]), frameCell(rp.Frames[1])}, Guessed: g, Right: right})
		}
		v.Findings = p.Findings
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
			Changes: strings.Join(pk.Changes, "; "), Notable: notable[i]}
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

func clockText(r *correlate.Result) string {
	if r.OffsetFrom == 0 {
		return "clocks: no packet was seen at both points, so the clock offset is unknown"
	}
	ahead := fmt.Sprintf("%s runs %s ahead of %s", captureName(r, 1), seconds(r.Offset), captureName(r, 0))
	switch {
	case r.Offset.Abs() < time.Microsecond:
		ahead = "the two clocks agree to within a microsecond"
	case r.Offset < 0:
		ahead = fmt.Sprintf("%s runs %s ahead of %s", captureName(r, 0), seconds(-r.Offset), captureName(r, 1))
	}
	if !r.TwoWay {
		return fmt.Sprintf("clocks: %s, taking no time between the capture points (packets went one way only: %d)", ahead, r.OffsetFrom)
	}
	return fmt.Sprintf("clocks: %s; packets take %s between the capture points (from %d packets seen at both, both ways)", ahead, seconds(r.Delay), r.OffsetFrom)
}

func jumpCount(c *Correlation) int {
	n := 0
	for _, cj := range c.Jumps {
		n += len(cj.Jumps)
	}
	return n
}

// CorrelationTable writes the comparison for a terminal.
func CorrelationTable(w io.Writer, c *Correlation) error {
	var b strings.Builder
	if r := c.Result; r != nil {
		fmt.Fprintf(&b, "%s and %s: %d connection%s in both, %d only in %s, %d only in %s\n", captureName(r, 0), captureName(r, 1),
			len(r.Pairs), plural(len(r.Pairs)), len(r.Unmatched[0]), captureName(r, 0), len(r.Unmatched[1]), captureName(r, 1))
		fmt.Fprintf(&b, "%s\n", clockText(r))
		if _, err := io.WriteString(w, b.String()); err != nil {
			return err
		}
		idx, rest := c.shown()
		for _, v := range viewPairs(r, idx, false) {
			if err := pairTable(w, &v); err != nil {
				return err
			}
		}
		if rest != "" {
			if _, err := fmt.Fprintf(w, "\n%s\n", rest); err != nil {
				return err
			}
		}
	}
	if err := jumpTables(w, c); err != nil {
		return err
	}
	b.Reset()
	if c.Result == nil && jumpCount(c) == 0 {
		b.WriteString("no jump host legs found: give two captures (client and server side) to compare, or a tcpdump -i any capture taken on a jump host\n")
	}
	for _, x := range c.warnings() {
		fmt.Fprintf(&b, "warning: %s\n", Safe(x))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// jumpRows lays a jump's two legs side by side.
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

func jumpTables(w io.Writer, c *Correlation) error {
	for _, cj := range c.Jumps {
		for _, j := range cj.Jumps {
			if _, err := fmt.Fprintf(w, "\nJump host in %s:\n", Safe(cj.Capture)); err != nil {
				return err
			}
			t := newTable(w)
			t.Header("", "LEG 1: CLIENT -> JUMP HOST", "LEG 2: JUMP HOST -> TARGET")
			for i, r := range jumpRows(&j) {
				if err := t.Append([]string{"connection", "seen as", "ended"}[i], r[0], r[1]); err != nil {
					return err
				}
			}
			if err := t.Render(); err != nil {
				return err
			}
			if _, err := fmt.Fprintf(w, "%s\n", j.Summary()); err != nil {
				return err
			}
		}
	}
	return nil
}

func pairTable(w io.Writer, v *pairView) error {
	var b strings.Builder
	p := v.P
	fmt.Fprintf(&b, "\nConnection %d: %s -> %s\n", v.N, v.Client, v.Server)
	fmt.Fprintf(&b, "  nearer the client: %s (connection %d), nearer the server: %s (connection %d); %s\n",
		v.Names[v.CS], p.Flows[v.CS].ID, v.Names[v.SS], p.Flows[v.SS].ID, p.Sides)
	fmt.Fprintf(&b, "  matched by %s (%d packets)", p.MatchedBy, p.Votes)
	if v.Hops != "" {
		fmt.Fprintf(&b, "; routers between the points: %s", v.Hops)
	}
	b.WriteString("\n")
	if p.NAT != "" {
		fmt.Fprintf(&b, "  address translation: %s\n", p.NAT)
	}
	for _, i := range []int{v.CS, v.SS} {
		fmt.Fprintf(&b, "  in %s: %s\n", v.Names[i], v.Ends[i])
	}
	fmt.Fprintf(&b, "  packets: %s\n", v.Counts)
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	if len(v.Resets) > 0 {
		t := newTable(w)
		t.Header("RST IN THE NAME OF", "FRAME IN "+clipCell(v.Names[0], 24), "FRAME IN "+clipCell(v.Names[1], 24), "PROVEN", "ONE CAPTURE SAID")
		for _, rv := range v.Resets {
			said := rv.Guessed
			if rv.Right != "-" {
				said += " (" + rv.Right + ")"
			}
			if err := t.Append(rv.From, rv.Frames[0], rv.Frames[1], rv.Verdict, said); err != nil {
				return err
			}
		}
		if err := t.Render(); err != nil {
			return err
		}
	}
	b.Reset()
	for _, f := range v.Findings {
		fmt.Fprintf(&b, "  %s: %s\n", f.ID, Safe(f.Summary))
	}
	if len(v.Findings) == 0 {
		b.WriteString("  nothing happened on the path: every packet that left one point reached the other unchanged\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// JSON shapes.
type jsonPair struct {
	Type       string           `json:"type"`
	ID         int              `json:"id"`
	Client     string           `json:"client"`
	Server     string           `json:"server"`
	ClientSide jsonSideView     `json:"client_side"`
	ServerSide jsonSideView     `json:"server_side"`
	MatchedBy  string           `json:"matched_by"`
	Matched    int              `json:"packets_matched"`
	Sides      string           `json:"sides_decided_by"`
	NAT        string           `json:"nat,omitempty"`
	Hops       [2]int           `json:"hops"`
	Packets    map[string]int   `json:"packets"`
	Resets     []jsonProof      `json:"resets"`
	Findings   []jsonCorrFind   `json:"findings"`
	Events     []jsonPacketFate `json:"events"`
}

type jsonSideView struct {
	Capture    string `json:"capture"`
	Connection int    `json:"connection"`
	Client     string `json:"client"`
	Server     string `json:"server"`
	Outcome    string `json:"outcome"`
	Stage      string `json:"stage"`
	ClosedBy   string `json:"closed_by"`
}

type jsonProof struct {
	From    string `json:"from"`
	Fate    string `json:"fate"`
	Frames  [2]int `json:"frames"`
	Verdict string `json:"verdict"`
	Guessed string `json:"one_capture_said"`
}

type jsonCorrFind struct {
	ID      string   `json:"id"`
	Summary string   `json:"summary"`
	Frames  [2][]int `json:"frames"`
}

type jsonPacketFate struct {
	From    string   `json:"from"`
	Fate    string   `json:"fate"`
	Frames  [2]int   `json:"frames"`
	Changes []string `json:"changes,omitempty"`
}

type jsonJump struct {
	Type    string     `json:"type"`
	Capture string     `json:"capture"`
	Legs    [2]jsonLeg `json:"legs"`
	First   int        `json:"first_to_end"`
	Gap     float64    `json:"gap_seconds"`
	Summary string     `json:"summary"`
}

type jsonLeg struct {
	Connection int    `json:"connection"`
	Client     string `json:"client"`
	Server     string `json:"server"`
	Outcome    string `json:"outcome"`
	Stage      string `json:"stage"`
	End        string `json:"end"`
	Failed     bool   `json:"failed"`
}

type jsonCorrelation struct {
	Type       string         `json:"type"`
	Captures   []string       `json:"captures,omitempty"`
	Offset     *float64       `json:"clock_offset_seconds,omitempty"`
	Delay      *float64       `json:"path_delay_seconds,omitempty"`
	OffsetFrom int            `json:"offset_from_packets"`
	Pairs      int            `json:"connections_in_both"`
	Unmatched  [2]int         `json:"connections_in_one_only"`
	Jumps      int            `json:"jumps"`
	Warnings   []string       `json:"warnings"`
	Inputs     []jsonInput    `json:"inputs"`
	Findings   map[string]int `json:"finding_counts"`
}

// CorrelationJSON writes one line per matched connection and jump, then a
// summary line.
func CorrelationJSON(w io.Writer, c *Correlation) error {
	s := jsonCorrelation{Type: "correlation-summary", Warnings: nonNil(c.warnings()), Inputs: []jsonInput{}, Findings: map[string]int{}}
	for _, in := range c.Inputs {
		s.Inputs = append(s.Inputs, jsonInput{in.Name, in.Format, in.Frames, stamp(in.Start), stamp(in.End)})
	}
	if r := c.Result; r != nil {
		s.Captures = []string{r.Captures[0].Name, r.Captures[1].Name}
		if r.OffsetFrom > 0 {
			o, d := r.Offset.Seconds(), r.Delay.Seconds()
			s.Offset, s.Delay = &o, &d
		}
		s.OffsetFrom, s.Pairs, s.Unmatched = r.OffsetFrom, len(r.Pairs), [2]int{len(r.Unmatched[0]), len(r.Unmatched[1])}
		for n, p := range r.Pairs {
			cs, ss := p.ClientSide, p.ServerSide()
			side := func(i int) jsonSideView {
				f := p.Flows[i]
				return jsonSideView{r.Captures[i].Name, f.ID, Endpoint(f.Client), Endpoint(f.Server), f.Outcome.String(), f.Stage.String(), f.ClosedBy.String()}
			}
			jp := jsonPair{Type: "pair", ID: n + 1, Client: Endpoint(p.Flows[cs].Client), Server: Endpoint(p.Flows[cs].Server),
				ClientSide: side(cs), ServerSide: side(ss), MatchedBy: p.MatchedBy, Matched: p.Votes, Sides: p.Sides, NAT: p.NAT,
				Hops: p.Hops, Packets: map[string]int{}, Resets: []jsonProof{}, Findings: []jsonCorrFind{}, Events: []jsonPacketFate{}}
			for f := correlate.Delivered; f <= correlate.Unseen; f++ {
				jp.Packets[f.String()] = p.Counts[f]
			}
			names := [2]string{r.Captures[0].Name, r.Captures[1].Name}
			for _, rp := range p.Resets {
				jp.Resets = append(jp.Resets, jsonProof{rp.From.String(), rp.Fate.String(), rp.Frames, proofText(rp, names, p), rp.Guessed.String()})
			}
			for _, f := range p.Findings {
				jp.Findings = append(jp.Findings, jsonCorrFind{f.ID, f.Summary, [2][]int{nonNilInts(f.Frames[0]), nonNilInts(f.Frames[1])}})
				s.Findings[f.ID]++
			}
			for _, pk := range p.Packets {
				if pk.Fate == correlate.Delivered && pk.Changes == nil {
					continue
				}
				jp.Events = append(jp.Events, jsonPacketFate{From: pk.From.String(), Fate: pk.Fate.String(), Frames: p.Frames(&pk), Changes: pk.Changes})
			}
			if err := writeLine(w, jp); err != nil {
				return err
			}
		}
	}
	for _, cj := range c.Jumps {
		for _, j := range cj.Jumps {
			jj := jsonJump{Type: "jump", Capture: cj.Capture, First: j.First + 1, Gap: j.Gap.Seconds(), Summary: j.Summary()}
			for i, f := range j.Legs {
				jj.Legs[i] = jsonLeg{f.ID, Endpoint(f.Client), Endpoint(f.Server), f.Outcome.String(), f.Stage.String(), stamp(j.Ends[i]), j.Failed[i]}
			}
			s.Jumps++
			if err := writeLine(w, jj); err != nil {
				return err
			}
		}
	}
	return writeLine(w, s)
}

func nonNilInts(s []int) []int {
	if s == nil {
		return []int{}
	}
	return s
}

// CorrelationMarkdown writes the comparison as a Markdown report.
func CorrelationMarkdown(w io.Writer, c *Correlation, meta Meta) error {
	var b strings.Builder
	b.WriteString("# rstsniff: what happened between the capture points\n\n")
	for _, in := range c.Inputs {
		fmt.Fprintf(&b, "- Input: %s (%s, %d packets)\n", mdCode(in.Name, false), in.Format, in.Frames)
	}
	fmt.Fprintf(&b, "- rstsniff %s", mdText(meta.Version))
	if meta.Command != "" {
		fmt.Fprintf(&b, ": %s", mdCode(meta.Command, false))
	}
	b.WriteString("\n\n")
	if r := c.Result; r != nil {
		fmt.Fprintf(&b, "%s connection%s in both captures, %d only in the first, %d only in the second. %s.\n",
			strconv.Itoa(len(r.Pairs)), plural(len(r.Pairs)), len(r.Unmatched[0]), len(r.Unmatched[1]), mdText(capitalizeFirst(clockText(r))))
		idx, rest := c.shown()
		if rest != "" {
			fmt.Fprintf(&b, "\n%s.\n", mdText(capitalizeFirst(rest)))
		}
		for _, v := range viewPairs(r, idx, true) {
			p := v.P
			fmt.Fprintf(&b, "\n## Connection %d: %s → %s\n\n", v.N, mdCode(v.Client, false), mdCode(v.Server, false))
			fmt.Fprintf(&b, "| | %s | %s |\n|---|---|---|\n", mdCode(v.Names[v.CS], true), mdCode(v.Names[v.SS], true))
			fmt.Fprintf(&b, "| Position | nearer the client | nearer the server |\n")
			fmt.Fprintf(&b, "| Connection | %d: %s → %s | %d: %s → %s |\n", p.Flows[v.CS].ID, mdCode(Endpoint(p.Flows[v.CS].Client), true),
				mdCode(Endpoint(p.Flows[v.CS].Server), true), p.Flows[v.SS].ID, mdCode(Endpoint(p.Flows[v.SS].Client), true), mdCode(Endpoint(p.Flows[v.SS].Server), true))
			fmt.Fprintf(&b, "| Seen as | %s | %s |\n\n", mdText(v.Ends[v.CS]), mdText(v.Ends[v.SS]))
			fmt.Fprintf(&b, "Matched by %s (%d packets); %s.", mdText(p.MatchedBy), p.Votes, mdText(p.Sides))
			if v.Hops != "" {
				fmt.Fprintf(&b, " Routers between the points: %s.", mdText(v.Hops))
			}
			if p.NAT != "" {
				fmt.Fprintf(&b, " Address translation: %s.", mdText(p.NAT))
			}
			fmt.Fprintf(&b, " Packets: %s.\n\n", mdText(v.Counts))
			if len(v.Resets) > 0 {
				fmt.Fprintf(&b, "| RST in the name of | Frame in %s | Frame in %s | Proven | One capture said |\n|---|---|---|---|---|\n",
					mdCode(v.Names[0], true), mdCode(v.Names[1], true))
				for _, rv := range v.Resets {
					fmt.Fprintf(&b, "| %s | %s | %s | %s | %s (%s) |\n", rv.From, rv.Frames[0], rv.Frames[1], mdText(rv.Verdict), rv.Guessed, rv.Right)
				}
				b.WriteString("\n")
			}
			if len(v.Findings) == 0 {
				b.WriteString("Nothing happened on the path: every packet that left one point reached the other unchanged.\n")
			}
			for _, f := range v.Findings {
				fmt.Fprintf(&b, "- **%s**: %s\n", f.ID, mdText(f.Summary))
			}
			var notable []packetView
			for _, pv := range v.Packets {
				if pv.Notable {
					notable = append(notable, pv)
				}
			}
			if len(notable) > 0 {
				fmt.Fprintf(&b, "\n| Time | From | Packet | Frame in %s | Frame in %s | Fate | Changed |\n|---|---|---|---|---|---|---|\n",
					mdCode(v.Names[0], true), mdCode(v.Names[1], true))
				for _, pv := range notable {
					fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", pv.Time, pv.From, mdCode(pv.What, true), pv.Frames[0], pv.Frames[1], pv.Fate, mdText(dash(pv.Changes)))
				}
			}
		}
	}
	for _, cj := range c.Jumps {
		for _, j := range cj.Jumps {
			fmt.Fprintf(&b, "\n## Jump host in %s\n\n| | Leg 1: client → jump host | Leg 2: jump host → target |\n|---|---|---|\n", mdCode(cj.Capture, false))
			for i, r := range jumpRows(&j) {
				fmt.Fprintf(&b, "| %s | %s | %s |\n", []string{"Connection", "Seen as", "Ended"}[i], mdText(r[0]), mdText(r[1]))
			}
			fmt.Fprintf(&b, "\n%s\n", mdText(j.Summary()))
		}
	}
	for _, x := range c.warnings() {
		fmt.Fprintf(&b, "\nWarning: %s\n", mdText(x))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func capitalizeFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// threeLanes is the HTML drawing of one matched connection: the client-side
// capture on the left, the path in the middle, the server-side capture on
// the right. A packet that crossed is an arrow from lane to lane; one lost
// on the path stops in the middle; one made on the path starts there.
type threeLanes struct {
	Height  int
	Arrows  []svgArrow
	Marks   []svgMark
	Omitted int
}

type svgMark struct{ X, Y int }

func lanes(v pairView) threeLanes {
	var l threeLanes
	rows := v.Packets
	if len(rows) > maxRows*2 {
		l.Omitted = len(rows) - maxRows*2
		rows = rows[:maxRows*2]
	}
	l.Omitted += v.PacketsOmitted
	for i, pv := range rows {
		y := topMargin + i*rowHeight + rowHeight/2
		from, to := laneClient, laneServer
		if pv.fromSide == analyze.Server {
			from, to = laneServer, laneClient
		}
		a := svgArrow{Y: y, X1: from, X2: to, Class: "pkt"}
		switch pv.fate {
		case correlate.Dropped:
			a.X2, a.Class = laneMiddle, "rst"
			l.Marks = append(l.Marks, svgMark{laneMiddle, y})
		case correlate.Injected:
			a.X1, a.Class = laneMiddle, "forged"
		case correlate.Unseen, correlate.Resegmented:
			a.Class = "faint"
		}
		if pv.Changes != "" {
			a.Class = "changed"
		}
		if pv.rst && a.Class == "pkt" {
			a.Class = "rstok"
		}
		a.Label = fmt.Sprintf("%s %s  #%s / #%s  %s", pv.Time, pv.What, pv.Frames[0], pv.Frames[1], pv.Fate)
		if pv.Changes != "" {
			a.Label += ": " + pv.Changes
		}
		dir := 1
		if a.X2 < a.X1 {
			dir = -1
		}
		a.Head = fmt.Sprintf("%d,%d %d,%d %d,%d", a.X2, a.Y, a.X2-9*dir, a.Y-5, a.X2-9*dir, a.Y+5)
		l.Arrows = append(l.Arrows, a)
	}
	l.Height = topMargin + len(rows)*rowHeight + 30
	return l
}

type corrPage struct {
	Meta     Meta
	Inputs   []Input
	Head     string
	Clock    string
	Pairs    []pairView
	Rest     string
	Jumps    []htmlJump
	Warnings []string
}

type htmlJump struct {
	Capture string
	Rows    [][2]string
	Summary string
}

// CorrelationHTML writes the comparison as one self-contained page with a
// three-lane diagram per connection.
func CorrelationHTML(w io.Writer, c *Correlation, meta Meta) error {
	page := corrPage{Meta: meta, Inputs: c.Inputs, Warnings: c.warnings()}
	for _, cj := range c.Jumps {
		for _, j := range cj.Jumps {
			page.Jumps = append(page.Jumps, htmlJump{cj.Capture, jumpRows(&j), j.Summary()})
		}
	}
	if r := c.Result; r != nil {
		page.Head = fmt.Sprintf("%d connection%s in both captures, %d only in %s, %d only in %s.", len(r.Pairs), plural(len(r.Pairs)),
			len(r.Unmatched[0]), r.Captures[0].Name, len(r.Unmatched[1]), r.Captures[1].Name)
		page.Clock = capitalizeFirst(clockText(r)) + "."
		idx, rest := c.shown()
		page.Pairs = viewPairs(r, idx, true)
		if rest != "" {
			page.Rest = capitalizeFirst(rest) + "."
		}
	}
	return corrTmpl.Execute(w, page)
}

var corrTmpl = template.Must(template.New("correlation").Funcs(template.FuncMap{
	"safe":  Safe,
	"mid":   func(a, b int) int { return (a + b) / 2 },
	"width": func() int { return svgWidth },
	"laneX": func(n string) int {
		return map[string]int{"client": laneClient, "middle": laneMiddle, "server": laneServer}[n]
	},
	"name":     func(v pairView, i int) string { return v.Names[i] },
	"rowNames": func() []string { return []string{"Connection", "Seen as", "Ended"} },
}).Parse(htmlHead + `<title>rstsniff: two captures compared</title>
<style>
` + htmlCSS + `.finding { background: #fff8e6; border-left: 4px solid #e0a000; padding: 8px 12px; margin: 6px 0; }
svg .pkt { stroke-width: 2; } svg .rstok { stroke: #6a1b9a; stroke-width: 2.5; } svg .changed { stroke: #e07b00; stroke-width: 2.5; }
svg .faint { stroke: #99a; stroke-width: 1; stroke-dasharray: 2 3; } svg .cross { stroke: #c62828; stroke-width: 3; }
</style>
</head>
<body>
<h1>rstsniff: what happened between the capture points</h1>
<table>
{{range .Inputs}}<tr><th>Input</th><td><code>{{safe .Name}}</code>: {{.Format}}, {{.Frames}} packets</td></tr>
{{end}}<tr><th>rstsniff</th><td>{{.Meta.Version}}</td></tr>
{{if .Meta.Command}}<tr><th>Command</th><td><code>{{safe .Meta.Command}}</code></td></tr>{{end}}
</table>
{{if .Head}}<p>{{safe .Head}} {{.Clock}}</p>{{end}}
{{range .Warnings}}<p class="warn">Warning: {{safe .}}</p>{{end}}
{{range .Pairs}}{{$v := .}}
<h2 id="pair-{{.N}}">Connection {{.N}}: <code>{{.Client}}</code> → <code>{{.Server}}</code></h2>
<table>
<tr><th></th><th><code>{{name $v .CS}}</code> (nearer the client)</th><th><code>{{name $v .SS}}</code> (nearer the server)</th></tr>
<tr><th>Connection</th><td>{{(index .P.Flows .CS).ID}}: <code>{{(index .P.Flows .CS).Client}}</code> → <code>{{(index .P.Flows .CS).Server}}</code></td><td>{{(index .P.Flows .SS).ID}}: <code>{{(index .P.Flows .SS).Client}}</code> → <code>{{(index .P.Flows .SS).Server}}</code></td></tr>
<tr><th>Seen as</th><td>{{index .Ends .CS}}</td><td>{{index .Ends .SS}}</td></tr>
</table>
<p>Matched by {{.P.MatchedBy}} ({{.P.Votes}} packets); {{.P.Sides}}.{{if .Hops}} Routers between the points: {{.Hops}}.{{end}}{{if .P.NAT}} Address translation: {{.P.NAT}}.{{end}} Packets: {{.Counts}}.</p>
{{range .Findings}}<p class="finding"><code>{{.ID}}</code>: {{safe .Summary}}</p>{{else}}<p>Nothing happened on the path: every packet that left one point reached the other unchanged.</p>{{end}}
{{if .Resets}}<table><tr><th>RST in the name of</th><th>Frame in <code>{{name $v 0}}</code></th><th>Frame in <code>{{name $v 1}}</code></th><th>Proven</th><th>One capture said</th></tr>
{{range .Resets}}<tr><td>{{.From}}</td><td>{{index .Frames 0}}</td><td>{{index .Frames 1}}</td><td>{{.Verdict}}</td><td>{{.Guessed}} ({{.Right}})</td></tr>
{{end}}</table>{{end}}
{{with .Lanes}}<svg class="ladder" xmlns="http://www.w3.org/2000/svg" width="{{width}}" height="{{.Height}}" viewBox="0 0 {{width}} {{.Height}}" role="img" aria-label="three-lane diagram: client side, path, server side">
<text class="lanename" x="{{laneX "client"}}" y="22" text-anchor="middle">{{name $v $v.CS}}</text>
<text class="lanename" x="{{laneX "middle"}}" y="22" text-anchor="middle">path</text>
<text class="lanename" x="{{laneX "server"}}" y="22" text-anchor="middle">{{name $v $v.SS}}</text>
<line class="lane" x1="{{laneX "client"}}" y1="32" x2="{{laneX "client"}}" y2="{{.Height}}"/><line class="lane" x1="{{laneX "middle"}}" y1="32" x2="{{laneX "middle"}}" y2="{{.Height}}" stroke-dasharray="4 4"/><line class="lane" x1="{{laneX "server"}}" y1="32" x2="{{laneX "server"}}" y2="{{.Height}}"/>
{{range .Arrows}}<line class="{{.Class}}" x1="{{.X1}}" y1="{{.Y}}" x2="{{.X2}}" y2="{{.Y}}"/><polygon points="{{.Head}}" fill="#445"/><text class="label" x="{{mid .X1 .X2}}" y="{{.Y}}" dy="-4" text-anchor="middle">{{.Label}}</text>
{{end}}{{range .Marks}}<path class="cross" d="M{{.X}} {{.Y}} m-7 -7 l14 14 m0 -14 l-14 14"/>
{{end}}{{if .Omitted}}<text class="stage" x="8" y="{{.Height}}" dy="-8">{{.Omitted}} more packets, all delivered unchanged, not drawn.</text>{{end}}
</svg>{{end}}
<p>Arrows: blue delivered, purple a reset that really was sent, orange changed on the way, red stopping at the path lost there, red dashed from the path made there, grey dotted outside the other capture or resegmented. Labels: time at the client side, flags and length, #frame in <code>{{name $v 0}}</code> / #frame in <code>{{name $v 1}}</code> (- where it is missing), fate.</p>
{{end}}
{{if .Rest}}<p>{{.Rest}}</p>{{end}}
{{range .Jumps}}<h2>Jump host in <code>{{safe .Capture}}</code></h2>
<table><tr><th></th><th>Leg 1: client → jump host</th><th>Leg 2: jump host → target</th></tr>
{{range $i, $r := .Rows}}<tr><th>{{index (rowNames) $i}}</th><td>{{index $r 0}}</td><td>{{index $r 1}}</td></tr>
{{end}}</table>
<p class="finding">{{safe .Summary}}</p>{{end}}
</body>
</html>
`))

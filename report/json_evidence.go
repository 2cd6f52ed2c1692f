package report

import (
	"strconv"
	"time"

	"github.com/rstsniff/rstsniff/analyze"
)

// A reset's evidence in JSON: one object per fact, the typed fields of
// analyze.Evidence that its signal sets, and "text", the words the terminal
// prints for it. Machines read the fields, people the text; both come from
// the same analyze.Evidence, so they cannot disagree.

// jsonEvidence is one piece of evidence about who sent a reset.
type jsonEvidence struct {
	Signal   string `json:"signal"`
	PointsTo string `json:"points_to"` // an origin: "middlebox" (forged) or "endpoint" (genuine)
	Frames   []int  `json:"frames"`
	// TTL signals: the reset's TTL, the sender's other TTLs and where
	// they were counted.
	TTL           uint8        `json:"ttl,omitempty"`
	Baseline      jsonBaseline `json:"baseline,omitempty"`
	BaselineTotal int          `json:"baseline_packets,omitempty"`
	Scope         string       `json:"scope,omitempty"`
	// sender-kept-sending: what the sender sent after its "own" reset.
	Packet string `json:"packet,omitempty"`
	Bytes  int    `json:"bytes,omitempty"`
	// Delays in milliseconds, to the microsecond.
	DelayMS float64 `json:"delay_ms,omitempty"`
	RTTMS   float64 `json:"rtt_ms,omitempty"`
	// Signal-specific values; the pointers are set by their signal only.
	Seq   *uint32 `json:"seq,omitempty"`   // out-of-window
	IPID  *uint16 `json:"ip_id,omitempty"` // ip-id-continues
	Label uint32  `json:"flow_label,omitempty"`
	Seqs  int     `json:"seqs,omitempty"`  // burst: distinct sequence numbers
	Count int     `json:"count,omitempty"` // burst: resets
	Text  string  `json:"text"`

	// Where Seq and IPID point: in the object itself, so setting them
	// allocates nothing.
	seq  uint32
	ipID uint16
	// The fact itself, when it comes from the analysis: its text is
	// worded as the line is written, straight into it (Text stays empty).
	flow  *analyze.Flow
	reset *analyze.Reset
	ev    *analyze.Evidence
}

// jsonBaseline is a TTL baseline, written as [{"ttl":63,"packets":47}]:
// the analysis's own slice, not a copy (the allocation guard counts).
type jsonBaseline []analyze.TTLCount

func (b jsonBaseline) MarshalJSON() ([]byte, error) { return appendBaseline(nil, b), nil }

func appendBaseline(out []byte, b jsonBaseline) []byte {
	out = append(out, '[')
	for i, c := range b {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, `{"ttl":`...)
		out = strconv.AppendUint(out, uint64(c.TTL), 10)
		out = append(out, `,"packets":`...)
		out = strconv.AppendInt(out, int64(c.N), 10)
		out = append(out, '}')
	}
	return append(out, ']')
}

var packetKindNames = [...]string{analyze.KindNone: "", analyze.KindSYN: "syn", analyze.KindSYNACK: "syn-ack",
	analyze.KindData: "data", analyze.KindFIN: "fin"}

func packetKindName(k analyze.PacketKind) string {
	if int(k) < len(packetKindNames) {
		return packetKindNames[k]
	}
	return ""
}

// millis is a duration in milliseconds, rounded to the microsecond.
func millis(d time.Duration) float64 { return float64(d.Round(time.Microsecond).Microseconds()) / 1000 }

// scopeName names where a TTL baseline was counted.
func scopeName(s analyze.Scope) string {
	if s == analyze.ScopeCapture {
		return "capture"
	}
	return "connection"
}

// newEvidence turns a reset's evidence into objects, in s, each worded as
// its line is written.
func (s *jsonScratch) newEvidence(f *analyze.Flow, r *analyze.Reset) []jsonEvidence {
	start := len(s.evidence)
	for i := range r.Evidence {
		e := &r.Evidence[i]
		s.evidence = append(s.evidence, jsonEvidence{Signal: e.Signal.String(), PointsTo: e.PointsTo.Origin(), Frames: e.Frames,
			Packet: packetKindName(e.Packet), Bytes: e.Bytes, DelayMS: millis(e.Delay), RTTMS: millis(e.RTT),
			Label: e.Label, Seqs: e.Seqs, Count: e.Count, flow: f, reset: r, ev: e})
		j := &s.evidence[len(s.evidence)-1]
		if j.Frames == nil {
			j.Frames = []int{}
		}
		switch {
		case isTTLSignal(e.Signal):
			j.TTL, j.BaselineTotal, j.Scope = r.TTL, e.Baseline.Total, scopeName(e.Scope)
			j.Baseline = jsonBaseline(e.Baseline.Values)
		case e.Signal == analyze.SigOutOfWindow:
			j.seq = e.Seq
		case e.Signal == analyze.SigIPIDContinues:
			j.ipID = e.IPID
		}
	}
	out := s.evidence[start:len(s.evidence):len(s.evidence)]
	// Seq and IPID point into the objects where they now stay.
	for i := range out {
		switch out[i].ev.Signal {
		case analyze.SigOutOfWindow:
			out[i].Seq = &out[i].seq
		case analyze.SigIPIDContinues:
			out[i].IPID = &out[i].ipID
		}
	}
	if out == nil {
		return []jsonEvidence{}
	}
	return out
}

func isTTLSignal(s analyze.Signal) bool {
	return s == analyze.SigTTLMatch || s == analyze.SigTTLDistance || s == analyze.SigTTLUnlike
}

// appendEvidence writes a reset's evidence objects as encoding/json would.
func appendEvidence(o *jsonObject, ev []jsonEvidence) {
	o.objects("evidence", ev == nil, len(ev), func(i int) {
		e := &ev[i]
		o.str("signal", e.Signal)
		o.str("points_to", e.PointsTo)
		o.ints("frames", e.Frames)
		if e.TTL != 0 {
			o.uint("ttl", uint64(e.TTL))
		}
		if len(e.Baseline) > 0 {
			o.key("baseline")
			o.b = appendBaseline(o.b, e.Baseline)
		}
		if e.BaselineTotal != 0 {
			o.int("baseline_packets", int64(e.BaselineTotal))
		}
		o.strOmit("scope", e.Scope)
		o.strOmit("packet", e.Packet)
		if e.Bytes != 0 {
			o.int("bytes", int64(e.Bytes))
		}
		if e.DelayMS != 0 {
			o.float("delay_ms", e.DelayMS)
		}
		if e.RTTMS != 0 {
			o.float("rtt_ms", e.RTTMS)
		}
		if e.Seq != nil {
			o.uint("seq", uint64(*e.Seq))
		}
		if e.IPID != nil {
			o.uint("ip_id", uint64(*e.IPID))
		}
		if e.Label != 0 {
			o.uint("flow_label", uint64(e.Label))
		}
		if e.Seqs != 0 {
			o.int("seqs", int64(e.Seqs))
		}
		if e.Count != 0 {
			o.int("count", int64(e.Count))
		}
		if e.ev != nil {
			o.wordsStart("text")
			o.b = appendEvidenceText(o.b, e.flow, e.reset, e.ev)
			o.wordsClose()
		} else {
			o.str("text", e.Text)
		}
	})
}

// float writes a number as encoding/json does for the values written here
// (multiples of 0.001 well below 1e21: plain decimal, shortest form).
func (o *jsonObject) float(k string, v float64) {
	o.key(k)
	o.b = strconv.AppendFloat(o.b, v, 'f', -1, 64)
}

package report

import (
	"io"

	"github.com/rstsniff/rstsniff/catalog"
	"github.com/rstsniff/rstsniff/correlate"
)

// The JSON shapes of --correlate --format json: one "pair" line per
// matched connection, one "jump" line per jump, a "correlation-summary"
// line last.
type jsonPair struct {
	Type string `json:"type"`
	// SchemaVersion is report.SchemaVersion, in every line.
	SchemaVersion int `json:"schema_version"`
	// The line.
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
	// How strong that single-capture verdict was (none, weak, strong, proof).
	GuessedStrength string `json:"one_capture_strength"`
	// The sender that verdict named (one_capture_said is its coarse half).
	GuessedSender string `json:"one_capture_sender"`
}

type jsonCorrFind struct {
	ID      string   `json:"id"`
	Source  string   `json:"source"`
	Blame   string   `json:"blame"`
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
	Type string `json:"type"`
	// SchemaVersion is report.SchemaVersion, in every line.
	SchemaVersion int `json:"schema_version"`
	// The line.
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
	Type string `json:"type"`
	// SchemaVersion is report.SchemaVersion, in every line.
	SchemaVersion int `json:"schema_version"`
	// The line.
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
	s := jsonCorrelation{Type: "correlation-summary", SchemaVersion: SchemaVersion, Warnings: nonNil(c.warnings()), Inputs: []jsonInput{}, Findings: map[string]int{}}
	for _, in := range c.Inputs {
		s.Inputs = append(s.Inputs, newJSONInput(in))
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
			jp := jsonPair{Type: "pair", SchemaVersion: SchemaVersion, ID: n + 1, Client: Endpoint(p.Flows[cs].Client), Server: Endpoint(p.Flows[cs].Server),
				ClientSide: side(cs), ServerSide: side(ss), MatchedBy: matchedText(p.MatchedBy), Matched: p.Votes, Sides: sidesText(p), NAT: natText(p.NAT),
				Hops: p.Hops, Packets: map[string]int{}, Resets: []jsonProof{}, Findings: []jsonCorrFind{}, Events: []jsonPacketFate{}}
			for f := correlate.Delivered; f <= correlate.Unseen; f++ {
				jp.Packets[f.String()] = p.Counts[f]
			}
			names := [2]string{r.Captures[0].Name, r.Captures[1].Name}
			for _, rp := range p.Resets {
				jp.Resets = append(jp.Resets, jsonProof{rp.From.String(), rp.Fate.String(), rp.Frames, proofText(r, rp, names, p), rp.Guessed.Origin(), rp.GuessedStrength.String(), rp.GuessedSender.String()})
			}
			for i := range p.Findings {
				f := &p.Findings[i]
				jp.Findings = append(jp.Findings, jsonCorrFind{string(f.ID), catalog.SourceSecondCapture.String(), f.ID.Entry().Blame.String(),
					findingSummary(r, f), [2][]int{nonNilInts(f.Frames[0]), nonNilInts(f.Frames[1])}})
				s.Findings[string(f.ID)]++
			}
			for _, pk := range p.Packets {
				if pk.Fate == correlate.Delivered && pk.Changes == nil {
					continue
				}
				jp.Events = append(jp.Events, jsonPacketFate{From: pk.From.String(), Fate: pk.Fate.String(), Frames: p.Frames(&pk), Changes: changeTexts(pk.Changes)})
			}
			if err := writeLine(w, jp); err != nil {
				return err
			}
		}
	}
	for _, cj := range c.Jumps {
		for _, j := range cj.Jumps {
			jj := jsonJump{Type: "jump", SchemaVersion: SchemaVersion, Capture: cj.Capture, First: j.First + 1, Gap: j.Gap.Seconds(), Summary: jumpSummary(&j)}
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

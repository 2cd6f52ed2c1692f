package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/correlate"
	"github.com/rstsniff/rstsniff/decode"
)

// The sentences of the correlation report, every format's: correlate
// returns facts, these functions word them. Capture names go in raw; each
// format escapes the sentence as it writes it.

// findingSummary words a finding of pair p: the JSON "summary".
func findingSummary(r *correlate.Result, f *correlate.Finding) string {
	name := func(i int) string { return r.Captures[i].Name }
	si, ri := f.Sender, 1-f.Sender
	from, to, n := f.From, f.From.Other(), f.Packets
	switch f.ID {
	case correlate.FindForged:
		return fmt.Sprintf("%s the %s received in the %s's name (%s %s) never left the %s: %s recorded the connection from %s to %s (by its clock) without %s. Something between the two capture points made %s.",
			countNoun(n, "The reset", "resets"), to, from, name(ri), frameList(f.Frames[ri]), from, name(si),
			clockOfDay(f.Span[0]), clockOfDay(f.Span[1]), pronoun(n, "it", "them"), pronoun(n, "it", "them"))
	case correlate.FindInjected:
		return fmt.Sprintf("%s the %s received from the %s's address (%s %s) %s never sent: %s does not have %s.",
			countNoun(n, "A packet", "packets"), to, from, name(ri), frameList(f.Frames[ri]), pronoun(n, "was", "were"),
			name(si), pronoun(n, "it", "them"))
	case correlate.FindDropped:
		when := "at " + clockOfDay(f.Span[0])
		if n > 1 {
			when = "from " + clockOfDay(f.Span[0]) + " to " + clockOfDay(f.Span[1])
		}
		return fmt.Sprintf("%s the %s sent never reached the %s (%s %s; %s): lost between the two capture points, %s by the %s's clock.",
			countNoun(n, "A packet", "packets"), from, to, name(si), frameList(f.Frames[si]), carriedText(f.Lost), when, from)
	case correlate.FindAbsent:
		have, lacks := si, ri
		what := fmt.Sprintf("left the %s's side", from)
		cond := pronoun(n, "it was", "they were") + " lost on the path"
		if f.Would == correlate.Injected {
			have, lacks = ri, si
			what = fmt.Sprintf("reached the %s in the %s's name", to, from)
			cond = "something on the path made " + pronoun(n, "it", "them")
		}
		c := r.Captures[lacks]
		edge := "nothing after " + clockOfDay(c.End)
		if f.Span[0].Before(c.Start) {
			edge = "nothing before " + clockOfDay(c.Start)
		}
		when := "at " + clockOfDay(f.Span[0])
		if n > 1 {
			when = "from " + clockOfDay(f.Span[0]) + " to " + clockOfDay(f.Span[1])
		}
		return fmt.Sprintf("%s %s (%s %s, %s by its clock) %s absent from %s, which holds %s: if it was running then, %s. A capture file does not record when capturing stopped, so the path is not called clean either.",
			countNoun(n, "A packet that", "packets that"), what, name(have), frameList(f.Frames[have]), when, pronoun(n, "is", "are"), name(lacks), edge, cond)
	case correlate.FindModified:
		subject := fmt.Sprintf("The %s's %s", from, kindText(f.First, f.FirstLen))
		if n > 1 {
			subject = fmt.Sprintf("%d packets from the %s (the first a %s)", n, from, kindText(f.First, f.FirstLen))
		}
		return fmt.Sprintf("%s changed on the way: %s (sent as %s %s, received as %s %s).%s",
			subject, changeText(f.Change), name(si), frameList(f.Frames[si]), name(ri), frameList(f.Frames[ri]), changeHint(f.Change))
	}
	return string(f.ID)
}

// optionNames name the TCP options whose presence correlate compares.
var optionNames = map[correlate.Field]string{
	correlate.FieldMSS: "MSS", correlate.FieldWScale: "window scale", correlate.FieldSACKPerm: "SACK-permitted",
	correlate.FieldSACK: "SACK", correlate.FieldTimestamp: "timestamp", correlate.FieldMD5: "TCP-MD5", correlate.FieldAO: "TCP-AO",
}

// changeText words one change: "MSS 1460 -> 1200", "window scale option
// removed", "acknowledgment number changed by 12".
func changeText(c correlate.Change) string {
	switch c.Field {
	case correlate.FieldMSS:
		switch c.Op {
		case correlate.Removed:
			return fmt.Sprintf("MSS option %d removed", c.Sent)
		case correlate.Added:
			return fmt.Sprintf("MSS option %d added", c.Got)
		}
		return fmt.Sprintf("MSS %d -> %d", c.Sent, c.Got)
	case correlate.FieldWindow:
		return fmt.Sprintf("window %d -> %d", c.Sent, c.Got)
	case correlate.FieldAck:
		return fmt.Sprintf("acknowledgment number changed by %d", c.Shift)
	case correlate.FieldFlags:
		return fmt.Sprintf("flags %s -> %s", decode.Flags(c.Sent), decode.Flags(c.Got))
	case correlate.FieldPayload:
		return fmt.Sprintf("payload changed (%d bytes)", c.Bytes)
	}
	switch c.Op {
	case correlate.Removed:
		return optionNames[c.Field] + " option removed"
	case correlate.Added:
		return optionNames[c.Field] + " option added"
	}
	return fmt.Sprintf("%s %d -> %d", optionNames[c.Field], c.Sent, c.Got)
}

// changesText words a packet's changes, "; " between them.
func changesText(cs []correlate.Change) string {
	return strings.Join(changeTexts(cs), "; ")
}

// changeTexts words each change; nil for none.
func changeTexts(cs []correlate.Change) []string {
	var s []string
	for _, c := range cs {
		s = append(s, changeText(c))
	}
	return s
}

// changeHint says who makes such a change, after a sentence (a leading
// space), or nothing. A window scale option added gets the proxy's hint,
// as a rewritten window does.
func changeHint(c correlate.Change) string {
	switch {
	case c.Field == correlate.FieldMSS && c.Op == correlate.Rewritten:
		return " A firewall or router clamps the MSS (iptables TCPMSS, \"ip tcp adjust-mss\"): harmless unless the path MTU is smaller still."
	case c.Field != correlate.FieldMSS && c.Op == correlate.Removed:
		return " A middlebox strips TCP options."
	case c.Field == correlate.FieldPayload:
		return " Something on the path rewrites data: the SSH packet's MAC fails and the connection dies."
	case c.Field == correlate.FieldAck || c.Field == correlate.FieldWindow || c.Field == correlate.FieldWScale:
		return " A proxy or a stateful firewall rewrites TCP."
	}
	return ""
}

// carriedText says what the packets lost carried.
func carriedText(c correlate.Carried) string {
	var parts []string
	if c.SYNs > 0 {
		parts = append(parts, countNoun(c.SYNs, "a SYN", "SYNs"))
	}
	if c.Segments == 1 {
		parts = append(parts, fmt.Sprintf("%d bytes of data", c.Bytes))
	}
	if c.Segments > 1 {
		s := fmt.Sprintf("%d data segments with %d bytes, the largest %d", c.Segments, c.Bytes, c.Largest)
		if c.Retransmitted > 0 {
			s += fmt.Sprintf(", %d of them retransmissions", c.Retransmitted)
		}
		parts = append(parts, s)
	}
	if c.Empty > 0 {
		parts = append(parts, countNoun(c.Empty, "one without data", "without data"))
	}
	return strings.Join(parts, ", ")
}

// kindText names a kind of packet; data says how much.
func kindText(k correlate.Kind, n int) string {
	if k == correlate.KindData {
		return fmt.Sprintf("%d bytes of data", n)
	}
	return k.String()
}

// matchedText says what tied a pair's two flows together.
func matchedText(m correlate.MatchedBy) string {
	if m == correlate.ByTuple {
		return "addresses, ports and sequence numbers"
	}
	s := "sequence numbers"
	if m.SYN() {
		s = "initial sequence numbers"
	}
	if m.Timestamps() {
		s += " and TCP timestamps"
	}
	return s
}

// sidesText says how the capture nearer the client was told apart.
func sidesText(p *correlate.Pair) string {
	name := p.Flows[0].TTLName() // "TTL", or IPv6's "hop limit"
	switch p.OrientedBy {
	case correlate.ByClientTTL:
		return "the client's packets lose " + name + " from one capture to the other"
	case correlate.ByServerTTL:
		return "the server's packets lose " + name + " from one capture to the other"
	case correlate.ByTiming:
		return capitalizeFirst(name) + "s are the same at both points (no router between them), so the timing tells: the packets seen at both points, both ways, reach the other point later only this way round"
	}
	return capitalizeFirst(name) + "s are the same at both points (no router between them): the first capture is taken as the client's"
}

// natText says how addresses or ports were rewritten; empty when they
// were not.
func natText(n correlate.NAT) string {
	var nat []string
	if n.Client[0] != n.Client[1] {
		nat = append(nat, fmt.Sprintf("the client %s reached the server as %s", n.Client[0], n.Client[1]))
	}
	if n.Server[0] != n.Server[1] {
		nat = append(nat, fmt.Sprintf("the client reached %s for %s", n.Server[1], n.Server[0]))
	}
	return strings.Join(nat, "; ")
}

// hopsText says how many routers each side's packets crossed.
func hopsText(p *correlate.Pair) string {
	var hops []string
	for i, who := range []string{"client's", "server's"} {
		if p.Hops[i] >= 0 {
			hops = append(hops, fmt.Sprintf("%d for the %s packets", p.Hops[i], who))
		}
	}
	return strings.Join(hops, ", ")
}

// countsText counts a pair's packets by fate.
func countsText(p *correlate.Pair) string {
	return fmt.Sprintf("%d delivered, %d dropped, %d injected, %d resegmented, %d outside the other capture",
		p.Counts[correlate.Delivered], p.Counts[correlate.Dropped], p.Counts[correlate.Injected],
		p.Counts[correlate.Resegmented], p.Counts[correlate.Unseen])
}

// restText says which matched connections are not listed; empty when all
// are.
func restText(quiet, over, limit int) string {
	var parts []string
	if quiet > 0 {
		parts = append(parts, fmt.Sprintf("%d connection%s in both captures with nothing on the path and no reset (--all lists them)", quiet, plural(quiet)))
	}
	if over > 0 {
		parts = append(parts, fmt.Sprintf("%d more not listed (at most %d are)", over, limit))
	}
	return strings.Join(parts, "; ")
}

// endText says how one capture saw a connection end.
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

// proofText says what the two captures prove of a reset.
func proofText(r *correlate.Result, rp correlate.ResetProof, names [2]string, p *correlate.Pair) string {
	sender := p.SenderSide(rp.From)
	switch rp.Fate {
	case correlate.Delivered:
		return fmt.Sprintf("sent by the %s (left in %s, arrived in %s)", rp.From, names[sender], names[1-sender])
	case correlate.Injected:
		return fmt.Sprintf("FORGED on the path: never left the %s (%s does not have it)", rp.From, names[sender])
	case correlate.Dropped:
		return fmt.Sprintf("sent by the %s, lost on the path", rp.From)
	case correlate.Unseen:
		// A capture file does not record when capturing stopped: the
		// verdict is stated on that condition, never as a fact.
		c := r.Captures[rp.Absent]
		would := fmt.Sprintf("this reset was FORGED on the path (it never left the %s)", rp.From)
		if rp.Would == correlate.Dropped {
			would = fmt.Sprintf("the %s sent this reset and it was lost on the path", rp.From)
		}
		if rp.At.Before(c.Start) {
			return fmt.Sprintf("unproven: if %s was already running at %s, %s: it holds nothing before %s",
				names[rp.Absent], clockOfDay(rp.At), would, clockOfDay(c.Start))
		}
		return fmt.Sprintf("unproven: if %s was still running at %s, %s: it holds nothing after %s",
			names[rp.Absent], clockOfDay(rp.At), would, clockOfDay(c.End))
	}
	return rp.Fate.String()
}

// guessText is what one capture alone said of a reset, and whether the
// two captures proved it right. A firewall on the claimed sender's own
// host sends from beyond every point on the path: a reset that left the
// point nearer that host proves it right, one forged between the points
// wrong.
func guessText(rp correlate.ResetProof) (string, string) {
	host := rp.GuessedSender.HostFirewall()
	g := rp.Guessed.Origin()
	if host {
		g = rp.GuessedSender.String()
	}
	if rp.GuessedStrength != analyze.StrengthNone {
		g += ", " + rp.GuessedStrength.String()
	}
	switch {
	case rp.Guessed == analyze.VerdictUnknown:
		return g, "-"
	case rp.Fate == correlate.Injected:
		if rp.Guessed == analyze.VerdictForged && !host {
			return g, "right"
		}
		return g, "wrong"
	case rp.Fate == correlate.Delivered || rp.Fate == correlate.Dropped:
		if rp.Guessed == analyze.VerdictGenuine || host {
			return g, "right"
		}
		return g, "wrong"
	}
	return g, "-"
}

// clockText says how the two capture clocks compare.
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

// jumpSummary says which leg of a jump ended first and how: the JSON
// "summary" of a jump.
func jumpSummary(j *correlate.Jump) string {
	f, o := j.First, 1-j.First
	return fmt.Sprintf("%s ended first: %s at %s. %s ended %s later: %s.", capitalizeFirst(legName(f, j.Legs[f])), legEvent(f, j.Legs[f]),
		clockOfDay(j.Ends[f]), capitalizeFirst(legName(o, j.Legs[o])), j.Gap.Round(time.Microsecond), legEvent(o, j.Legs[o]))
}

// role names a leg's ends: the client and the jump host, then the jump
// host and the target.
func role(leg int, s analyze.Side) string {
	roles := [2][2]string{{"client", "jump host"}, {"jump host", "target"}}
	if s == analyze.Server {
		return roles[leg][1]
	}
	return roles[leg][0]
}

func legName(leg int, f *analyze.Flow) string {
	return fmt.Sprintf("leg %d (%s %s -> %s %s)", leg+1, role(leg, analyze.Client), f.Client, role(leg, analyze.Server), f.Server)
}

func legEvent(leg int, f *analyze.Flow) string {
	if len(f.Resets) > 0 {
		r := f.Resets[0]
		return fmt.Sprintf("a reset in the %s's name (frame %d) in the %s stage", role(leg, r.From), r.Packet, r.Stage)
	}
	if f.ClosedBy != analyze.SideNone {
		return fmt.Sprintf("%s by the %s in the %s stage", f.Outcome, role(leg, f.ClosedBy), f.Stage)
	}
	return fmt.Sprintf("%s in the %s stage", f.Outcome, f.Stage)
}

func countNoun(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func pronoun(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func capitalizeFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// frameList writes frame numbers, runs as ranges: "frames 4, 7-9"; past
// a dozen runs it says how many more.
func frameList(frames []int) string {
	if len(frames) == 1 {
		return fmt.Sprintf("frame %d", frames[0])
	}
	var b strings.Builder
	b.WriteString("frames ")
	runs := 0
	for i := 0; i < len(frames); {
		if runs++; runs > 12 {
			fmt.Fprintf(&b, " and %d more", len(frames)-i)
			break
		}
		j := i
		for j+1 < len(frames) && frames[j+1] == frames[j]+1 {
			j++
		}
		if i > 0 {
			b.WriteString(", ")
		}
		if j > i+1 {
			fmt.Fprintf(&b, "%d-%d", frames[i], frames[j])
		} else if j == i+1 {
			fmt.Fprintf(&b, "%d, %d", frames[i], frames[j])
		} else {
			fmt.Fprintf(&b, "%d", frames[i])
		}
		i = j + 1
	}
	return b.String()
}

// clockOfDay writes a time of day to the microsecond, UTC: the times in
// the correlation's sentences.
func clockOfDay(t time.Time) string { return t.UTC().Format("15:04:05.000000") }

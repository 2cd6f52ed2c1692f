package correlate

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/decode"
)

// clock estimates the second capture's clock offset and the one-way delay
// from the packets seen at both points: a packet from the first capture's
// side arrives offset+delay later by the second's clock, one from the
// second's side delay-offset later by the first's. The smallest transit
// in each direction is the least delayed by queues.
func (r *Result) clock() {
	const none = time.Duration(1<<63 - 1)
	minAB, minBA := none, none
	for _, p := range r.Pairs {
		for _, pk := range p.Packets {
			if pk.Fate != Delivered {
				continue
			}
			si := p.SenderSide(pk.From)
			ts, tr := p.Flows[si].Log[pk.Sent].Time, p.Flows[1-si].Log[pk.Recv].Time
			r.OffsetFrom++
			if si == 0 {
				minAB = min(minAB, tr.Sub(ts))
			} else {
				minBA = min(minBA, tr.Sub(ts))
			}
		}
	}
	switch {
	case minAB != none && minBA != none:
		r.Offset, r.Delay, r.TwoWay = (minAB-minBA)/2, (minAB+minBA)/2, true
	case minAB != none:
		r.Offset = minAB
	case minBA != none:
		r.Offset = -minBA
	}
}

// toOther converts a time in capture i's clock to the other capture's.
func (r *Result) toOther(i int, t time.Time) time.Time {
	if i == 0 {
		return t.Add(r.Offset)
	}
	return t.Add(-r.Offset)
}

// covers reports whether capture i was running at t: between its first and
// its last packet, give or take margin. Outside, a packet it lacks may have
// come after it stopped, so it is not called lost or forged. (A capture
// file does not say when it stopped; the margin allows for a packet that
// crossed the path while the other end's last one was being recorded.)
func (r *Result) covers(i int, t time.Time) bool {
	c := r.Captures[i]
	return !t.Before(c.Start.Add(-margin)) && !t.After(c.End.Add(margin))
}

const margin = 100 * time.Microsecond

// judge decides the fates the other capture's span cannot vouch for,
// proves each reset and writes the findings.
func (p *Pair) judge(r *Result) {
	for i := range p.Packets {
		pk := &p.Packets[i]
		si := p.SenderSide(pk.From)
		switch pk.Fate {
		case Dropped:
			at := r.toOther(si, p.Flows[si].Log[pk.Sent].Time.Add(r.Delay))
			if !r.covers(1-si, at) {
				pk.Fate = Unseen
			}
		case Injected:
			at := r.toOther(1-si, p.Flows[1-si].Log[pk.Recv].Time.Add(-r.Delay))
			if !r.covers(si, at) {
				pk.Fate = Unseen
			}
		}
		p.Counts[pk.Fate]++
	}
	sort.SliceStable(p.Packets, func(i, j int) bool { return p.when(r, &p.Packets[i]).Before(p.when(r, &p.Packets[j])) })

	name := func(i int) string { return r.Captures[i].Name }
	frame := func(i, j int) int { return p.Flows[i].Log[j].Frame }
	var dropped, injected, forged [2][]*Packet // by sender side index
	mods := map[string][]*Packet{}
	var modOrder []string
	for i := range p.Packets {
		pk := &p.Packets[i]
		si := p.SenderSide(pk.From)
		x := p.Record(pk)
		if x.Flags.Has(decode.RST) {
			rp := ResetProof{From: pk.From, Fate: pk.Fate, Time: x.Time}
			if pk.Sent >= 0 {
				rp.Frames[si] = frame(si, pk.Sent)
			}
			if pk.Recv >= 0 {
				rp.Frames[1-si] = frame(1-si, pk.Recv)
				rp.Guessed = guessed(p.Flows[1-si], rp.Frames[1-si])
			} else {
				rp.Guessed = guessed(p.Flows[si], rp.Frames[si])
			}
			p.Resets = append(p.Resets, rp)
		}
		switch {
		case pk.Fate == Dropped:
			dropped[sideIndex(pk.From)] = append(dropped[sideIndex(pk.From)], pk)
		case pk.Fate == Injected && x.Flags.Has(decode.RST):
			forged[sideIndex(pk.From)] = append(forged[sideIndex(pk.From)], pk)
		case pk.Fate == Injected:
			injected[sideIndex(pk.From)] = append(injected[sideIndex(pk.From)], pk)
		case pk.Fate == Delivered && len(pk.Changes) > 0:
			for _, c := range pk.Changes {
				k := pk.From.String() + "\x00" + c
				if mods[k] == nil {
					modOrder = append(modOrder, k)
				}
				mods[k] = append(mods[k], pk)
			}
		}
	}
	for _, from := range []analyze.Side{analyze.Client, analyze.Server} {
		si := p.SenderSide(from)
		ri := 1 - si
		to := from.Other()
		if l := forged[sideIndex(from)]; len(l) > 0 {
			f := Finding{ID: FindForged}
			for _, pk := range l {
				f.Frames[ri] = append(f.Frames[ri], frame(ri, pk.Recv))
			}
			f.Summary = fmt.Sprintf("%s the %s received in the %s's name (%s %s) never left the %s: %s recorded the connection from %s to %s (by its clock) without %s. Something between the two capture points made %s.",
				countNoun(len(l), "The reset", "resets"), to, from, name(ri), frameList(f.Frames[ri]), from, name(si),
				stamp(p.Flows[si].Start), stamp(p.Flows[si].End), pronoun(len(l), "it", "them"), pronoun(len(l), "it", "them"))
			p.Findings = append(p.Findings, f)
		}
		if l := injected[sideIndex(from)]; len(l) > 0 {
			f := Finding{ID: FindInjected}
			for _, pk := range l {
				f.Frames[ri] = append(f.Frames[ri], frame(ri, pk.Recv))
			}
			f.Summary = fmt.Sprintf("%s the %s received from the %s's address (%s %s) %s never sent: %s does not have %s.",
				countNoun(len(l), "A packet", "packets"), to, from, name(ri), frameList(f.Frames[ri]), pronoun(len(l), "was", "were"),
				name(si), pronoun(len(l), "it", "them"))
			p.Findings = append(p.Findings, f)
		}
		if l := dropped[sideIndex(from)]; len(l) > 0 {
			f := Finding{ID: FindDropped}
			for _, pk := range l {
				f.Frames[si] = append(f.Frames[si], p.Flows[si].Log[pk.Sent].Frame)
			}
			first, last := p.Flows[si].Log[l[0].Sent], p.Flows[si].Log[l[len(l)-1].Sent]
			when := "at " + stamp(first.Time)
			if len(l) > 1 {
				when = "from " + stamp(first.Time) + " to " + stamp(last.Time)
			}
			f.Summary = fmt.Sprintf("%s the %s sent never reached the %s (%s; %s): lost between the two capture points, %s by the %s's clock.",
				countNoun(len(l), "A packet", "packets"), from, to, name(si)+" "+frameList(f.Frames[si]), describe(p.Flows[si].Log, l),
				when, from)
			p.Findings = append(p.Findings, f)
		}
	}
	for _, k := range modOrder {
		from, c, _ := strings.Cut(k, "\x00")
		l := mods[k]
		f := Finding{ID: FindModified}
		var si int
		for _, pk := range l {
			si = p.SenderSide(pk.From)
			f.Frames[si] = append(f.Frames[si], frame(si, pk.Sent))
			f.Frames[1-si] = append(f.Frames[1-si], frame(1-si, pk.Recv))
		}
		x := p.Flows[si].Log[l[0].Sent]
		subject := fmt.Sprintf("The %s's %s", from, kind(&x))
		if len(l) > 1 {
			subject = fmt.Sprintf("%d packets from the %s (the first a %s)", len(l), from, kind(&x))
		}
		f.Summary = fmt.Sprintf("%s changed on the way: %s (sent as %s %s, received as %s %s).%s",
			subject, c, name(si), frameList(f.Frames[si]), name(1-si), frameList(f.Frames[1-si]), hint(c))
		p.Findings = append(p.Findings, f)
	}
}

// when places a packet on the first capture's clock.
func (p *Pair) when(r *Result, pk *Packet) time.Time {
	si := p.SenderSide(pk.From)
	if pk.Sent >= 0 {
		t := p.Flows[si].Log[pk.Sent].Time
		if si == 1 {
			t = r.toOther(1, t)
		}
		return t
	}
	t := p.Flows[1-si].Log[pk.Recv].Time.Add(-r.Delay)
	if 1-si == 1 {
		t = r.toOther(1, t)
	}
	return t
}

// Record returns the packet as its first sighting recorded it.
func (p *Pair) Record(pk *Packet) *analyze.PacketRecord {
	si := p.SenderSide(pk.From)
	if pk.Sent >= 0 {
		return &p.Flows[si].Log[pk.Sent]
	}
	return &p.Flows[1-si].Log[pk.Recv]
}

// Frames returns the packet's frame number in each capture, 0 where that
// capture does not have it.
func (p *Pair) Frames(pk *Packet) [2]int {
	var fr [2]int
	si := p.SenderSide(pk.From)
	if pk.Sent >= 0 {
		fr[si] = p.Flows[si].Log[pk.Sent].Frame
	}
	if pk.Recv >= 0 {
		fr[1-si] = p.Flows[1-si].Log[pk.Recv].Frame
	}
	return fr
}

func guessed(f *analyze.Flow, frame int) analyze.Origin {
	for _, r := range f.Resets {
		if r.Packet == frame {
			return r.Origin
		}
	}
	return analyze.OriginUnknown
}

func kind(x *analyze.PacketRecord) string {
	switch {
	case x.Flags.Has(decode.SYN | decode.ACK):
		return "SYN-ACK"
	case x.Flags.Has(decode.SYN):
		return "SYN"
	case x.Flags.Has(decode.RST):
		return "RST"
	case x.Flags.Has(decode.FIN):
		return "FIN"
	case x.Len > 0:
		return fmt.Sprintf("%d bytes of data", x.Len)
	}
	return "ACK"
}

// describe says what a list of packets carried.
func describe(log []analyze.PacketRecord, l []*Packet) string {
	var data, syn, ctl, bytes, big int
	seqs := map[uint32]bool{}
	for _, pk := range l {
		x := &log[pk.Sent]
		switch {
		case x.Flags.Has(decode.SYN):
			syn++
		case x.Len > 0:
			data++
			bytes += x.Len
			big = max(big, x.Len)
			seqs[x.RawSeq] = true
		default:
			ctl++
		}
	}
	var parts []string
	if syn > 0 {
		parts = append(parts, countNoun(syn, "a SYN", "SYNs"))
	}
	if data == 1 {
		parts = append(parts, fmt.Sprintf("%d bytes of data", bytes))
	}
	if data > 1 {
		s := fmt.Sprintf("%d data segments with %d bytes, the largest %d", data, bytes, big)
		if len(seqs) < data {
			s += fmt.Sprintf(", %d of them retransmissions", data-len(seqs))
		}
		parts = append(parts, s)
	}
	if ctl > 0 {
		parts = append(parts, countNoun(ctl, "one without data", "without data"))
	}
	return strings.Join(parts, ", ")
}

func hint(change string) string {
	switch {
	case strings.HasPrefix(change, "MSS") && strings.Contains(change, "->"):
		return " A firewall or router clamps the MSS (iptables TCPMSS, \"ip tcp adjust-mss\"): harmless unless the path MTU is smaller still."
	case strings.HasSuffix(change, "option removed"):
		return " A middlebox strips TCP options."
	case strings.HasPrefix(change, "payload"):
		return " Something on the path rewrites data: the SSH packet's MAC fails and the connection dies."
	case strings.HasPrefix(change, "acknowledgment") || strings.HasPrefix(change, "window "):
		return " A proxy or a stateful firewall rewrites TCP."
	}
	return ""
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

func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
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

func stamp(t time.Time) string { return t.UTC().Format("15:04:05.000000") }

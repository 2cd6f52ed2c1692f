package correlate

import (
	"sort"
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
	end := c.End
	if c.Stopped.After(end) {
		end = c.Stopped // the capture says it ran until then
	}
	return !t.Before(c.Start.Add(-margin)) && !t.After(end.Add(margin))
}

const margin = 100 * time.Microsecond

// judge decides the fates the other capture's span cannot vouch for,
// proves each reset and writes the findings.
func (p *Pair) judge(r *Result) {
	// Where each unseen packet would have been, and what it would be.
	type unseenAt struct {
		absent int
		at     time.Time
		would  Fate
	}
	unseen := map[*Packet]unseenAt{}
	for i := range p.Packets {
		pk := &p.Packets[i]
		si := p.SenderSide(pk.From)
		switch pk.Fate {
		case Dropped:
			at := r.toOther(si, p.Flows[si].Log[pk.Sent].Time.Add(r.Delay))
			if !r.covers(1-si, at) {
				pk.Fate = Unseen
				unseen[pk] = unseenAt{1 - si, at, Dropped}
			}
		case Injected:
			at := r.toOther(1-si, p.Flows[1-si].Log[pk.Recv].Time.Add(-r.Delay))
			if !r.covers(si, at) {
				pk.Fate = Unseen
				unseen[pk] = unseenAt{si, at, Injected}
			}
		}
		p.Counts[pk.Fate]++
	}
	// The map is keyed by address: sorting below moves the packets, so
	// the facts are copied to a slice parallel to p.Packets first.
	type keyed struct {
		pk Packet
		u  unseenAt
		ok bool
	}
	all := make([]keyed, len(p.Packets))
	for i := range p.Packets {
		u, ok := unseen[&p.Packets[i]]
		all[i] = keyed{p.Packets[i], u, ok}
	}
	sort.SliceStable(all, func(i, j int) bool { return p.when(r, &all[i].pk).Before(p.when(r, &all[j].pk)) })
	for i := range all {
		p.Packets[i] = all[i].pk
	}

	frame := func(i, j int) int { return p.Flows[i].Log[j].Frame }
	var dropped, injected, forged [2][]*Packet // by sender side index
	var absent [2][2][]*Packet                 // unseen, by sender side index and by what they would be (0 dropped, 1 injected)
	type modKey struct {
		from analyze.Side
		c    Change
	}
	mods := map[modKey][]*Packet{}
	var modOrder []modKey
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
				rp.GuessedSender, rp.GuessedStrength = guessed(p.Flows[1-si], rp.Frames[1-si])
			} else {
				rp.GuessedSender, rp.GuessedStrength = guessed(p.Flows[si], rp.Frames[si])
			}
			rp.Guessed = rp.GuessedSender.Verdict()
			if all[i].ok {
				rp.Absent, rp.At, rp.Would = all[i].u.absent, all[i].u.at, all[i].u.would
			}
			p.Resets = append(p.Resets, rp)
		}
		switch {
		case pk.Fate == Unseen && all[i].ok && !x.Flags.Has(decode.RST): // resets: in p.Resets
			w := 0
			if all[i].u.would == Injected {
				w = 1
			}
			absent[sideIndex(pk.From)][w] = append(absent[sideIndex(pk.From)][w], pk)
		case pk.Fate == Dropped:
			dropped[sideIndex(pk.From)] = append(dropped[sideIndex(pk.From)], pk)
		case pk.Fate == Injected && x.Flags.Has(decode.RST):
			forged[sideIndex(pk.From)] = append(forged[sideIndex(pk.From)], pk)
		case pk.Fate == Injected:
			injected[sideIndex(pk.From)] = append(injected[sideIndex(pk.From)], pk)
		case pk.Fate == Delivered && len(pk.Changes) > 0:
			for _, c := range pk.Changes {
				k := modKey{pk.From, c}
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
		if l := forged[sideIndex(from)]; len(l) > 0 {
			f := Finding{ID: FindForged, From: from, Sender: si, Packets: len(l), Span: [2]time.Time{p.Flows[si].Start, p.Flows[si].End}}
			for _, pk := range l {
				f.Frames[ri] = append(f.Frames[ri], frame(ri, pk.Recv))
			}
			p.Findings = append(p.Findings, f)
		}
		if l := injected[sideIndex(from)]; len(l) > 0 {
			f := Finding{ID: FindInjected, From: from, Sender: si, Packets: len(l)}
			for _, pk := range l {
				f.Frames[ri] = append(f.Frames[ri], frame(ri, pk.Recv))
			}
			p.Findings = append(p.Findings, f)
		}
		if l := dropped[sideIndex(from)]; len(l) > 0 {
			f := Finding{ID: FindDropped, From: from, Sender: si, Packets: len(l), Lost: carried(p.Flows[si].Log, l)}
			for _, pk := range l {
				f.Frames[si] = append(f.Frames[si], p.Flows[si].Log[pk.Sent].Frame)
			}
			f.Span = [2]time.Time{p.Flows[si].Log[l[0].Sent].Time, p.Flows[si].Log[l[len(l)-1].Sent].Time}
			p.Findings = append(p.Findings, f)
		}
	}
	// Packets the other capture does not have, from a time it holds
	// nothing of: lost or made on the path if it was still running, but a
	// capture file (without pcapng statistics) does not say when it stopped.
	for _, from := range []analyze.Side{analyze.Client, analyze.Server} {
		si := p.SenderSide(from)
		for w, l := range absent[sideIndex(from)] {
			if len(l) == 0 {
				continue
			}
			f := Finding{ID: FindAbsent, From: from, Sender: si, Packets: len(l), Would: Dropped}
			have := si // the capture that has them
			if w == 1 {
				f.Would, have = Injected, 1-si
			}
			for _, pk := range l {
				x := pk.Sent
				if have != si {
					x = pk.Recv
				}
				f.Frames[have] = append(f.Frames[have], p.Flows[have].Log[x].Frame)
			}
			first, last := l[0].Sent, l[len(l)-1].Sent
			if have != si {
				first, last = l[0].Recv, l[len(l)-1].Recv
			}
			f.Span = [2]time.Time{p.Flows[have].Log[first].Time, p.Flows[have].Log[last].Time}
			p.Findings = append(p.Findings, f)
		}
	}
	for _, k := range modOrder {
		l := mods[k]
		si := p.SenderSide(k.from)
		f := Finding{ID: FindModified, From: k.from, Sender: si, Packets: len(l), Change: k.c}
		for _, pk := range l {
			f.Frames[si] = append(f.Frames[si], frame(si, pk.Sent))
			f.Frames[1-si] = append(f.Frames[1-si], frame(1-si, pk.Recv))
		}
		x := &p.Flows[si].Log[l[0].Sent]
		f.First, f.FirstLen = KindOf(x), x.Len
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

func guessed(f *analyze.Flow, frame int) (analyze.Sender, analyze.Strength) {
	for i := range f.Resets {
		if r := &f.Resets[i]; r.Packet == frame {
			st, _ := r.Strength()
			return r.Sender, st
		}
	}
	return analyze.SenderUnknown, analyze.StrengthNone
}

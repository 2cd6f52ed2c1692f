package analyze

import (
	"cmp"
	"slices"
	"sort"
	"time"
)

// done reports whether a connection can be handed over at time now: it
// ended (a RST, or FIN from both sides) and the grace period passed, or it
// fell silent: half-closed for HalfCloseTimeout, established for the flow
// timeout, its handshake unfinished for HandshakeTimeout.
func (a *Analyzer) done(f *flow, now time.Time) bool {
	quiet := time.Duration(now.UnixNano() - f.last)
	switch {
	case f.ignored || f.candidate:
		return quiet >= HandshakeTimeout
	case len(f.out.Resets) > 0 || (f.d[0].finSeen && f.d[1].finSeen):
		// A RST ended it for at least one side, or both closed.
		return quiet >= a.grace
	case !f.established:
		return quiet >= HandshakeTimeout
	case f.d[0].finSeen || f.d[1].finSeen:
		return quiet >= HalfCloseTimeout
	}
	return quiet >= a.timeout
}

// A Batch is connections taken out of the table, waiting for their
// verdicts. Collect fills one on the goroutine that feeds packets; Judge
// may give the verdicts on another, batch after batch in order.
type Batch struct {
	fs     []*flow
	now    time.Time // packet time when they were taken
	oldest int64     // Unix nanoseconds: the earliest start among these and those left in the table (0: none)
}

// Len is how many connections the batch holds.
func (b *Batch) Len() int { return len(b.fs) }

// Expire hands over the connections that are done at time now, in the
// order they ended, and evicts the least recently active ones while the
// table holds more than MaxFlows.
func (a *Analyzer) Expire(now time.Time) []*Flow { return a.Judge(a.Collect(now)) }

// Finish hands over every connection left, in the order they ended.
func (a *Analyzer) Finish() []*Flow { return a.Judge(a.CollectAll()) }

// Collect takes the connections that are done at time now out of the
// table (and the least recently active ones while it holds more than
// MaxFlows), in the order they ended.
func (a *Analyzer) Collect(now time.Time) *Batch {
	var ready []*flow
	a.flows.each(func(f *flow) {
		if a.done(f, now) {
			ready = append(ready, f)
		}
	})
	if over := a.flows.len() - len(ready) - a.maxFlows; over > 0 {
		// Evict a tenth more than needed so this does not run every packet.
		var rest []*flow
		a.flows.each(func(f *flow) {
			if !a.done(f, now) {
				rest = append(rest, f)
			}
		})
		sort.Slice(rest, func(i, j int) bool { return rest[i].last < rest[j].last })
		n := min(len(rest), over+a.maxFlows/10)
		for _, f := range rest[:n] {
			if !f.ignored && !f.candidate {
				f.out.Evicted = true
				a.evicted++
			}
		}
		ready = append(ready, rest[:n]...)
	}
	return a.take(ready)
}

// CollectAll takes every connection left out of the table.
func (a *Analyzer) CollectAll() *Batch {
	all := make([]*flow, 0, a.flows.len())
	a.flows.each(func(f *flow) { all = append(all, f) })
	return a.take(all)
}

func (a *Analyzer) take(fs []*flow) *Batch {
	// A total order (handles are unique), so any sort gives the same.
	slices.SortFunc(fs, func(x, y *flow) int {
		if c := cmp.Compare(x.last, y.last); c != 0 {
			return c
		}
		return cmp.Compare(x.out.Handle, y.out.Handle)
	})
	oldest := a.oldestStart() // of those left, and of these:
	for _, f := range fs {
		a.flows.del(f, f.hash)
		if s := f.out.Start.UnixNano(); oldest == 0 || s < oldest {
			oldest = s
		}
	}
	var now time.Time
	if a.loc != nil {
		now = time.Unix(0, a.last).In(a.loc)
	}
	return &Batch{fs: fs, now: now, oldest: oldest}
}

// recycle keeps an ended flow's memory for the next connection: a busy
// capture opens a connection every few packets, and reusing the ~3 KB
// spares the allocator and the garbage collector. Its results were
// copied out; nothing else points into it. (A channel, as Judge may run
// on another goroutine than newFlow.)
func (a *Analyzer) recycle(f *flow) {
	rx := f.rx[:0] // the resets' working facts, never handed out: kept too
	*f = flow{}
	f.rx = rx
	select {
	case a.free <- f:
	default:
	}
}

// Judge gives the verdicts on a batch and hands the connections over. The
// host baselines and the rate history it keeps are its own: batches must
// come in the order Collect made them.
func (a *Analyzer) Judge(b *Batch) []*Flow {
	// What is known of a batch counts for all of its connections: a
	// connection refused in the same second as another one ended (a
	// residual block) is judged by the server's TTL in the other one.
	for _, f := range b.fs {
		if !f.ignored && !f.candidate {
			addFlowTTLs(a.hosts, f)
		}
	}
	for a.hosts.len() > maxHosts { // each prune halves it at least
		pruneHosts(a.hosts)
	}
	var out []*Flow
	for _, f := range b.fs {
		if f.ignored || f.candidate {
			a.recycle(f)
			continue
		}
		r := new(Flow)
		*r = *f.finish(b.now, a.hosts, a.idle)
		a.recycle(f)
		out = append(out, r)
	}
	// The forged resets of the whole batch are known before any residual
	// block is looked for: a batch is handed over by last packet, not by
	// when each connection was reset.
	for _, r := range out {
		a.noteBlocks(r)
	}
	for _, r := range out {
		for _, d := range crossDetectors {
			d.detect(a, r)
		}
		sortFindings(r.Findings)
	}
	a.age(b)
	return out
}

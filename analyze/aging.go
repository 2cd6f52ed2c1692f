package analyze

// Aging of what Judge keeps across connections, by packet time. The rate
// history and the forged resets matter only within their windows
// (Config.RateWindow, residualWindow) before a connection's start or its
// reset. Every connection still to be judged started at or after the
// earliest start among those open when the batch was collected and those
// in the batch, so an entry whose window closed before that start can
// never be reached again: sweeping it changes no verdict. The host TTL
// baselines have no window (a host's distance does not expire) and stay
// bounded by count (maxHosts).

// age sweeps the rate history and the forged resets of entries no
// connection still to be judged can reach, once every agingEvery of
// packet time.
func (a *Analyzer) age(b *Batch) {
	if b.now.IsZero() {
		return
	}
	now := b.now.UnixNano()
	if now-a.swept < int64(agingEvery) {
		return
	}
	a.swept = now
	// The earliest start among the batch and those left open, taken by
	// Collect: the batch's flows are recycled by now, and may be a new
	// connection's on the packet loop.
	from := b.oldest
	if from == 0 || from > now {
		from = now
	}
	a.history.retain(func(v *rate) bool { return from-v.lastOK <= int64(a.rate) })
	a.blocks.retain(func(v *[]forgedAt) bool { return from-latest(v) <= int64(residualWindow) })
}

// oldestStart returns the Unix nanoseconds of the earliest start among the
// connections in the table, 0 when it is empty.
func (a *Analyzer) oldestStart() int64 {
	var oldest int64
	a.flows.each(func(f *flow) {
		if s := f.out.Start.UnixNano(); oldest == 0 || s < oldest {
			oldest = s
		}
	})
	return oldest
}

package analyze

import (
	"net/netip"
	"slices"
	"time"
)

// Residual blocking across connections: after a device on the path forged
// a reset, it resets every new connection between the same hosts (or to
// the same server) for a while, before the client has sent a byte that
// could have drawn it (INTANG assumes 90 s for the GFW; Censored Planet's
// Hyperquack calls it a stateful block).

// forgedAt is one connection's first reset forged on the path: when, and
// from which client's connection.
type forgedAt struct {
	t      int64 // Unix nanoseconds
	client netip.Addr
	// drawn: forged on an established connection (drawn by what it
	// carried). A block starts with one; forged refusals of SYNs alone are
	// what a rate limit does.
	drawn bool
}

// noteBlocks remembers when the connection's first reset forged on the
// path came, per client and server and per server (client zero).
func (a *Analyzer) noteBlocks(f *Flow) {
	if f.Missing != SideNone {
		return
	}
	for i := range f.Resets {
		if r := &f.Resets[i]; r.Sender == SenderPath {
			e := forgedAt{r.Time.UnixNano(), f.Client.Addr(), r.Stage > StageHandshake}
			for _, k := range blockKeys(f) {
				p := a.blocks.put(k)
				ts := append(*p, e)
				// Kept in order: sorted again only when e came before the
				// latest (sorting a sorted slice would leave it as it is),
				// and then moved into place when no two times are equal
				// (the one order a sort could give).
				if n := len(ts); n > 1 && ts[n-2].t > e.t && !insertLast(ts) {
					slices.SortFunc(ts, func(x, y forgedAt) int { return cmpInt64(x.t, y.t) })
				}
				if len(ts) > maxBlockTimes {
					ts = ts[len(ts)-maxBlockTimes:]
				}
				*p = ts
			}
			break
		}
	}
	if a.blocks.len() > maxHistory {
		a.blocks.expire(f.Start.UnixNano(), residualWindow, maxHistory/2, latest)
	}
}

// insertLast moves the last of ts, sorted before it, into its place, if
// no two times in ts are equal; it reports whether it did.
func insertLast(ts []forgedAt) bool {
	n := len(ts)
	e := ts[n-1]
	for i := 1; i < n; i++ {
		if ts[i].t == ts[i-1].t || ts[i-1].t == e.t {
			return false
		}
	}
	i := n - 1
	for ; i > 0 && ts[i-1].t > e.t; i-- {
		ts[i] = ts[i-1]
	}
	ts[i] = e
	return true
}

func blockKeys(f *Flow) [2]rateKey {
	return [2]rateKey{{keyOfAddr(f.Client.Addr()), keyOfAddr(f.Server.Addr()), f.Server.Port()},
		{s: keyOfAddr(f.Server.Addr()), port: f.Server.Port()}}
}

func cmpInt64(x, y int64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// chain looks, among the forged resets ts, for those before t that lead
// up to it with no gap over residualWindow (from other clients only, if
// others): the first one and how many. A chain that no drawn reset started
// is none.
func chain(ts []forgedAt, t int64, others bool, client netip.Addr) (first int64, n int) {
	drawn := false
	defer func() {
		if !drawn {
			first, n = 0, 0
		}
	}()
	next := t
	for i := len(ts) - 1; i >= 0; i-- {
		e := ts[i]
		if e.t >= t || others && e.client == client {
			continue
		}
		if time.Duration(next-e.t) > residualWindow {
			break
		}
		first, next = e.t, e.t
		n++
		drawn = drawn || e.drawn
	}
	return first, n
}

// residual-block: this connection was refused or reset before the client
// sent a byte, by a reset forged on the path (Reset), Delay after the
// first forged reset between these hosts (AllClients: between other
// clients and this server), Count connections with forged resets before it
// with no gap over residualWindow.
type residualDetector struct{}

var _ crossDetector = residualDetector{}

func (residualDetector) detect(a *Analyzer, f *Flow) {
	if f.Missing != SideNone {
		return
	}
	r, ok := f.Ending()
	if !ok || r.Sender != SenderPath || !(f.Outcome == OutcomeRefused || f.Outcome == OutcomeReset && f.Bytes[0] == 0) {
		return
	}
	t := r.Time.UnixNano()
	keys := blockKeys(f)
	fd := Finding{ID: FindResidualBlock, Blame: BlameMiddlebox, Packets: []int{r.Packet}, Reset: r.Packet, Side: r.From, HasDelay: true}
	if first, n := chain(a.blocks.value(keys[0]), t, false, f.Client.Addr()); n > 0 {
		fd.Delay, fd.Count = time.Duration(t-first), n
	} else if first, n := chain(a.blocks.value(keys[1]), t, true, f.Client.Addr()); n > 0 {
		fd.Delay, fd.Count, fd.AllClients = time.Duration(t-first), n, true
	} else {
		return
	}
	f.Findings = append(f.Findings, fd)
}

// latest is the time of the last of the forged resets in v, kept in order.
func latest(v *[]forgedAt) int64 { return (*v)[len(*v)-1].t }

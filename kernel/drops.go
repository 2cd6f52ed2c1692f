package kernel

import (
	"net/netip"
	"sort"
	"time"
)

// Drops is what this host's kernel says about a connection's packets its
// firewall dropped without a reset in the capture answering them (a DROP
// rule, a REJECT with an ICMP error, a rate limit): how many, when, and
// the rules behind each drop. The zero value is no drop.
type Drops struct {
	Events []Event // FirewallDropped events, in time order (at most maxDrops)
	Count  int     // all of them, Events holding the first maxDrops
	// Rules are the firewall rules behind each event of Events, in the
	// same order, nil where the ruleset was not read.
	Rules []*Rules
}

// maxDrops bounds the events kept per connection.
const maxDrops = 16

// Dropped returns the FirewallDropped events not already joined to a
// reset whose packet went between a and b (either way) from the time from
// to the time to (plus Window): the packets of one connection this host's
// firewall dropped. Call it after AttributeAll for the same connection, so
// a REJECT's drop, which its reset already explains, is left out. Nil when
// there is none.
func (j *Journal) Dropped(a, b netip.AddrPort, from, to time.Time) *Drops {
	j.mu.Lock()
	defer j.mu.Unlock()
	if to.Before(j.start) {
		return nil
	}
	lo := sort.Search(len(j.events), func(i int) bool { return !j.events[i].Time.Before(from.Add(-tolerance)) })
	var d *Drops
	for i := lo; i < len(j.events) && !j.events[i].Time.After(to.Add(Window)); i++ {
		e := &j.events[i]
		if e.Kind != FirewallDropped || j.used[j.base+i] {
			continue
		}
		if !(e.Src == a && e.Dst == b || e.Src == b && e.Dst == a) {
			continue
		}
		if d == nil {
			d = &Drops{}
		}
		d.Count++
		if len(d.Events) < maxDrops {
			d.Events = append(d.Events, *e)
		}
	}
	return d
}

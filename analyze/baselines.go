package analyze

import (
	"net/netip"
)

// hostTTLs is the per-address TTL baseline built from every flow.
type hostTTLs map[addrKey]hostTTL

// addrKey is an address as plain bytes: one hash call per lookup, where
// netip.Addr's fields take two.
type addrKey struct {
	a   [16]byte
	is4 bool
}

func keyOfAddr(a netip.Addr) addrKey { return addrKey{a.As16(), a.Is4()} }

// hostTTL holds no pointer, so the garbage collector need not look
// through the map.
type hostTTL struct {
	ttlSet
	seen int64 // the end of its latest flow, Unix nanoseconds
}

// prune forgets the half of the hosts seen longest ago.
func (h hostTTLs) prune() {
	seen := make([]int64, 0, len(h))
	for _, s := range h {
		seen = append(seen, s.seen)
	}
	cut := middle(seen)
	n := len(h)
	for a, s := range h {
		if s.seen < cut {
			delete(h, a)
		}
	}
	if len(h) == n { // all seen at once: go by the median itself
		for a, s := range h {
			if s.seen <= cut {
				delete(h, a)
			}
		}
	}
}

func (h hostTTLs) addFlow(f *flow) {
	for i, ap := range [2]netip.AddrPort{f.out.Client, f.out.Server} {
		e := &f.d[i].ev
		if e.pkts == 0 {
			continue
		}
		k := keyOfAddr(ap.Addr())
		s := h[k]
		s.seen = max(s.seen, f.last)
		for _, c := range e.ttls.c {
			if c.n > 0 {
				s.add(c.ttl, c.n)
			}
		}
		s.other += e.ttls.other
		h[k] = s
	}
}

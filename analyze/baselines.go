package analyze

import (
	"net/netip"
)

// hostTTLs is the per-address TTL baseline built from every flow.
type hostTTLs = table[addrKey, hostTTL]

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

// pruneHosts forgets the half of the hosts seen longest ago.
func pruneHosts(h *hostTTLs) {
	cut := h.middleAge(func(s *hostTTL) int64 { return s.seen })
	n := h.len()
	h.retain(func(s *hostTTL) bool { return s.seen >= cut })
	if h.len() == n { // all seen at once: go by the median itself
		h.retain(func(s *hostTTL) bool { return s.seen > cut })
	}
}

func addFlowTTLs(h *hostTTLs, f *flow) {
	for i, ap := range [2]netip.AddrPort{f.out.Client, f.out.Server} {
		e := &f.d[i].ev
		if e.pkts == 0 {
			continue
		}
		s := h.put(keyOfAddr(ap.Addr()))
		s.seen = max(s.seen, f.last)
		for _, c := range e.ttls.c {
			if c.n > 0 {
				s.add(c.ttl, c.n)
			}
		}
		s.other += e.ttls.other
	}
}

package analyze

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

// The table answers as a Go map does, through puts, lookups and retains
// of every size, for both kinds of key.
func TestTableIsAMap(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	addr := func() addrKey {
		// Few distinct addresses, so that keys come back; v4 and v6 alike.
		i := r.IntN(3000)
		if i%3 == 0 {
			return keyOfAddr(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: byte(i), 14: byte(i >> 8)}))
		}
		return keyOfAddr(netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)}))
	}
	hosts, hostsRef := newTable[addrKey, int64](), map[addrKey]int64{}
	rates, ratesRef := newTable[rateKey, int64](), map[rateKey]int64{}
	for step := range 200000 {
		k := addr()
		rk := rateKey{addr(), addr(), uint16(r.IntN(3))}
		switch op := r.IntN(100); {
		case op < 60:
			*hosts.put(k) += int64(step + 1)
			hostsRef[k] += int64(step + 1)
			*rates.put(rk) += int64(step)
			ratesRef[rk] += int64(step)
		case op < 99:
			if got, want := hosts.value(k), hostsRef[k]; got != want || (hosts.get(k) != nil) != (want != 0) {
				t.Fatalf("step %d: %v is %d, want %d", step, k, got, want)
			}
			if got, want := rates.value(rk), ratesRef[rk]; got != want {
				t.Fatalf("step %d: %v is %d, want %d", step, rk, got, want)
			}
		default: // keep a random share
			cut := int64(r.IntN(step + 1))
			hosts.retain(func(v *int64) bool { return *v%7 != 0 && *v > cut/4 })
			for k, v := range hostsRef {
				if !(v%7 != 0 && v > cut/4) {
					delete(hostsRef, k)
				}
			}
			rates.retain(func(v *int64) bool { return *v > cut/2 })
			for k, v := range ratesRef {
				if v <= cut/2 {
					delete(ratesRef, k)
				}
			}
		}
		if hosts.len() != len(hostsRef) || rates.len() != len(ratesRef) {
			t.Fatalf("step %d: %d and %d entries, want %d and %d", step, hosts.len(), rates.len(), len(hostsRef), len(ratesRef))
		}
	}
	for k, v := range hostsRef {
		if got := hosts.value(k); got != v {
			t.Fatalf("%v is %d, want %d", k, got, v)
		}
	}
	if len(hosts.index) < 2*hosts.len() {
		t.Errorf("index of %d slots for %d entries: over half full", len(hosts.index), hosts.len())
	}
}

// Two tables hash the same key differently: a sender cannot pick
// addresses that collide in every rstsniff.
func TestTableSeeded(t *testing.T) {
	k := keyOfAddr(netip.MustParseAddr("198.51.100.7"))
	a, b := newTable[addrKey, int](), newTable[addrKey, int]()
	if k.hash(&a.seed) == k.hash(&b.seed) {
		t.Error("the same hash under two seeds")
	}
	v4, v6 := keyOfAddr(netip.MustParseAddr("198.51.100.7")), keyOfAddr(netip.MustParseAddr("::ffff:198.51.100.7"))
	if v4 == v6 || v4.hash(&a.seed) == v6.hash(&a.seed) {
		t.Error("an IPv4 address and its IPv6-mapped twin hash alike")
	}
}

// What the judging does per connection with the host baselines on a
// scan: a new client looked up and added, the server found, half the
// table dropped past its bound; against a Go map doing the same.
func BenchmarkTable(b *testing.B) {
	key := func(i int) addrKey {
		return keyOfAddr(netip.AddrFrom4([4]byte{198, 18 + byte(i>>16&1), byte(i >> 8), byte(i)}))
	}
	server := keyOfAddr(netip.MustParseAddr("203.0.113.2"))
	b.Run("table", func(b *testing.B) {
		t := newTable[addrKey, hostTTL]()
		for i := range b.N {
			if t.get(key(i)) == nil {
				t.put(key(i)).seen = int64(i)
			}
			t.put(server).seen = int64(i)
			if t.len() > maxHosts {
				cut := t.middleAge(func(s *hostTTL) int64 { return s.seen })
				t.retain(func(s *hostTTL) bool { return s.seen >= cut })
			}
		}
	})
	b.Run("gomap", func(b *testing.B) {
		t := map[addrKey]hostTTL{}
		var seen []int64
		for i := range b.N {
			if _, ok := t[key(i)]; !ok {
				t[key(i)] = hostTTL{seen: int64(i)}
			}
			s := t[server]
			s.seen = int64(i)
			t[server] = s
			if len(t) > maxHosts {
				seen = seen[:0]
				for _, s := range t {
					seen = append(seen, s.seen)
				}
				cut := middle(seen)
				for k, s := range t {
					if s.seen < cut {
						delete(t, k)
					}
				}
			}
		}
	})
}

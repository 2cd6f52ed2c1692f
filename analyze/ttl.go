package analyze

type ttlCount struct {
	ttl uint8
	n   int
}

// ttlSet is a small TTL histogram: most paths show one or two values.
type ttlSet struct {
	c     [4]ttlCount
	other int
}

func (s *ttlSet) add(ttl uint8, n int) {
	for i := range s.c {
		if s.c[i].n == 0 || s.c[i].ttl == ttl {
			s.c[i].ttl = ttl
			s.c[i].n += n
			return
		}
	}
	s.other += n
}

func (s *ttlSet) total() int {
	n := s.other
	for _, c := range s.c {
		n += c.n
	}
	return n
}

func (s *ttlSet) has(ttl uint8) bool {
	for _, c := range s.c {
		if c.n > 0 && c.ttl == ttl {
			return true
		}
	}
	return false
}

// Hops guesses how many routers a packet crossed from the usual initial
// TTLs.
func Hops(ttl uint8) int {
	for _, init := range initialTTLs {
		if int(ttl) <= init {
			return init - int(ttl)
		}
	}
	return 0
}

package analyze

import "math/bits"

// flowTable maps connection keys to flows: open addressing with linear
// probing over a power-of-two array, each slot holding the key's hash
// beside the flow. It exists for speed: Go's map hashes a 35-byte key with
// its general-purpose hash, and the lookup is done for every packet; this
// one mixes the key's five words with two multiplications.
type flowTable struct {
	slots []flowSlot
	n     int // flows held
	used  int // slots not empty: flows and tombstones
}

type flowSlot struct {
	h uint64 // 0: empty; tombstone: a flow was deleted here
	f *flow
}

const tombstone = 1

func (k *flowKey) hash() uint64 {
	const m1, m2 = 0x9e3779b97f4a7c15, 0xbf58476d1ce4e5b9
	a := k.lo0 ^ bits.RotateLeft64(k.lo1, 29)
	b := k.hi0 ^ bits.RotateLeft64(k.hi1, 43)
	c := k.ports
	hi, lo := bits.Mul64(a^m1, b^c^m2)
	h := hi ^ lo
	hi, lo = bits.Mul64(h^m2, c^a^m1)
	h = hi ^ lo
	if h <= tombstone {
		h += 2
	}
	return h
}

func newFlowTable() *flowTable { return &flowTable{slots: make([]flowSlot, 1024)} }

func (t *flowTable) len() int { return t.n }

func (t *flowTable) get(k *flowKey, h uint64) *flow {
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		switch {
		case s.h == 0:
			return nil
		case s.h == h && s.f.key == *k:
			return s.f
		}
	}
}

// put adds f, whose key is not in the table, under hash h.
func (t *flowTable) put(f *flow, h uint64) {
	if (t.used+1)*4 > len(t.slots)*3 {
		t.rehash()
	}
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.h == 0 || s.h == tombstone {
			if s.h == 0 {
				t.used++
			}
			s.h, s.f = h, f
			t.n++
			return
		}
	}
}

// del removes f, which is in the table under hash h.
func (t *flowTable) del(f *flow, h uint64) {
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.h == 0 {
			return
		}
		if s.f == f {
			s.h, s.f = tombstone, nil
			t.n--
			return
		}
	}
}

// rehash drops the tombstones, and doubles the table when flows fill more
// than half of it.
func (t *flowTable) rehash() {
	size := len(t.slots)
	if t.n*2 > size {
		size *= 2
	}
	old := t.slots
	t.slots, t.n, t.used = make([]flowSlot, size), 0, 0
	for _, s := range old {
		if s.f != nil {
			t.put(s.f, s.h)
		}
	}
}

// each calls fn for every flow, in table order.
func (t *flowTable) each(fn func(f *flow)) {
	for _, s := range t.slots {
		if s.f != nil {
			fn(s.f)
		}
	}
}

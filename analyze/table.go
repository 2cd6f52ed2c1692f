package analyze

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"time"
)

// table is the map Judge keeps across connections (host TTL baselines,
// rate history, forged resets): its entries in one dense slice, found
// through an open-addressing index of words that hold a hash tag and the
// entry's place. On a scan most keys are new: looking one up reads only
// the index, adding it appends to the slice. Entries leave only by retain,
// one pass that compacts the slice and rebuilds the index, so deleting
// never leaves the holes a Go map pruned in place filled by growing
// (BenchmarkTable: about half the Go map's time; docs/performance.md). Its
// memory is what its largest size needed, no more, from then on.
//
// A pointer get or put returns is good until the next put or retain. Not
// safe for concurrent use; the zero value is not usable, use newTable.
type table[K tableKey, V any] struct {
	ents  []entry[K, V]
	index []uint64 // 0: empty; else the key hash's top half | place+1
	seed  hashSeed
	ages  []int64 // scratch for middleAge
}

type entry[K tableKey, V any] struct {
	k K
	v V
}

// tableKey is a key that hashes itself: plain bytes, mixed with the
// table's random seed (addresses come from the network: a fixed hash
// would let a sender pick colliding ones).
type tableKey interface {
	comparable
	hash(s *hashSeed) uint64
}

type hashSeed [4]uint64

func newTable[K tableKey, V any]() *table[K, V] {
	t := &table[K, V]{}
	for i := range t.seed {
		t.seed[i] = rand.Uint64() | 1
	}
	return t
}

func (t *table[K, V]) len() int { return len(t.ents) }

const placeMask = 1<<32 - 1

// find returns the index slot holding k, or the empty slot where it would
// go, and its place in ents (-1 when absent).
func (t *table[K, V]) find(k K, h uint64) (slot uint64, place int) {
	mask := uint64(len(t.index) - 1)
	tag := h &^ placeMask
	for i := h & mask; ; i = (i + 1) & mask {
		w := t.index[i]
		if w == 0 {
			return i, -1
		}
		if w&^placeMask == tag {
			if p := int(w&placeMask) - 1; t.ents[p].k == k {
				return i, p
			}
		}
	}
}

// get returns k's value, nil when k is absent.
func (t *table[K, V]) get(k K) *V {
	if len(t.ents) == 0 {
		return nil
	}
	if _, p := t.find(k, k.hash(&t.seed)); p >= 0 {
		return &t.ents[p].v
	}
	return nil
}

// value returns k's value, the zero value when k is absent.
func (t *table[K, V]) value(k K) V {
	if p := t.get(k); p != nil {
		return *p
	}
	var zero V
	return zero
}

// put returns k's value, added as the zero value when k was absent.
func (t *table[K, V]) put(k K) *V {
	h := k.hash(&t.seed)
	if 2*(len(t.ents)+1) > len(t.index) { // at most half full
		t.rebuild(max(64, 2*len(t.index)))
	}
	slot, p := t.find(k, h)
	if p < 0 {
		p = len(t.ents)
		t.ents = append(t.ents, entry[K, V]{k: k})
		t.index[slot] = h&^placeMask | uint64(p+1)
	}
	return &t.ents[p].v
}

// retain keeps the entries keep says to, in their order.
func (t *table[K, V]) retain(keep func(*V) bool) {
	n := 0
	for i := range t.ents {
		if keep(&t.ents[i].v) {
			t.ents[n] = t.ents[i]
			n++
		}
	}
	if n == len(t.ents) {
		return
	}
	clear(t.ents[n:]) // what the values point to is garbage now
	t.ents = t.ents[:n]
	t.rebuild(len(t.index))
}

// rebuild makes an index of size slots (a power of two) for the entries.
func (t *table[K, V]) rebuild(size int) {
	if size == len(t.index) {
		clear(t.index)
	} else {
		t.index = make([]uint64, size)
	}
	for p := range t.ents {
		h := t.ents[p].k.hash(&t.seed)
		slot, _ := t.find(t.ents[p].k, h)
		t.index[slot] = h&^placeMask | uint64(p+1)
	}
}

// expire drops the entries whose age (Unix nanoseconds) is more than
// window before now, then, when more than most are left, the older half:
// the rate history's and the forged resets' prune.
func (t *table[K, V]) expire(now int64, window time.Duration, most int, age func(*V) int64) {
	t.retain(func(v *V) bool { return time.Duration(now-age(v)) <= window })
	if t.len() <= most {
		return
	}
	cut := t.middleAge(age)
	t.retain(func(v *V) bool { return age(v) > cut })
}

// middleAge returns the age that sorting the entries' would put in the
// middle (middle's choice), the cut of a prune by half.
func (t *table[K, V]) middleAge(age func(*V) int64) int64 {
	t.ages = t.ages[:0]
	for i := range t.ents {
		t.ages = append(t.ages, age(&t.ents[i].v))
	}
	return middle(t.ages)
}

// mix is wyhash's: the two halves of a 128-bit product folded together.
func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

func (k addrKey) hash(s *hashSeed) uint64 {
	a, b := binary.LittleEndian.Uint64(k.a[:8]), binary.LittleEndian.Uint64(k.a[8:])
	if k.is4 {
		b ^= s[3]
	}
	return mix(mix(a^s[0], b^s[1])^s[2], s[3])
}

func (k rateKey) hash(s *hashSeed) uint64 {
	h := k.c.hash(s)
	a, b := binary.LittleEndian.Uint64(k.s.a[:8]), binary.LittleEndian.Uint64(k.s.a[8:])
	if k.s.is4 {
		b ^= s[2]
	}
	return mix(mix(a^h, b^s[1])^uint64(k.port)^s[0], s[3])
}

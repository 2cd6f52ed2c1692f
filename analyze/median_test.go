package analyze

import (
	"math/rand"
	"slices"
	"testing"
)

// middle agrees with sorting on random, sorted, reversed, constant,
// two-valued and organ-pipe inputs of every small length and some large.
func TestMiddleLikeSort(t *testing.T) {
	rng := rand.New(rand.NewSource(9))
	gens := map[string]func(i, n int) int64{
		"random":   func(i, n int) int64 { return rng.Int63n(1000) },
		"sorted":   func(i, n int) int64 { return int64(i) },
		"reversed": func(i, n int) int64 { return int64(n - i) },
		"constant": func(i, n int) int64 { return 7 },
		"two":      func(i, n int) int64 { return int64(i % 2) },
		"pipe":     func(i, n int) int64 { return int64(min(i, n-i)) },
	}
	sizes := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 31, 32, 33, 1000, 16385}
	for name, gen := range gens {
		for _, n := range sizes {
			v := make([]int64, n)
			for i := range v {
				v[i] = gen(i, n)
			}
			want := slices.Sorted(slices.Values(v))[n/2]
			if got := middle(slices.Clone(v)); got != want {
				t.Errorf("%s, %d values: %d, want %d", name, n, got, want)
			}
		}
	}
}

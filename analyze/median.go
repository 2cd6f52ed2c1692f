package analyze

import (
	"math/bits"
	"slices"
)

// middle returns the element of v that sorting would put at len(v)/2,
// reordering v. It partitions around a median of three instead of sorting
// (the bounded tables are pruned by it, 16,384 entries at a time), and
// sorts after all when partitioning goes badly, as crafted timestamps could
// make it.
func middle(v []int64) int64 {
	k := len(v) / 2
	budget := 2 * bits.Len(uint(len(v)))
	lo, hi := 0, len(v)-1
	for lo < hi {
		if budget == 0 {
			slices.Sort(v[lo : hi+1])
			return v[k]
		}
		budget--
		m := lo + (hi-lo)/2
		// Median of three to v[m].
		if v[m] < v[lo] {
			v[m], v[lo] = v[lo], v[m]
		}
		if v[hi] < v[lo] {
			v[hi], v[lo] = v[lo], v[hi]
		}
		if v[hi] < v[m] {
			v[hi], v[m] = v[m], v[hi]
		}
		p := v[m]
		// Hoare partition: v[lo..j] <= p <= v[j+1..hi].
		i, j := lo-1, hi+1
		for {
			for i++; v[i] < p; i++ {
			}
			for j--; v[j] > p; j-- {
			}
			if i >= j {
				break
			}
			v[i], v[j] = v[j], v[i]
		}
		if k <= j {
			hi = j
		} else {
			lo = j + 1
		}
	}
	return v[k]
}

package explain

import (
	"strings"
	"testing"
)

// BenchmarkNoise: a CI log of 100,000 lines none of which is ssh's
// (11 MB). Lines without a key word skip the regular expressions: 3 s
// before that filter, 30-65 ms after (about 170 MB/s), on a shared
// 2-core machine.
func BenchmarkNoise(b *testing.B) {
	var sb strings.Builder
	for range 100000 {
		sb.WriteString("2026-11-27T04:12:09.1234567Z npm WARN deprecated some-package@1.2.3: this is a line of CI noise with words\n")
	}
	s := sb.String()
	b.SetBytes(int64(len(s)))
	b.ResetTimer()
	for range b.N {
		Text(s)
	}
}

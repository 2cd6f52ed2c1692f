package main

import (
	"errors"
	"strings"
	"testing"
)

func TestLossLine(t *testing.T) {
	for _, c := range []struct {
		full, skipped uint64
		err           error
		want          string // "" for no line
	}{
		{0, 0, nil, ""},
		{2, 0, nil, "2 events lost (2 for a full ring buffer, 0 runs"},
		{0, 1, nil, "1 event lost (0 for a full ring buffer, 1 runs the kernel skipped"},
		{0, 0, errors.New("bad descriptor"), "cannot tell whether events were lost (bad descriptor)"},
	} {
		got := lossLine(c.full, c.skipped, c.err)
		if c.want == "" && got != "" || c.want != "" && !strings.Contains(got, c.want) {
			t.Errorf("lossLine(%d, %d, %v) = %q, want %q", c.full, c.skipped, c.err, got, c.want)
		}
	}
}

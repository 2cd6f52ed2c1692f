package main

import (
	"runtime/debug"
	"testing"

	"github.com/rstsniff/rstsniff/analyze"
)

// The live capture's soft memory limit grows with --max-flows, leaves the
// default's held connections room (measured live heap at the default: at
// most 180 MB), and yields to GOMEMLIMIT.
func TestLiveMemoryLimit(t *testing.T) {
	def := liveMemoryLimit(analyze.DefaultMaxFlows)
	if def < 240<<20 || def > 280<<20 {
		t.Errorf("default limit %d MiB, want about 256 MiB (make soak's flat run)", def>>20)
	}
	if liveMemoryLimit(2*analyze.DefaultMaxFlows) <= def {
		t.Error("the limit does not grow with --max-flows")
	}
	old := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(old)

	t.Setenv("GOMEMLIMIT", "1GiB")
	debug.SetMemoryLimit(1 << 30)
	setLiveMemoryLimit(analyze.DefaultMaxFlows)
	if got := debug.SetMemoryLimit(-1); got != 1<<30 {
		t.Errorf("GOMEMLIMIT set, yet the limit became %d", got)
	}
	t.Setenv("GOMEMLIMIT", "")
	setLiveMemoryLimit(analyze.DefaultMaxFlows)
	if got := debug.SetMemoryLimit(-1); got != def {
		t.Errorf("limit %d, want %d", got, def)
	}
}

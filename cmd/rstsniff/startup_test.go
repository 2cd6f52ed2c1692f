package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// A short run needs no garbage collection: the first one scans every
// global variable (gopacket's tables, 5 MB), and on a virtual machine
// where a page fault is dear that cost a third of the start
// (docs/performance.md). Not a timing: the collector's own trace says
// whether it ran.
func TestShortRunNoCollection(t *testing.T) {
	bin := buildRstsniff(t)
	cmd := exec.Command(bin, "-r", "../../testdata/pcaps/reject-banner/capture.pcap", "--format", "json")
	env := []string{"GODEBUG=gctrace=1"}
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "GOGC=") && !strings.HasPrefix(e, "GODEBUG=") && !strings.HasPrefix(e, "GOMEMLIMIT=") {
			env = append(env, e)
		}
	}
	cmd.Env = env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 { // 1: a reset was found
			t.Fatalf("%v\n%s", err, stderr.String())
		}
	}
	for _, l := range strings.Split(stderr.String(), "\n") {
		if strings.HasPrefix(l, "gc ") {
			t.Errorf("a collection ran: %s", l)
		}
	}
}

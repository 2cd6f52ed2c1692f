package main

import (
	"strings"
	"testing"
)

// TestProbeUsage: bad probe command lines exit 2 with one clear line.
func TestProbeUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"probe"}, "probe takes one target"},
		{[]string{"probe", "a", "b"}, "probe takes one target"},
		{[]string{"probe", "--count", "0", "h"}, "--count takes 1 to 1000"},
		{[]string{"probe", "--parallel", "0", "h"}, "--parallel takes 1 to 100"},
		{[]string{"probe", "--timeout", "0s", "h"}, "--timeout must be positive"},
		{[]string{"probe", "--format", "xml", "h"}, `unknown --format "xml"`},
		{[]string{"probe", "-w", "-", "h"}, "-w writes a file"},
		{[]string{"probe", "--max-ttl", "0", "h"}, "--max-ttl takes 1 to 64"},
		{[]string{"probe", "--bogus", "h"}, "unknown flag: --bogus"},
		{[]string{"probe", "host:0"}, `bad port "0" in target "host:0"`},
		{[]string{"probe", "[2001:db8::1"}, "bad target"},
	} {
		out, errOut, code := runCLI(t, "", c.args...)
		// One line, then at most a pointer to the help, as the main
		// command says it.
		lines := strings.Split(strings.TrimSpace(errOut), "\n")
		first := lines[0]
		if code != exitUsage || out != "" || len(lines) > 2 || !strings.Contains(first, c.want) || !strings.HasPrefix(first, "rstsniff: ") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and %q", c.args, code, out, errOut, c.want)
		}
	}
	out, _, code := runCLI(t, "", "probe", "--help")
	if code != exitOK {
		t.Errorf("probe --help: exit %d", code)
	}
	_ = out
}

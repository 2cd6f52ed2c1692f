package rstsniff_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestPackageGraph keeps the data flow one-way: decode knows no capture
// library, analyze sees neither gopacket nor capture, report never reads
// packets, and only cmd/rstsniff sees every package.
func TestPackageGraph(t *testing.T) {
	forbidden := map[string][]string{
		"decode":  {"github.com/gopacket/", "/capture", "/analyze", "/report"},
		"capture": {"/decode", "/analyze", "/report"},
		"analyze": {"github.com/gopacket/", "/capture", "/report"},
		"report":  {"github.com/gopacket/", "/capture"},
	}
	for pkg, bad := range forbidden {
		out, err := exec.Command("go", "list", "-deps", "./"+pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, b := range bad {
				if strings.Contains(dep, b) && !strings.HasSuffix(dep, "rstsniff/"+pkg) {
					t.Errorf("%s depends on %s", pkg, dep)
				}
			}
		}
	}
}

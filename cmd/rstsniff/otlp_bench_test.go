package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkOTLP reads a synthetic capture of 20,000 connections, two
// thirds of them failing (internal/synth -failing: about 13,000 records),
// without OTLP, with a collector that is up (an HTTP server that takes
// every request), and with one that is not there (a closed port): the
// unreachable case should cost no more than the others (make bench).
func BenchmarkOTLP(b *testing.B) {
	file := filepath.Join(b.TempDir(), "failing.pcap")
	if out, err := exec.Command("go", "run", "../../internal/synth", "-n", "20000", "-failing", "-lab", "../../testdata/pcaps", "-o", file).CombinedOutput(); err != nil {
		b.Fatalf("synth: %v\n%s", err, out)
	}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.Copy(io.Discard, r.Body) }))
	defer up.Close()
	down := "http://" + unusedAddr(b)
	for _, c := range []struct{ name, endpoint string }{{"off", ""}, {"collector", up.URL}, {"unreachable", down}} {
		b.Run(c.name, func(b *testing.B) {
			args := []string{"-r", file, "--format", "json"}
			if c.endpoint != "" {
				args = append(args, "--otlp", c.endpoint)
			}
			b.ReportAllocs()
			for b.Loop() {
				if code := exitStatus(run(context.Background(), args, strings.NewReader(""), io.Discard, io.Discard), io.Discard); code != exitAbnormal {
					b.Fatalf("exit %d", code)
				}
			}
		})
	}
}

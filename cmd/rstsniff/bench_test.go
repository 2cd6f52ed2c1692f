package main

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
)

// BenchmarkPipeline runs the whole command on $BENCH_FILE (make one with
// go run ./internal/synth); it is skipped without one.
func BenchmarkPipeline(b *testing.B) {
	file := os.Getenv("BENCH_FILE")
	if file == "" {
		b.Skip("set BENCH_FILE to a capture (go run ./internal/synth -o FILE)")
	}
	st, err := os.Stat(file)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if code := run(context.Background(), []string{"-r", file, "--format", "json"}, strings.NewReader(""), io.Discard, io.Discard); code == exitUsage {
			b.Fatal("run failed")
		}
	}
}

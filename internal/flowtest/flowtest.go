package flowtest

import (
	"context"
	"testing"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/capture"
	"github.com/rstsniff/rstsniff/pipeline"
)

// Flows returns the analysed flows of the capture at path. A capture that
// cannot be opened or read to its end fails the test.
func Flows(t testing.TB, path string, cfg analyze.Config) []*analyze.Flow {
	t.Helper()
	src, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var flows []*analyze.Flow
	pc := pipeline.Config{Analyzer: analyze.New(cfg), MaxFlows: cfg.MaxFlows}
	if pc.MaxFlows == 0 {
		pc.MaxFlows = analyze.DefaultMaxFlows
	}
	if _, err := pipeline.Run(context.Background(), src, pc, pipeline.PacketTime(), func(f *analyze.Flow) error {
		flows = append(flows, f)
		return nil
	}); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return flows
}

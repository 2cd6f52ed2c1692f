// Package flowtest gives tests the analysed flows of a capture: the file
// read through the pipeline by packet time, as rstsniff -r reads it, the
// flows in order of their first packet. The zero analyze.Config is the
// command's defaults (port 22, default thresholds); set Ports as --ports
// would. Tests that check the command's output instead read its JSON lines
// (cmd/rstsniff's readjson_test.go).
//
// It imports only the packages below the command (analyze, capture,
// pipeline), so the tests of any package above them may use it.
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
